"""Demo facts: realistic, valid, and turned into snapshots."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from xinshimin.policies import parse_facts
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scoring.demo import build_demo_facts, random_facts
from xinshimin.scoring.models import Fact, ScoreSnapshot


def test_random_facts_are_valid_exchange_facts() -> None:
    rng = random.Random(1)
    for _ in range(500):
        parse_facts(random_facts(rng, dt.date(2025, 4, 1)))  # raises on anything invalid


@pytest.mark.django_db
def test_build_demo_facts_gives_facts_and_snapshots_once(seed_record: object) -> None:
    residents = [ResidentFactory() for _ in range(3)]
    counts = build_demo_facts(seed=7, today=dt.date(2025, 4, 1))
    assert counts["facts"] == Fact.objects.count() > 3
    assert counts["snapshots"] == ScoreSnapshot.objects.count() == 3
    assert {f.resident_id for f in Fact.objects.all()} == {r.pk for r in residents}
    assert build_demo_facts(seed=7, today=dt.date(2025, 4, 1)) == {"facts": 0, "snapshots": 0}
