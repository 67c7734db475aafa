"""Reads of scoring data: policy versions in force, facts as engine input, snapshots."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils.translation import gettext as _

from xinshimin.core.errors import NotFound
from xinshimin.policies import (
    Facts,
    PolicyVersion,
    QuarterScore,
    evaluate_quarters,
    parse_fact_value,
    policy_from_document,
    seed_policy,
)
from xinshimin.residents.models import ResidencePermit, Resident

from .models import Fact, PolicyRecord, ScoreSnapshot

# Parsed documents of frozen (published or retired) versions, by primary key: they never change.
_FROZEN: dict[tuple[int, str], PolicyVersion] = {}
_FROZEN_LOCK = threading.Lock()
_PUBLISHED_KEY = "scoring:published:{jurisdiction}"
_PUBLISHED_TIMEOUT = 60  # seconds; ``policy_cache_clear`` drops it at once in this process (and in Redis)


def default_jurisdiction() -> str:
    return str(getattr(settings, "XINSHIMIN_JURISDICTION", "ruian"))


def policy_version(record: PolicyRecord) -> PolicyVersion:
    """The engine's ``PolicyVersion`` of a record (parsed once for frozen versions)."""
    if not record.is_frozen:
        return policy_from_document(record.document)
    key = (record.pk, record.version_id)
    version = _FROZEN.get(key)
    if version is None:
        version = policy_from_document(record.document)
        with _FROZEN_LOCK:
            _FROZEN[key] = version
    return version


def _published(jurisdiction: str) -> list[tuple[dt.date, int]]:
    """(effective_on, pk) of the published versions, newest first (cached briefly)."""
    key = _PUBLISHED_KEY.format(jurisdiction=jurisdiction)
    rows: list[tuple[dt.date, int]] | None = cache.get(key)
    if rows is None:
        rows = [
            (effective_on, pk)
            for effective_on, pk in PolicyRecord.objects.filter(
                jurisdiction=jurisdiction, status=PolicyRecord.Status.PUBLISHED
            )
            .order_by("-effective_on")
            .values_list("effective_on", "pk")
            if effective_on is not None
        ]
        cache.set(key, rows, _PUBLISHED_TIMEOUT)
    return rows


def policy_cache_clear(jurisdiction: str | None = None) -> None:
    """Forget which versions are published (after a publication), and the parsed documents.

    Tests that create versions should call it before and after (their rows are rolled back, and on
    SQLite a primary key can then be used again)."""
    cache.delete(_PUBLISHED_KEY.format(jurisdiction=jurisdiction or default_jurisdiction()))
    with _FROZEN_LOCK:
        _FROZEN.clear()


def policy_for(as_of: dt.date, jurisdiction: str | None = None) -> PolicyRecord:
    """The published version in force on ``as_of``: the one with the latest ``effective_on`` ≤ ``as_of``.

    Raises ``NotFound`` if no published version had taken effect by then.
    """
    jurisdiction = jurisdiction or default_jurisdiction()
    for effective_on, pk in _published(jurisdiction):
        if effective_on <= as_of:
            return PolicyRecord.objects.get(pk=pk)
    raise NotFound(
        _("%(date)s 没有已生效的积分政策（%(jurisdiction)s）。")
        % {"date": as_of, "jurisdiction": jurisdiction}
    )


def policy_get(version_id: str) -> PolicyRecord:
    try:
        return PolicyRecord.objects.get(version_id=version_id)
    except PolicyRecord.DoesNotExist:
        raise NotFound(_("未找到积分政策版本 %(version)s。") % {"version": version_id}) from None


def policy_list(*, jurisdiction: str | None = None) -> list[PolicyRecord]:
    return list(PolicyRecord.objects.filter(jurisdiction=jurisdiction or default_jurisdiction()))


def batch_policies(
    *, version_id: str | None, jurisdiction: str | None = None
) -> tuple[list[PolicyVersion], PolicyVersion | None]:
    """What the batch command scores with: (published versions, the fixed version if ``version_id``).

    From the database when it holds versions; otherwise (a database without them, or not migrated) the
    seed file in the repository. Raises ``NotFound`` for an unknown ``version_id``.
    """
    jurisdiction = jurisdiction or default_jurisdiction()
    try:
        has_versions = PolicyRecord.objects.filter(jurisdiction=jurisdiction).exists()
    except DatabaseError:
        has_versions = False
    if has_versions:
        published = [
            policy_version(record)
            for record in PolicyRecord.objects.filter(
                jurisdiction=jurisdiction, status=PolicyRecord.Status.PUBLISHED
            ).order_by("-effective_on")
        ]
        fixed = policy_version(policy_get(version_id)) if version_id else None
        return published, fixed
    seed = seed_policy(jurisdiction)
    if version_id and version_id != seed.version_id:
        raise NotFound(
            _("未找到积分政策版本 %(version)s（数据库中没有政策版本，仓库内置版本为 %(seed)s）。")
            % {"version": version_id, "seed": seed.version_id}
        )
    return [seed], (seed if version_id else None)


