"""Snapshots: stored explained scores, recompute runs, reproducibility across policy versions."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from xinshimin.accounts.models import User
from xinshimin.residents.models import ResidencePermit
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scoring.models import PolicyRecord, RecomputeRun, ScoreSnapshot
from xinshimin.scoring.selectors import policy_cache_clear, population_scores
from xinshimin.scoring.services import (
    facts_upsert,
    policy_draft_copy,
    policy_draft_update,
    policy_publish,
    recompute_execute,
    recompute_start,
    score_resident,
    snapshot_resident,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 4, 1)
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _resident_with_facts(months: int = 48):  # type: ignore[no-untyped-def]
    resident = ResidentFactory(
        id_number="522401199203154513", permit__zj_residence_registered_on=dt.date(2018, 6, 10)
    )
    facts_upsert(actor=None, resident=resident, kind="education", value="bachelor", source="demo")
    facts_upsert(
        actor=None, resident=resident, kind="zj_social_insurance_months", value=months, source="demo"
    )
    return resident


def test_score_resident_explains_every_item(seed_record: PolicyRecord) -> None:
    resident = _resident_with_facts()
    score = score_resident(resident=resident, as_of=AS_OF)
    # age 20 + education 10 + social insurance 24 + residence 20.25 + Rui'an residence 20.25 (permit date)
    assert score.common == Decimal("74.25")
    assert score.item("common.social_insurance").zh == "浙江省内缴纳社保 48 个月 × 0.5 = 24 分"


def test_snapshot_stores_points_and_explanations_and_is_stable(seed_record: PolicyRecord) -> None:
    resident = _resident_with_facts()
    first = snapshot_resident(resident=resident, as_of=AS_OF)
    assert first.policy == seed_record and first.total == Decimal("94.50")
    assert first.items["common.social_insurance"] == {
        "points": "24.00",
        "zh": "浙江省内缴纳社保 48 个月 × 0.5 = 24 分",
        "en": "Social insurance in Zhejiang: 48 months × 0.5 = 24 points",
    }
    again = snapshot_resident(resident=resident, as_of=AS_OF)
    assert again.computed_at == first.computed_at  # unchanged input: the row is not rewritten
    facts_upsert(actor=None, resident=resident, kind="zj_social_insurance_months", value=60, source="demo")
    changed = snapshot_resident(resident=resident, as_of=AS_OF)
    assert changed.pk == first.pk and changed.total == Decimal("100.50")


@time_machine.travel(dt.datetime(2025, 11, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_an_old_snapshot_keeps_explaining_itself_with_its_version(
    centre: User, seed_record: PolicyRecord
) -> None:
    resident = _resident_with_facts()
    old = snapshot_resident(resident=resident, as_of=AS_OF)
    draft = policy_draft_copy(actor=centre, source=seed_record)
    document = copy.deepcopy(draft.document)
    item = next(i for i in document["items"] if i["code"] == "common.social_insurance")
    item["params"]["rate"] = "0.25"
    item["explain"]["zh"] = "省内社保 {units} 个月，每月 {rate} 分，共 {raw} 分"
    policy_publish(
        actor=centre,
        draft=policy_draft_update(actor=centre, draft=draft, document=document),
        effective_on=dt.date(2026, 1, 1),
    )
    policy_cache_clear()
    new = snapshot_resident(resident=resident, as_of=dt.date(2026, 4, 1))
    assert new.policy.version_id == "ruian-2025.2"
    assert new.items["common.social_insurance"]["zh"] == "省内社保 48 个月，每月 0.25 分，共 12 分"
    old.refresh_from_db()
    assert old.policy == seed_record
    assert old.items["common.social_insurance"]["zh"] == "浙江省内缴纳社保 48 个月 × 0.5 = 24 分"
    # and it can be recomputed to the same result with the version it used
    recomputed = score_resident(resident=resident, as_of=AS_OF, policy=old.policy)
    assert recomputed.items_json() == old.items and recomputed.total == old.total


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_recompute_job_covers_permit_holders_and_twice_gives_identical_rows(
    centre: User, seed_record: PolicyRecord, django_capture_on_commit_callbacks
) -> None:
    residents = [_resident_with_facts()] + [ResidentFactory() for _ in range(4)]
    ResidentFactory(permit__status=ResidencePermit.Status.CANCELLED)  # no points account
    with django_capture_on_commit_callbacks(execute=True):
        run = recompute_start(actor=centre, as_of=AS_OF)
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.written, run.percent) == ("done", 5, 5, 5, 100)
    rows = list(ScoreSnapshot.objects.order_by("resident_id").values())
    assert [r["resident_id"] for r in rows] == [r.pk for r in residents]
    second = RecomputeRun.objects.create(policy=seed_record, as_of=AS_OF)
    second = recompute_execute(run_id=second.pk, batch_size=2)
    assert (second.status, second.done, second.written) == ("done", 5, 0)
    assert list(ScoreSnapshot.objects.order_by("resident_id").values()) == rows


def test_recompute_changed_since_only_takes_changed_residents(seed_record: PolicyRecord) -> None:
    first, second = ResidentFactory(), ResidentFactory()
    recompute_execute(run_id=RecomputeRun.objects.create(policy=seed_record, as_of=AS_OF).pk)
    moment = ScoreSnapshot.objects.get(resident=first).computed_at
    facts_upsert(actor=None, resident=second, kind="veteran", value=True, source="demo")
    run = recompute_execute(
        run_id=RecomputeRun.objects.create(policy=seed_record, as_of=AS_OF, changed_since=moment).pk
    )
    assert (run.total, run.written) == (1, 1)
    assert ScoreSnapshot.objects.get(resident=second).items["local.veteran"]["points"] == "5.00"


@time_machine.travel(dt.datetime(2025, 11, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_population_scores_under_a_draft_write_nothing(centre: User, seed_record: PolicyRecord) -> None:
    resident = _resident_with_facts(months=40)
    ResidentFactory(permit__status=ResidencePermit.Status.EXPIRED)
    draft = policy_draft_copy(actor=centre, source=seed_record)
    document = copy.deepcopy(draft.document)
    next(i for i in document["items"] if i["code"] == "common.social_insurance")["params"]["rate"] = "0.25"
    draft = policy_draft_update(actor=centre, draft=draft, document=document)
    current = dict(population_scores(policy=seed_record, as_of=AS_OF))
    preview = dict(population_scores(policy=draft, as_of=AS_OF))
    assert list(current) == list(preview) == [resident.pk]
    assert current[resident.pk].total_q - preview[resident.pk].total_q == 40  # 40 months × 0.25 less
    assert current[resident.pk].total_q == score_resident(resident=resident, as_of=AS_OF).total_q
    assert not ScoreSnapshot.objects.exists()
