"""Properties of the engine on arbitrary facts (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from xinshimin.policies import (
    Award,
    CharityDonation,
    Deduction,
    Facts,
    Patent,
    VolunteerEntry,
    evaluate,
    evaluate_quarters,
    facts_to_exchange,
    parse_facts,
)
from xinshimin.policies.facts import (
    AWARD_LEVELS,
    DEDUCTION_KINDS,
    EDUCATION_LEVELS,
    HOUSING_KINDS,
    PATENT_KINDS,
    SKILL_LEVELS,
)

from .helpers import policy

dates = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2032, 12, 31))
amounts = st.decimals(min_value=0, max_value=2_000_000, places=2, allow_nan=False, allow_infinity=False)
months = st.integers(min_value=0, max_value=400)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.none() | strategy


def levels(choices: tuple[str, ...]) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.lists(st.sampled_from(choices), min_size=1, max_size=3).map(tuple)


@st.composite
def deductions(draw: st.DrawFn) -> Deduction:
    kind = draw(st.sampled_from(DEDUCTION_KINDS))
    if kind == "dishonest_debtor":
        listed = draw(dates)
        delisted = draw(optional(st.dates(min_value=listed, max_value=dt.date(2033, 1, 1))))
        return Deduction(kind, listed_on=listed, delisted_on=delisted)
    return Deduction(kind, date=draw(dates))


def tuples(strategy: st.SearchStrategy, max_size: int = 6) -> st.SearchStrategy:  # type: ignore[type-arg]
    return optional(st.lists(strategy, max_size=max_size).map(tuple))


facts_strategy = st.builds(
    Facts,
    education=optional(levels(EDUCATION_LEVELS)),
    skill=optional(levels(SKILL_LEVELS)),
    zj_social_insurance_months=optional(months),
    zj_residence_registered_on=optional(dates),
    ruian_residence_registered_on=optional(dates),
    housing=optional(levels(HOUSING_KINDS)),
    employed_in_ruian=optional(st.booleans()),
    ruian_social_insurance_months=optional(months),
    provident_fund_months=optional(months),
    tax_paid_last_year_yuan=optional(amounts),
    volunteer=tuples(st.builds(VolunteerEntry, date=dates, hours=amounts.map(lambda a: a % 100))),
    blood_donations=tuples(dates),
    charity_donations=tuples(st.builds(CharityDonation, date=dates, yuan=amounts.map(lambda a: a % 20000))),
    bravery=tuples(dates, 3),
    awards=tuples(
        st.builds(
            Award,
            award=st.sampled_from(["甲奖", "乙奖", "丙 奖", "丙奖"]),
            level=st.sampled_from(AWARD_LEVELS),
            date=dates,
        )
    ),
    patents=tuples(st.builds(Patent, kind=st.sampled_from(PATENT_KINDS), granted_on=dates)),
    talent_tier=optional(st.integers(min_value=1, max_value=5)),
    veteran=optional(st.booleans()),
    party_member=optional(st.booleans()),
    deputy=optional(st.booleans()),
    spring_festival_stays=tuples(dates),
    deductions=tuples(deductions(), 8),
)
as_ofs = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2032, 12, 31))
births = optional(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2010, 12, 31)))


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, as_of=as_ofs, birth=births)
def test_caps_hold_and_parts_add_up(facts: Facts, as_of: dt.date, birth: dt.date | None) -> None:
    result = evaluate(facts, policy(), as_of=as_of, birth_date=birth)
    for item in result.items:
        cap = item.item.cap_q
        assert cap is None or abs(item.quarters) <= cap
        assert item.quarters <= 0 if item.group == "deduction" else item.quarters >= 0
    common = sum(i.quarters for i in result.items if i.group == "common")
    local = sum(i.quarters for i in result.items if i.group == "local")
    deductions_ = -sum(i.quarters for i in result.items if i.group == "deduction")
    assert result.common_q == min(common, 400) and result.common <= 100
    assert result.local_raw_q == local
    assert result.local_q == min(local, 800) and result.local <= 200
    assert result.deductions_q == deductions_ >= 0
    assert result.raw_total == result.common + result.local - result.deductions
    assert result.total == max(result.raw_total, Decimal(0))
    for value in (result.total, result.raw_total, result.common, result.local, result.deductions):
        assert (value * 4) == (value * 4).to_integral_value()  # a multiple of 0.25
    quick = evaluate_quarters(facts, policy(), as_of=as_of, birth_date=birth)
    assert quick.items == [i.quarters for i in result.items]
    assert quick.total_q == result.total_q


@settings(max_examples=200, deadline=None)
@given(
    facts=facts_strategy,
    as_of=as_ofs,
    birth=births,
    field=st.sampled_from(
        ["zj_social_insurance_months", "ruian_social_insurance_months", "provident_fund_months"]
    ),
    more=st.integers(min_value=0, max_value=100),
)
def test_more_contribution_months_never_lower_a_score(
    facts: Facts, as_of: dt.date, birth: dt.date | None, field: str, more: int
) -> None:
    before = evaluate(facts, policy(), as_of=as_of, birth_date=birth)
    richer = dataclasses.replace(facts, **{field: (getattr(facts, field) or 0) + more})
    after = evaluate(richer, policy(), as_of=as_of, birth_date=birth)
    assert after.total >= before.total
    assert after.raw_total >= before.raw_total


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy, as_of=as_ofs, birth=births, days=st.integers(min_value=0, max_value=3000))
def test_an_earlier_registration_never_lowers_a_score(
    facts: Facts, as_of: dt.date, birth: dt.date | None, days: int
) -> None:
    if facts.zj_residence_registered_on is None:
        return
    earlier = dataclasses.replace(
        facts, zj_residence_registered_on=facts.zj_residence_registered_on - dt.timedelta(days=days)
    )
    before = evaluate(facts, policy(), as_of=as_of, birth_date=birth)
    after = evaluate(earlier, policy(), as_of=as_of, birth_date=birth)
    assert after.total >= before.total


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy)
def test_exchange_round_trip(facts: Facts) -> None:
    assert parse_facts(facts_to_exchange(facts)) == facts


@settings(max_examples=100, deadline=None)
@given(facts=facts_strategy, as_of=as_ofs, birth=births)
def test_every_item_explains_itself_in_both_languages(
    facts: Facts, as_of: dt.date, birth: dt.date | None
) -> None:
    result = evaluate(facts, policy(), as_of=as_of, birth_date=birth)
    for item in result.items:
        assert item.zh and item.en
        assert "{" not in item.zh and "{" not in item.en
