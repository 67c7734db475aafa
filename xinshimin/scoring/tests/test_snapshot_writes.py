"""Writing many snapshots at once (``batch.snapshots_write``: COPY on PostgreSQL, the recompute's path)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from xinshimin.residents.models import Resident
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scoring.batch import snapshots_write
from xinshimin.scoring.models import PolicyRecord, RecomputeRun, ScoreSnapshot
from xinshimin.scoring.services import (
    _SNAPSHOT_FIELDS,
    facts_upsert,
    recompute_execute,
    score_resident,
    snapshot_resident,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 4, 1)


def _people(n: int) -> list[int]:
    ids = []
    for k in range(n):
        resident = ResidentFactory()
        facts_upsert(
            actor=None, resident=resident, kind="zj_social_insurance_months", value=k * 7, source="demo"
        )
        facts_upsert(
            actor=None,
            resident=resident,
            kind="volunteer",
            value=[{"date": "2024-05-01", "hours": 12.5}],
            source="demo",
        )
        ids.append(resident.pk)
    return ids


def test_recompute_stores_exactly_what_the_engine_explains(seed_record: PolicyRecord) -> None:
    ids = _people(5)
    run = recompute_execute(run_id=RecomputeRun.objects.create(policy=seed_record, as_of=AS_OF).pk)
    assert run.written == 5
    for snapshot in ScoreSnapshot.objects.filter(resident_id__in=ids).select_related("resident"):
        score = score_resident(resident=snapshot.resident, as_of=AS_OF, policy=seed_record)
        assert snapshot.total == score.total and snapshot.items == score.items_json()
        assert snapshot.notes == {"zh": score.notes("zh"), "en": score.notes("en")}
        assert (
            snapshot.items["local.volunteer"]["zh"]
            == "近 3 年志愿服务 12.5 小时，每满 10 小时得 1 分：1 × 1 = 1 分"
        )


def test_rows_written_by_someone_else_meanwhile_are_updated_not_refused(seed_record: PolicyRecord) -> None:
    ids = _people(3)
    stored = {pk: snapshot_resident(resident=Resident.objects.get(pk=pk), as_of=AS_OF) for pk in ids}
    rows = [
        ScoreSnapshot(
            resident_id=pk,
            policy=seed_record,
            as_of=AS_OF,
            total=Decimal("1.00"),
            raw_total=Decimal("1.00"),
            common=Decimal("1.00"),
            local=Decimal("0.00"),
            deductions=Decimal("0.00"),
            items={"common.age": {"points": "1.00", "zh": "年龄", "en": "Age"}},
            notes={"zh": [], "en": []},
            facts_digest="x" * 64,
            computed_at=timezone.now(),
        )
        for pk in ids
    ]
    # As if the batch had not seen the rows (written meanwhile, e.g. by the "my points" page).
    snapshots_write(rows, existing=set(), update_fields=_SNAPSHOT_FIELDS)
    assert ScoreSnapshot.objects.filter(resident_id__in=ids).count() == 3
    for pk in ids:
        snapshot = ScoreSnapshot.objects.get(resident_id=pk, policy=seed_record, as_of=AS_OF)
        assert (
            snapshot.pk == stored[pk].pk
            and snapshot.total == Decimal("1.00")
            and snapshot.facts_digest == "x" * 64
        )
    # And a row that exists and is known goes through the upsert too.
    rows[0].total = Decimal("2.00")
    snapshots_write(rows[:1], existing={ids[0]}, update_fields=_SNAPSHOT_FIELDS)
    assert ScoreSnapshot.objects.get(resident_id=ids[0], as_of=AS_OF).total == Decimal("2.00")


def test_remembered_explanations_are_exactly_the_engines() -> None:
    """``explained_items`` gives ``Score.items_json()`` for every person, the first time and when its
    memo answers (realistic facts from the demo generator, several as-of dates and ages)."""
    import random

    from xinshimin.policies import evaluate, parse_facts, seed_policy
    from xinshimin.scoring.batch import explained_items
    from xinshimin.scoring.demo import random_facts

    policy = seed_policy()
    rng = random.Random(7)
    for _round in range(2):  # the second round's texts come from the memo
        for k in range(400):
            as_of = dt.date(2025, 1, 1) + dt.timedelta(days=k % 300)
            facts = parse_facts(random_facts(rng, as_of))
            birth = dt.date(1960 + k % 45, 1 + k % 12, 1 + k % 28)
            score = evaluate(facts, policy, as_of=as_of, birth_date=birth if k % 10 else None)
            assert explained_items(score) == score.items_json()


def test_stored_digests_by_resident_and_never_through_the_ranking_index(seed_record: PolicyRecord) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinshimin.scoring.batch import stored_digests

    ids = _people(3)
    snapshot = snapshot_resident(resident=Resident.objects.get(pk=ids[0]), as_of=AS_OF)
    snapshot_resident(resident=Resident.objects.get(pk=ids[1]), as_of=AS_OF + dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        found = stored_digests(policy_id=seed_record.pk, as_of=AS_OF, resident_ids=ids)
    assert found == {ids[0]: snapshot.facts_digest}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner pick an index
            cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "snapshot_one_per_policy_date" in plan and "snapshot_ranking" not in plan
