"""The tie-break chain, the seeded lottery and the digests (pure; no database)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinshimin.scenes import ranking
from xinshimin.scenes.ranking import (
    DEFAULT_CHAIN,
    ChainError,
    Entry,
    PublishedRow,
    decided_by,
    inputs_digest,
    lottery_key,
    order,
    output_digest,
    seed_commitment,
    selection_flags,
    validate_chain,
)

UTC = dt.UTC
SEED = "d3b07384d113edec49eaa6238ad5ff00"
T0 = dt.datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def entry(
    number: str,
    total: float | int = 100,
    si: float | int = 10,
    registered: dt.date | None = dt.date(2020, 1, 1),
    submitted: dt.datetime = T0,
    seed: str = SEED,
) -> Entry:
    return Entry(
        number=number,
        total_q=int(total * 4),
        social_insurance_q=int(si * 4),
        residence_registered_on=registered,
        submitted_at=submitted,
        lottery_key=lottery_key(seed, number),
    )


def numbers(entries: list[Entry]) -> list[str]:
    return [e.number for e in entries]


def test_total_points_decide_first():
    ranked = order([entry("a", total=100), entry("b", total=120.25), entry("c", total=99.75)], DEFAULT_CHAIN)
    assert numbers(ranked) == ["b", "a", "c"]
    assert decided_by(ranked[0], ranked[1], DEFAULT_CHAIN) == "total_desc"


def test_equal_totals_are_decided_by_social_insurance_points():
    ranked = order([entry("a", si=10), entry("b", si=24.5), entry("c", si=0)], DEFAULT_CHAIN)
    assert numbers(ranked) == ["b", "a", "c"]
    assert decided_by(ranked[0], ranked[1], DEFAULT_CHAIN) == "social_insurance_desc"


def test_then_earlier_residence_registration_with_unknown_dates_last():
    ranked = order(
        [
            entry("a", registered=dt.date(2019, 6, 1)),
            entry("b", registered=None),
            entry("c", registered=dt.date(2015, 1, 31)),
        ],
        DEFAULT_CHAIN,
    )
    assert numbers(ranked) == ["c", "a", "b"]
    assert decided_by(ranked[0], ranked[1], DEFAULT_CHAIN) == "residence_registered_asc"


def test_then_earlier_submission_to_the_microsecond():
    ranked = order(
        [
            entry("a", submitted=T0 + dt.timedelta(microseconds=2)),
            entry("b", submitted=T0 + dt.timedelta(microseconds=1)),
            entry("c", submitted=T0 - dt.timedelta(days=3)),
        ],
        DEFAULT_CHAIN,
    )
    assert numbers(ranked) == ["c", "b", "a"]
    assert decided_by(ranked[1], ranked[2], DEFAULT_CHAIN) == "submitted_asc"


def test_submission_times_compare_across_time_zones():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    later_in_utc = entry("a", submitted=dt.datetime(2025, 3, 10, 9, 0, tzinfo=shanghai))  # 01:00 UTC
    earlier = entry("b", submitted=dt.datetime(2025, 3, 10, 0, 30, tzinfo=UTC))
    assert numbers(order([later_in_utc, earlier], DEFAULT_CHAIN)) == ["b", "a"]


def test_complete_ties_are_decided_by_the_lottery_from_the_seed():
    tied = [entry(f"school-2025-{i:06d}") for i in range(1, 21)]
    ranked = order(tied, DEFAULT_CHAIN)
    expected = sorted(tied, key=lambda e: ranking.lottery_key(SEED, e.number))
    assert numbers(ranked) == numbers(expected)
    assert all(decided_by(a, b, DEFAULT_CHAIN) == "lottery" for a, b in itertools.pairwise(ranked))
    # not simply the order of the application numbers
    assert numbers(ranked) != sorted(numbers(tied))


def test_lottery_is_reproducible_from_its_seed_and_changes_with_it():
    tied = [entry(f"n{i}") for i in range(50)]
    shuffled = tied[:]
    random.Random(7).shuffle(shuffled)
    assert numbers(order(shuffled, DEFAULT_CHAIN)) == numbers(order(tied, DEFAULT_CHAIN))
    assert lottery_key(SEED, "n1") == lottery_key(SEED, "n1")
    other = [entry(f"n{i}", seed="another seed") for i in range(50)]
    assert numbers(order(other, DEFAULT_CHAIN)) != numbers(order(tied, DEFAULT_CHAIN))


def test_lottery_key_is_sha256_of_seed_and_number():
    import hashlib

    assert lottery_key("abc", "x-1") == hashlib.sha256(b"abc:x-1").hexdigest()
    assert seed_commitment("abc") == hashlib.sha256(b"abc").hexdigest()


def test_each_level_only_matters_when_the_levels_before_it_tie():
    a = entry("a", total=100, si=0, registered=dt.date(2010, 1, 1), submitted=T0 - dt.timedelta(days=30))
    b = entry("b", total=100.25, si=0, registered=dt.date(2024, 1, 1), submitted=T0)
    assert numbers(order([a, b], DEFAULT_CHAIN)) == ["b", "a"]
    c = entry("c", total=100, si=5, registered=dt.date(2024, 1, 1), submitted=T0)
    assert numbers(order([a, c], DEFAULT_CHAIN)) == ["c", "a"]


def test_a_custom_chain_is_followed():
    chain = ["total_desc", "submitted_asc", "lottery"]
    ranked = order(
        [entry("a", si=30, submitted=T0 + dt.timedelta(seconds=1)), entry("b", si=0, submitted=T0)], chain
    )
    assert numbers(ranked) == ["b", "a"]


def test_without_a_lottery_the_application_number_decides():
    ranked = order([entry("z"), entry("m"), entry("a")], ["total_desc"])
    assert numbers(ranked) == ["a", "m", "z"]


@pytest.mark.parametrize(
    "chain",
    [[], "total_desc", ["total_desc", "total_desc"], ["points"], ["lottery", "total_desc"]],
)
def test_invalid_chains_are_refused_with_a_message(chain):
    with pytest.raises(ChainError) as error:
        validate_chain(chain)
    assert str(error.value)


def test_default_chain_is_the_documented_one():
    assert DEFAULT_CHAIN == (
        "total_desc",
        "social_insurance_desc",
        "residence_registered_asc",
        "submitted_asc",
        "lottery",
    )


def _digest(entries: list[Entry], seed: str = SEED) -> str:
    return inputs_digest(
        scene_code="school-2025",
        as_of=dt.date(2025, 4, 30),
        policy_version="ruian-2025.1",
        chain=DEFAULT_CHAIN,
        seed=seed,
        entries=entries,
    )


def test_inputs_digest_ignores_order_but_not_values():
    entries = [entry("a"), entry("b", total=90)]
    assert _digest(entries) == _digest(list(reversed(entries)))
    assert _digest(entries) != _digest([entry("a"), entry("b", total=90.25)])
    assert _digest(entries) != _digest(entries, seed="other")


def test_output_digest_covers_every_published_column():
    row = PublishedRow(1, "s-000001", "张*", "522401********4513", 400, True, True)
    base = output_digest([row])
    assert output_digest([PublishedRow(1, "s-000001", "张*", "522401********4513", 400, True, True)]) == base
    for changed in (
        PublishedRow(2, "s-000001", "张*", "522401********4513", 400, True, True),
        PublishedRow(1, "s-000002", "张*", "522401********4513", 400, True, True),
        PublishedRow(1, "s-000001", "李*", "522401********4513", 400, True, True),
        PublishedRow(1, "s-000001", "张*", "522401********4514", 400, True, True),
        PublishedRow(1, "s-000001", "张*", "522401********4513", 401, True, True),
        PublishedRow(1, "s-000001", "张*", "522401********4513", 400, False, True),
        PublishedRow(1, "s-000001", "张*", "522401********4513", 400, True, False),
    ):
        assert output_digest([changed]) != base


def test_output_line_format_is_documented_and_stable():
    row = PublishedRow(3, "school-2025-000007", "欧阳**", "330381********1234", 751, False, True)
    assert row.line() == "3|school-2025-000007|欧阳**|330381********1234|187.75|0|1\n"


@pytest.mark.parametrize(
    ("rank", "total_q", "mode", "top_n", "quota", "threshold_q", "expected"),
    [
        (30, 400, "ranked", 30, 100, None, (True, True)),
        (31, 400, "ranked", 30, 100, None, (False, True)),
        (101, 400, "ranked", 30, 100, None, (False, False)),
        (101, 400, "ranked", 0, None, None, (False, True)),
        (5, 480, "threshold", 0, None, 480, (False, True)),
        (5, 479, "threshold", 0, None, 480, (False, False)),
        (5, 500, "threshold", 0, 4, 480, (False, False)),
    ],
)
def test_selection_flags(rank, total_q, mode, top_n, quota, threshold_q, expected):
    assert (
        selection_flags(rank, total_q, mode=mode, top_n=top_n, quota=quota, threshold_q=threshold_q)
        == expected
    )


entries_strategy = st.lists(
    st.builds(
        entry,
        number=st.text("abcdef0123456789", min_size=1, max_size=6),
        total=st.integers(0, 12).map(lambda n: n * 0.25 + 100),
        si=st.integers(0, 3),
        registered=st.one_of(st.none(), st.dates(dt.date(2018, 1, 1), dt.date(2018, 1, 4))),
        submitted=st.integers(0, 3).map(lambda s: T0 + dt.timedelta(seconds=s)),
    ),
    max_size=40,
    unique_by=lambda e: e.number,
)


@settings(max_examples=200, deadline=None)
@given(entries_strategy)
def test_order_is_a_permutation_sorted_by_the_chain(entries):
    ranked = order(entries, DEFAULT_CHAIN)
    assert sorted(numbers(ranked)) == sorted(numbers(entries))
    for a, b in itertools.pairwise(ranked):
        key = decided_by(a, b, DEFAULT_CHAIN)
        if key == "total_desc":
            assert a.total_q > b.total_q
        elif key == "social_insurance_desc":
            assert a.total_q == b.total_q and a.social_insurance_q > b.social_insurance_q
        elif key == "residence_registered_asc":
            assert b.residence_registered_on is None or (
                a.residence_registered_on is not None
                and a.residence_registered_on < b.residence_registered_on
            )
        elif key == "submitted_asc":
            assert a.submitted_at < b.submitted_at
        else:
            assert key == "lottery" and a.lottery_key < b.lottery_key
    assert numbers(order(list(reversed(entries)), DEFAULT_CHAIN)) == numbers(ranked)
