"""What scenes need from scoring: snapshots at a scene's as-of date, deduction facts, fact corrections.

Thin wrappers over ``xinshimin.scoring`` so that the rest of the app has one place that knows its API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef

from xinshimin.accounts.models import Department
from xinshimin.policies import Deduction, PolicyDocumentError, parse_fact_value
from xinshimin.residents.models import Resident
from xinshimin.scoring.models import Fact, PolicyRecord, ScoreSnapshot
from xinshimin.scoring.selectors import policy_version

SNAPSHOT_BATCH = 2000


@dataclass(frozen=True)
class ItemInfo:
    code: str
    label_zh: str
    label_en: str
    department_code: str
    fact_field: str | None


def policy_items(policy: PolicyRecord) -> list[ItemInfo]:
    """The score items of a policy version with their responsible department and fact field."""
    version = policy_version(policy)
    return [
        ItemInfo(
            code=item.code,
            label_zh=item.label.get("zh"),
            label_en=item.label.get("en"),
            department_code=item.department.code,
            fact_field=item.rule.field,
        )
        for item in version.item_list
    ]


def policy_item(policy: PolicyRecord, code: str) -> ItemInfo | None:
    return next((item for item in policy_items(policy) if item.code == code), None)


def deductions_of(resident: Resident) -> list[Deduction]:
    """The resident's deduction facts (``Fact`` of kind ``deductions``), parsed; none if unreadable."""
    value = Fact.objects.filter(resident=resident, kind="deductions").values_list("value", flat=True).first()
    if not value:
        return []
    try:
        return list(parse_fact_value("deductions", value) or ())
    except (PolicyDocumentError, ValueError, TypeError):
        return []


def snapshots_ensure(*, policy: PolicyRecord, as_of: dt.date, resident_ids: Iterable[int]) -> int:
    """Compute the missing snapshots of these residents at (policy, as_of), in bulk. Returns how many.

    ``resident_ids`` may be a queryset of ids (it is used as a subquery, never loaded)."""
    from xinshimin.scoring import services as scoring

    missing = (
        Resident.objects.filter(pk__in=resident_ids)
        .exclude(Exists(ScoreSnapshot.objects.filter(resident_id=OuterRef("pk"), policy=policy, as_of=as_of)))
        .order_by("pk")
        .values_list("pk", "birth_date")
    )
    version = policy_version(policy)
    count = 0
    last_pk = 0
    while True:
        batch = list(missing.filter(pk__gt=last_pk)[:SNAPSHOT_BATCH])
        if not batch:
            return count
        last_pk = batch[-1][0]
        # scoring's bulk path: facts read in bulk, snapshots upserted in bulk.
        count += scoring.snapshots_refresh_batch(policy=policy, as_of=as_of, version=version, batch=batch)


def snapshot_refresh(*, resident: Resident, policy: PolicyRecord, as_of: dt.date) -> ScoreSnapshot:
    """Recompute one resident's snapshot at (policy, as_of) from the current facts."""
    from xinshimin.scoring.services import snapshot_resident

    return snapshot_resident(resident=resident, policy=policy, as_of=as_of)


def fact_correct(
    *, actor: Any, resident: Resident, kind: str, value: Any, department: Department, source_ref: str
) -> None:
    """Correct one fact after an upheld objection (scoring's ``facts_upsert``, as a reviewed correction)."""
    from xinshimin.scoring.services import facts_upsert

    facts_upsert(
        actor=actor,
        resident=resident,
        kind=kind,
        value=value,
        source=Fact.Source.APPROVED_CLAIM,
        source_ref=source_ref,
        department=department,
    )
