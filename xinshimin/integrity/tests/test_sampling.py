"""The draw: the same seed and population give the same sample, whatever order the ids come in."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from xinshimin.integrity import sampling

rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
populations = st.lists(st.integers(min_value=1, max_value=10**9), unique=True, max_size=300)
seeds = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(seed=seeds, ids=populations, rate=rates, data=st.data())
def test_the_same_seed_and_population_give_the_same_sample_in_any_order(seed, ids, rate, data):
    shuffled = data.draw(st.permutations(ids))
    first = sampling.draw(seed, "claims.claim", ids, rate)
    assert sampling.draw(seed, "claims.claim", shuffled, rate) == first
    assert sampling.population_digest("claims.claim", shuffled) == sampling.population_digest(
        "claims.claim", ids
    )


@given(ids=populations, rate=rates)
def test_the_sample_size_is_the_rate_rounded_up(ids, rate):
    size = len(sampling.draw(sampling.new_seed(), "scenes.application", ids, rate))
    assert size == min(len(ids), math.ceil(len(ids) * rate / 100))
    if ids:
        assert size >= 1


def test_rounding_up_is_exact_and_never_exceeds_the_population():
    assert sampling.sample_size(200, Decimal("5")) == 10
    assert sampling.sample_size(201, Decimal("5")) == 11  # 10.05 → 11
    assert sampling.sample_size(3, Decimal("0.01")) == 1
    assert sampling.sample_size(7, Decimal("100")) == 7
    assert sampling.sample_size(0, Decimal("50")) == 0


def test_the_sample_follows_the_hmac_order_and_the_seed_changes_it():
    ids = list(range(1, 101))
    seed = "a" * 64
    chosen = sampling.draw(seed, "claims.claim", ids, Decimal("10"))
    keys = sorted(sampling.draw_key(seed, "claims.claim", i) for i in ids)
    assert [key for _i, key in chosen] == keys[:10]
    other = sampling.draw("b" * 64, "claims.claim", ids, Decimal("10"))
    assert [i for i, _k in chosen] != [i for i, _k in other]
    # The object type is part of the key: the same ids of another kind are drawn differently.
    assert sampling.draw(seed, "scenes.application", ids, Decimal("10")) != chosen


def test_seeds_are_random_and_64_hex_characters():
    seeds = {sampling.new_seed() for _ in range(100)}
    assert len(seeds) == 100
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in seeds)