def resident_fact_values(resident: Resident) -> dict[str, Any]:
    """The stored facts of a resident as exchange-format values, by kind."""
    return dict(Fact.objects.filter(resident=resident).values_list("kind", "value"))


def input_values(values: dict[str, Any], permit: Any | None = None) -> dict[str, Any]:
    """The engine input as exchange values: the stored facts, and where no fact of that kind is stored
    the residence-registration dates of the resident's permit (public-security data)."""
    data = {kind: value for kind, value in values.items() if value is not None}
    if permit is not None:
        if "zj_residence_registered_on" not in data and permit.zj_residence_registered_on:
            data["zj_residence_registered_on"] = permit.zj_residence_registered_on.isoformat()
        if "ruian_residence_registered_on" not in data and permit.ruian_residence_registered_on:
            data["ruian_residence_registered_on"] = permit.ruian_residence_registered_on.isoformat()
    return data


def facts_from_values(values: dict[str, Any]) -> Facts:
    """``Facts`` from exchange values (as stored, or from ``input_values``)."""
    return Facts(**{kind: parse_fact_value(kind, value) for kind, value in values.items()})


def input_digest(values: dict[str, Any], birth_date: dt.date | None) -> str:
    """SHA-256 of everything a score depends on besides the policy version and the date: the input values
    (stored in canonical form by the services) and the birth date (the age comes from it)."""
    text = json.dumps(
        {"birth_date": birth_date.isoformat() if birth_date else None, "facts": values},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resident_input(resident: Resident, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """A resident's engine input as exchange values: stored facts plus the registration dates of the
    permit current on ``as_of`` (default: the latest permit)."""
    permits = resident.permits.order_by("-issued_on", "-id")
    permit = (permits.filter(issued_on__lte=as_of) if as_of else permits).first()
    return input_values(resident_fact_values(resident), permit)


def resident_facts(resident: Resident, *, as_of: dt.date | None = None) -> Facts:
    """The engine input for a resident (see ``resident_input``)."""
    return facts_from_values(resident_input(resident, as_of=as_of))


def snapshot_list(*, resident: Resident) -> list[ScoreSnapshot]:
    """A resident's snapshots, newest as-of first (score history)."""
    return list(ScoreSnapshot.objects.filter(resident=resident).select_related("policy").order_by("-as_of"))


def population_scores(
    *, policy: PolicyRecord, as_of: dt.date, batch_size: int = 2000
) -> Iterator[tuple[int, QuarterScore]]:
    """(resident id, numbers of the score) for every resident with a scoring permit on ``as_of``, under
    any version (a draft too): the input of a what-if preview. Nothing is written; facts are read in
    batches; explanations are not built."""
    version = policy_version(policy)
    residents = Resident.objects.holding_scoring_permit(as_of).order_by("pk")
    last_pk = 0
    while True:
        batch = list(residents.filter(pk__gt=last_pk).values_list("pk", "birth_date")[:batch_size])
        if not batch:
            return
        last_pk = batch[-1][0]
        inputs = batch_input_values([pk for pk, _birth in batch], as_of)
        for pk, birth_date in batch:
            facts = facts_from_values(inputs[pk])
            yield pk, evaluate_quarters(facts, version, as_of=as_of, birth_date=birth_date)


@dataclass(frozen=True)
class _PermitDates:
    """What ``input_values`` reads of a permit (a recompute reads thousands: no model instances)."""

    zj_residence_registered_on: dt.date | None
    ruian_residence_registered_on: dt.date | None


def batch_input_values(ids: list[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """``resident_input`` for many residents in two queries: resident id → engine input values.

    A dense batch (ids close together, as a recompute's are) is read by id range rather than by a list of
    thousands of ids, whose parameters Django prepares one by one; rows of residents outside the batch in
    that range are skipped."""
    values: dict[int, dict[str, Any]] = {pk: {} for pk in ids}
    if not ids:
        return {}
    first, last = min(ids), max(ids)
    dense = last - first + 1 <= 2 * len(ids)
    of_batch: dict[str, Any] = (
        {"resident_id__gte": first, "resident_id__lte": last} if dense else {"resident_id__in": ids}
    )
    for resident_id, kind, value in Fact.objects.filter(**of_batch).values_list(
        "resident_id", "kind", "value"
    ):
        facts = values.get(resident_id)
        if facts is not None:
            facts[kind] = value
    permits: dict[int, _PermitDates] = {}
    for resident_id, zj, ruian in (
        ResidencePermit.objects.filter(**of_batch, issued_on__lte=as_of)
        .order_by("resident_id", "-issued_on", "-id")
        .values_list("resident_id", "zj_residence_registered_on", "ruian_residence_registered_on")
    ):
        if resident_id in values and resident_id not in permits:
            permits[resident_id] = _PermitDates(zj, ruian)
    return {pk: input_values(values[pk], permits.get(pk)) for pk in ids}
