"""What-if: the estimator and the preview of a draft policy version against the population and scenes."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from xinshimin.accounts.models import Department, User
from xinshimin.core.errors import PermissionDenied, ValidationFailed
from xinshimin.policies import ExchangeError
from xinshimin.policies.tests.helpers import WORKED_EXAMPLE
from xinshimin.residents.models import Resident
from xinshimin.residents.tests.factories import ResidentFactory, ReviewerFactory
from xinshimin.scenes import services as scenes
from xinshimin.scenes.tests.helpers import approve_all, at, child_of, parent, school_scene
from xinshimin.scoring.models import PolicyRecord
from xinshimin.scoring.services import facts_upsert, policy_draft_copy, policy_draft_update
from xinshimin.scoring.whatif import (
    WhatIfResult,
    band_labels,
    estimate,
    whatif_job_start,
    whatif_job_state,
    whatif_preview,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 4, 30)


# --- the estimator -----------------------------------------------------------------------------------


def test_estimate_reproduces_the_worked_example_from_birth_date_or_age() -> None:
    facts = WORKED_EXAMPLE["facts"]
    by_birth = estimate(facts=facts, as_of=dt.date(2025, 4, 1), birth_date=dt.date(1992, 3, 15))
    by_age = estimate(facts=facts, as_of=dt.date(2025, 4, 1), age=33)
    assert by_birth.total == by_age.total == Decimal("208.00")
    assert (by_birth.common, by_birth.local, by_birth.deductions) == (
        Decimal("82.25"),
        Decimal("145.75"),
        Decimal("20.00"),
    )
    assert by_birth.item("common.social_insurance").zh == "浙江省内缴纳社保 48 个月 × 0.5 = 24 分"
    assert by_birth.policy.version_id == "ruian-2025.1"
    without_age = estimate(facts={}, as_of=dt.date(2025, 4, 1))
    assert not without_age.item("common.age").has_data and without_age.total == Decimal("5.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"birth_date": dt.date(1990, 1, 1), "age": 35}, "age"),
        ({"age": 130}, "age"),
        ({"birth_date": dt.date(2026, 1, 1)}, "birth_date"),
        ({"as_of": dt.date(2024, 6, 1)}, "as_of"),  # before the first published version
        ({"facts": {"education": "phd"}}, "education"),
        ({"facts": {"volunteer": [{"date": "2024-02-30", "hours": 3}]}}, "volunteer[0].date"),
        ({"facts": {"colour": "red"}}, "colour"),
    ],
)
def test_estimate_names_the_field_of_every_problem(kwargs: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"facts": {}, "as_of": dt.date(2025, 4, 1), **kwargs}
    with pytest.raises((ValidationFailed, ExchangeError)) as caught:
        estimate(**values)
    assert caught.value.field == field
    assert caught.value.message


# --- the preview -------------------------------------------------------------------------------------


def _seed() -> PolicyRecord:
    return PolicyRecord.objects.get(version_id="ruian-2025.1")


def _draft(centre: User, *, rate: str) -> PolicyRecord:
    """A draft of the seed with another social-insurance rate (seed: 0.5 per month, cap 30)."""
    draft = policy_draft_copy(actor=centre, source=_seed())
    document = copy.deepcopy(draft.document)
    for item in document["items"]:
        if item["code"] == "common.social_insurance":
            item["params"]["rate"] = rate
    return policy_draft_update(actor=centre, draft=draft, document=document)


def _facts(resident: Resident, **facts: Any) -> Resident:
    hrss = Department.objects.get(code="hrss")
    for kind, value in facts.items():
        facts_upsert(
            actor=None, resident=resident, kind=kind, value=value, source="department_feed", department=hrss
        )
    return resident


def _people() -> dict[str, Resident]:
    """a: 48 months (24 points), b: 10 months (5 points) and better education and skill, c: none;
    d: 100 months but no valid permit (not in the population)."""
    return {
        "a": _facts(parent(name="张三"), zj_social_insurance_months=48),
        "b": _facts(parent(name="李四"), zj_social_insurance_months=10, education="master", skill="level1"),
        "c": parent(name="王五"),
        "d": _facts(ResidentFactory(permit__status="expired"), zj_social_insurance_months=100),
    }


def test_preview_counts_changes_distribution_and_movers(centre: User) -> None:
    people = _people()
    result = whatif_preview(actor=centre, draft=_draft(centre, rate="0.25"), as_of=AS_OF)
    assert (result.draft, result.baseline, result.as_of) == ("ruian-2025.2", "ruian-2025.1", "2025-04-30")
    assert result.population == 3  # d's permit has expired
    assert (result.changed, result.raised, result.lowered, result.unchanged) == (2, 0, 2, 1)
    assert result.sum_delta_q == -(12 * 4) - 10  # a: 24 → 12, b: 5 → 2.5
    assert (result.max_drop, result.max_raise, result.median_delta) == ("-12.00", "0.00", "-2.50")
    assert result.mean_delta == "-4.83"
    assert sum(b.before for b in result.buckets) == sum(b.after for b in result.buckets) == 3
    assert [b.before for b in result.bands] == [0, 1, 1, 1, 0, 0, 0]  # −12, −2.5, 0
    assert len(band_labels()) == 7
    assert [(m.resident_id, m.delta) for m in result.movers] == [
        (people["a"].pk, "-12.00"),
        (people["b"].pk, "-2.50"),
    ]
    assert result.movers[0].name_masked == "张*" and "*" in result.movers[0].id_number_masked
    assert result.scenes == []


def test_preview_of_an_unchanged_copy_changes_nobody(centre: User) -> None:
    _people()
    draft = policy_draft_copy(actor=centre, source=_seed())
    result = whatif_preview(actor=centre, draft=draft, as_of=AS_OF)
    assert result.population == 3 and result.changed == 0 and result.movers == []
    assert [b.before for b in result.buckets] == [b.after for b in result.buckets]


def test_preview_ranks_the_applicants_of_an_open_ranked_scene_under_both_versions(centre: User) -> None:
    people = _people()
    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = school_scene(code="whatif-school", quota=1)
    with time_machine.travel(at(2025, 3, 10), tick=False):
        for key in ("a", "b", "c"):
            application = scenes.application_submit(
                actor=people[key].user,
                scene=scene,
                resident=people[key],
                child=child_of(people[key], dt.date(2019, 5, 1)),
                stage="grade1",
            )
            if key != "c":
                approve_all(application)
    result = whatif_preview(actor=centre, draft=_draft(centre, rate="0.25"), as_of=AS_OF)
    [moves] = result.scenes
    assert (moves.code, moves.applicants, moves.quota, moves.policy) == (
        "whatif-school",
        3,
        1,
        "ruian-2025.1",
    )
    assert moves.lottery is False  # the seed is still secret before the first ranking
    # a (49) led b (45) under 2025.1; under the draft b (42.5) leads a (37): a leaves the quota, b enters.
    assert (moves.changed, moves.entered, moves.left) == (2, 1, 1)
    by_name = {row.name_masked: row for row in moves.rows}
    assert (by_name["张*"].before_rank, by_name["张*"].after_rank) == (1, 2)
    assert (by_name["李*"].before_rank, by_name["李*"].after_rank) == (2, 1)
    assert by_name["李*"].selected_after and not by_name["李*"].selected_before
    assert Decimal(by_name["张*"].before) - Decimal(by_name["张*"].after) == 12


def test_preview_is_for_the_centre_only(centre: User) -> None:
    draft = policy_draft_copy(actor=centre, source=_seed())
    with pytest.raises(PermissionDenied):
        whatif_preview(actor=ReviewerFactory(), draft=draft, as_of=AS_OF)


def test_preview_job_keeps_progress_and_result(centre: User, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _people()
    draft = _draft(centre, rate="1")
    key = whatif_job_start(actor=centre, draft=draft, as_of=AS_OF)
    state = whatif_job_state(key)
    assert state is not None and state["status"] == "done" and state["done"] == state["total"] == 3
    result = WhatIfResult.from_json(state["result"])
    direct = whatif_preview(actor=centre, draft=draft, as_of=AS_OF)
    assert (result.changed, result.raised, result.sum_delta_q) == (direct.changed, 2, direct.sum_delta_q)
    assert result.movers == direct.movers
    assert whatif_job_state("not-a-key") is None
    with pytest.raises(ValidationFailed):
        whatif_job_start(actor=centre, draft=draft, as_of=dt.date(2024, 1, 1))
