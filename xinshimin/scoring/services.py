"""Writes of scoring: policy drafts and publication, facts, snapshots, recompute runs, department imports.

Each function reads top to bottom: authorise → lock/load → check state → ask the policy → write → audit
→ on_commit side effects. ``actor=None`` means the system itself (data feeds, the demo, the task runner).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role, require
from xinshimin.accounts.models import Department, Role
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, ValidationFailed
from xinshimin.policies import (
    ExchangeError,
    PolicyVersion,
    Score,
    evaluate,
    from_quarters,
    parse_exchange_line,
    parse_fact_value,
    policy_from_document,
    policy_to_document,
)
from xinshimin.policies.facts import field_to_exchange
from xinshimin.residents.idnumber import parse_id_number
from xinshimin.residents.models import ResidencePermit, Resident
from xinshimin.residents.personal_data import id_number_index

from .models import Fact, FactRevision, PolicyRecord, RecomputeRun, ScoreSnapshot
from .selectors import (
    batch_input_values,
    facts_from_values,
    input_digest,
    policy_cache_clear,
    policy_for,
    policy_version,
    resident_facts,
    resident_input,
)

SNAPSHOT_BATCH = 2000
IMPORT_BATCH = 1000
_VERSION_NUMBER = re.compile(r"^(?P<stem>.+-[0-9]{4})\.(?P<n>[0-9]+)$")


# --- authorisation -----------------------------------------------------------------------------------


def _require_centre_admin(actor: Any) -> None:
    require(
        is_role(actor, Role.CENTRE_ADMIN) or bool(getattr(actor, "is_superuser", False)),
        _("只有服务中心管理员可以管理积分政策。"),
    )


def _may_record_facts(actor: Any, resident: Resident, source: str, department: Department | None) -> bool:
    """The system and the centre record any fact; a department reviewer facts of their own department; a
    window clerk window entries for residents of their town."""
    if actor is None or is_role(actor, Role.CENTRE_ADMIN):
        return True
    if is_role(actor, Role.REVIEWER):
        return department is not None and department.pk == actor.department_id
    if is_role(actor, Role.CLERK):
        return source == Fact.Source.WINDOW_ENTRY and resident.town_id == actor.town_id
    return False


# --- policies ----------------------------------------------------------------------------------------


def _next_version_id(source: PolicyRecord) -> str:
    match = _VERSION_NUMBER.match(source.version_id)
    stem = match.group("stem") if match else f"{source.jurisdiction}-{timezone.localdate().year}"
    taken = set(
        PolicyRecord.objects.filter(version_id__startswith=f"{stem}.").values_list("version_id", flat=True)
    )
    number = int(match.group("n")) + 1 if match else 1
    while f"{stem}.{number}" in taken:
        number += 1
    return f"{stem}.{number}"


def policy_draft_copy(*, actor: Any, source: PolicyRecord, version_id: str | None = None) -> PolicyRecord:
    """A new draft with the parameters of ``source`` (any status), to be edited and published.

    ``version_id`` defaults to the next free number of the source's year (ruian-2025.1 → ruian-2025.2).
    """
    _require_centre_admin(actor)
    version_id = version_id or _next_version_id(source)
    document = copy.deepcopy(source.document)
    document["version_id"] = version_id
    policy = policy_from_document(document)  # raises PolicyDocumentError (e.g. a malformed version id)
    with transaction.atomic():
        if PolicyRecord.objects.filter(version_id=version_id).exists():
            raise Conflict(_("版本号 %(version)s 已存在，请换一个版本号。") % {"version": version_id})
        draft = PolicyRecord.objects.create(
            jurisdiction=policy.jurisdiction,
            version_id=version_id,
            title=policy.title.zh,
            effective_on=None,
            source_document=policy.source_document,
            status=PolicyRecord.Status.DRAFT,
            document=document,
            based_on=source,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="scoring.policy_draft_create",
            obj=draft,
            after={"version_id": version_id, "based_on": source.version_id},
        )
    return draft


def _changed_items(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Item codes (and top-level keys) whose content differs: a readable audit summary of an edit."""
    old_items = {item.get("code"): item for item in before.get("items", [])}
    new_items = {item.get("code"): item for item in after.get("items", [])}
    changed = [code for code in new_items if old_items.get(code) != new_items[code]]
    changed += [f"-{code}" for code in old_items if code not in new_items]
    changed += [key for key in after if key != "items" and before.get(key) != after.get(key)]
    return [str(c) for c in changed]


def policy_draft_update(*, actor: Any, draft: PolicyRecord, document: dict[str, Any]) -> PolicyRecord:
    """Replace the parameters of a draft by ``document`` (validated). Published versions refuse edits."""
    _require_centre_admin(actor)
    policy = policy_from_document(document)  # raises PolicyDocumentError listing every problem
    with transaction.atomic():
        draft = PolicyRecord.objects.select_for_update().get(pk=draft.pk)
        if draft.status != PolicyRecord.Status.DRAFT:
            raise Conflict(
                _("版本 %(version)s 已发布，不能修改；请复制为新的草稿后修改。")
                % {"version": draft.version_id}
            )
        if policy.version_id != draft.version_id or policy.jurisdiction != draft.jurisdiction:
            raise ValidationFailed(
                _("文件中的版本号或辖区与草稿不一致（应为 %(version)s）。") % {"version": draft.version_id},
                field="version_id",
            )
        normalised = policy_to_document(policy)
        changed = _changed_items(draft.document, normalised)
        if not changed:
            return draft
        draft.document = normalised
        draft.title = policy.title.zh
        draft.source_document = policy.source_document
        draft.save(update_fields=["document", "title", "source_document", "updated_at"])
        audit_record(actor=actor, action="scoring.policy_draft_update", obj=draft, after={"changed": changed})
    return draft


def policy_publish(*, actor: Any, draft: PolicyRecord, effective_on: dt.date) -> PolicyRecord:
    """Publish a draft with its effective date; from then on it is frozen.

    The effective date may not be in the past (in China): a score already given must stay reproducible
    with the version that was in force, so a version never takes effect retroactively.
    """
    _require_centre_admin(actor)
    today = timezone.localdate()
    if effective_on < today:
        raise ValidationFailed(
            _("生效日期 %(date)s 早于今天；政策不能追溯生效，请选择今天或以后的日期。")
            % {"date": effective_on},
            field="effective_on",
        )
    with transaction.atomic():
        draft = PolicyRecord.objects.select_for_update().get(pk=draft.pk)
        if draft.status != PolicyRecord.Status.DRAFT:
            raise Conflict(_("版本 %(version)s 已发布，不能再次发布。") % {"version": draft.version_id})
        clash = PolicyRecord.objects.filter(
            jurisdiction=draft.jurisdiction, status=PolicyRecord.Status.PUBLISHED, effective_on=effective_on
        ).first()
        if clash is not None:
            raise Conflict(
                _("%(date)s 已有生效的版本 %(version)s，请选择其他生效日期。")
                % {"date": effective_on, "version": clash.version_id}
            )
        document = dict(draft.document)
        document["effective_on"] = effective_on.isoformat()
        policy = policy_from_document(document)
        draft.document = policy_to_document(policy)
        draft.effective_on = effective_on
        draft.status = PolicyRecord.Status.PUBLISHED
        draft.published_at = timezone.now().replace(microsecond=0)  # whole seconds, see migration 0003
        draft.published_by = actor
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            raise Conflict(_("该生效日期已有已发布的版本，请选择其他日期。")) from None
        audit_record(
            actor=actor,
            action="scoring.policy_publish",
            obj=draft,
            after={"version_id": draft.version_id, "effective_on": effective_on.isoformat()},
        )
        jurisdiction = draft.jurisdiction
        transaction.on_commit(lambda: policy_cache_clear(jurisdiction))
    return draft


# --- facts -------------------------------------------------------------------------------------------


def canonical_fact_value(kind: str, value: Any) -> Any:
    """A fact's exchange value validated and in canonical form ("2018-06-10", 12.5, ["level3"] → "level3");
    ``ExchangeError`` names the field and problem."""
    parsed = parse_fact_value(kind, value)
    return None if parsed is None else field_to_exchange(kind, parsed)


def facts_upsert(
    *,
    actor: Any,
    resident: Resident,
    kind: str,
    value: Any,
    source: str,
    source_ref: str = "",
    department: Department | None = None,
) -> Fact | None:
    """Set the current value of one fact (``None`` removes it). Nothing happens if the value is unchanged,
    so feeding the same data twice changes nothing. Every change adds a ``FactRevision`` and an audit event.
    Returns the fact (None if removed)."""
    require(
        _may_record_facts(actor, resident, source, department),
        _("您无权记录该新市民的积分事实：部门只能记录本部门的数据，窗口只能录入本乡镇街道居民的数据。"),
    )
    if source not in Fact.Source.values:
        raise ValidationFailed(_("未知的数据来源 %(source)s。") % {"source": source}, field="source")
    new_value = canonical_fact_value(kind, value)
    with transaction.atomic():
        existing = Fact.objects.select_for_update().filter(resident=resident, kind=kind).first()
        old_value = existing.value if existing else None
        if old_value == new_value:
            return existing
        now = timezone.now()
        recorded_by = actor if actor is not None else None
        if new_value is None:
            assert existing is not None
            existing.delete()
            fact = None
        elif existing is None:
            fact = Fact.objects.create(
                resident=resident,
                kind=kind,
                value=new_value,
                source=source,
                source_ref=source_ref,
                department=department,
                recorded_at=now,
                recorded_by=recorded_by,
            )
        else:
            existing.value = new_value
            existing.source = source
            existing.source_ref = source_ref
            existing.department = department
            existing.recorded_at = now
            existing.recorded_by = recorded_by
            existing.save()
            fact = existing
        FactRevision.objects.create(
            resident=resident,
            kind=kind,
            old_value=old_value,
            new_value=new_value,
            source=source,
            source_ref=source_ref,
            department=department,
            recorded_at=now,
            recorded_by=recorded_by,
        )
        audit_record(
            actor=actor,
            action="scoring.fact_upsert",
            object_type="residents.resident",
            object_id=resident.pk,
            before={"kind": kind, "value": old_value},
            after={"kind": kind, "value": new_value, "source": source, "source_ref": source_ref},
        )
    return fact


# --- scores ------------------------------------------------------------------------------------------


def score_resident(*, resident: Resident, as_of: dt.date, policy: PolicyRecord | None = None) -> Score:
    """A resident's explained score on ``as_of`` under ``policy`` (default: the version in force then)."""
    record = policy or policy_for(as_of)
    facts = resident_facts(resident, as_of=as_of)
    return evaluate(facts, policy_version(record), as_of=as_of, birth_date=resident.birth_date)


def _snapshot_values(score: Score, digest: str, computed_at: dt.datetime) -> dict[str, Any]:
    from .batch import explained_items  # score.items_json(), repeated texts remembered

    return {
        "total": from_quarters(score.total_q),
        "raw_total": from_quarters(score.raw_total_q),
        "common": from_quarters(score.common_q),
        "local": from_quarters(score.local_q),
        "deductions": from_quarters(score.deductions_q),
        "items": explained_items(score),
        "notes": {"zh": score.notes("zh"), "en": score.notes("en")},
        "facts_digest": digest,
        "computed_at": computed_at,
    }


def _clearances(resident_ids: Sequence[int], as_of: dt.date) -> dict[int, Any]:
    """Fraud sanctions (spec §5 "Audits and fraud"): resident id → ``integrity.clearance.Clearance`` for
    those whose points are cleared to zero on ``as_of``. A cleared snapshot is 0 in every number, keeps each
    item's explanation with the reason appended, and carries the sanction in its notes and its digest;
    snapshots of earlier dates are untouched. The rule and its texts live in xinshimin/integrity/clearance.py
    (imported here, late, because integrity is a workflow app above scoring)."""
    from xinshimin.integrity.clearance import clearances

    return clearances(resident_ids, as_of)


_SNAPSHOT_FIELDS = [
    "total",
    "raw_total",
    "common",
    "local",
    "deductions",
    "items",
    "notes",
    "facts_digest",
    "computed_at",
]


def snapshot_resident(
    *, resident: Resident, as_of: dt.date, policy: PolicyRecord | None = None
) -> ScoreSnapshot:
    """Compute and store (or refresh) the resident's snapshot for (policy, as_of). Unchanged input → the
    stored row is returned untouched."""
    record = policy or policy_for(as_of)
    values = resident_input(resident, as_of=as_of)
    digest = input_digest(values, resident.birth_date)
    clearance = _clearances([resident.pk], as_of).get(resident.pk)  # fraud sanction: points cleared
    if clearance is not None:
        digest = clearance.digest(digest)
    with transaction.atomic():
        existing = (
            ScoreSnapshot.objects.select_for_update()
            .filter(resident=resident, policy=record, as_of=as_of)
            .first()
        )
        if existing is not None and existing.facts_digest == digest:
            return existing
        facts = facts_from_values(values)
        score = evaluate(facts, policy_version(record), as_of=as_of, birth_date=resident.birth_date)
        values = _snapshot_values(score, digest, timezone.now())
        if clearance is not None:
            values = clearance.apply(values)
        if existing is None:
            return ScoreSnapshot.objects.create(resident=resident, policy=record, as_of=as_of, **values)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        return existing


def recompute_start(
    *,
    actor: Any,
    as_of: dt.date,
    policy: PolicyRecord | None = None,
    changed_since: dt.datetime | None = None,
) -> RecomputeRun:
    """Queue a recompute of snapshots (everyone with a scoring permit on ``as_of``, or only those whose
    facts, record or permit changed since ``changed_since``). The centre's page shows ``run.percent``."""
    _require_centre_admin(actor)
    record = policy or policy_for(as_of)
    if record.status == PolicyRecord.Status.DRAFT:
        raise ValidationFailed(_("草稿版本不能用于正式积分快照，请先发布。"), field="policy")
    with transaction.atomic():
        run = RecomputeRun.objects.create(
            policy=record, as_of=as_of, changed_since=changed_since, requested_by=actor
        )
        audit_record(
            actor=actor,
            action="scoring.recompute_start",
            obj=run,
            after={"policy": record.version_id, "as_of": as_of.isoformat(), "changed_since": changed_since},
        )
        run_id = run.pk

        def enqueue() -> None:
            from .tasks import recompute_snapshots

            recompute_snapshots.enqueue(run_id)

        transaction.on_commit(enqueue)
    return run


def recompute_residents(run: RecomputeRun, *, after: int = 0) -> Any:
    """The residents a run covers (those with an id above ``after``), as a queryset of ids in order.

    ``after`` bounds the permit lookup too: without it PostgreSQL's semi-join reads the permits from the
    first one for every batch (quadratic over a city; bench/README-recompute.md)."""
    permits = ResidencePermit.objects.scoring(run.as_of).filter(
        resident_id=OuterRef("pk"), resident_id__gt=after
    )
    rows = Resident.objects.filter(Exists(permits), pk__gt=after)
    if run.changed_since is not None:
        since = run.changed_since
        rows = rows.filter(
            Q(updated_at__gte=since)
            | Exists(Fact.objects.filter(resident_id=OuterRef("pk"), recorded_at__gte=since))
            | Exists(FactRevision.objects.filter(resident_id=OuterRef("pk"), recorded_at__gte=since))
            | Exists(ResidencePermit.objects.filter(resident_id=OuterRef("pk"), updated_at__gte=since))
        )
    return rows.order_by("pk")


@dataclass
class SnapshotBatch:
    """A batch's new or changed snapshots (unsaved), ready for ``snapshots_store``."""

    residents: int  # how many residents the batch covered
    rows: list[ScoreSnapshot]
    existing: set[int]  # residents whose snapshot of that (policy, as_of) was stored before


def snapshots_compute(
    *, policy: PolicyRecord, as_of: dt.date, version: PolicyVersion, batch: Sequence[tuple[int, dt.date]]
) -> SnapshotBatch:
    """The snapshots of ``batch`` ((resident id, birth date) pairs) at (policy, as_of) whose input changed
    since they were stored (or that were never stored): facts and permits read in bulk. Only reads."""
    from .batch import stored_digests  # by the unique index, whatever the statistics say

    ids = [pk for pk, _birth in batch]
    inputs = batch_input_values(ids, as_of)
    stored = stored_digests(policy_id=policy.pk, as_of=as_of, resident_ids=ids)
    now = timezone.now()
    cleared = _clearances(ids, as_of)  # fraud sanctions: points cleared
    rows = []
    for pk, birth_date in batch:
        assembled = inputs[pk]
        digest = input_digest(assembled, birth_date)
        clearance = cleared.get(pk)
        if clearance is not None:
            digest = clearance.digest(digest)
        if stored.get(pk) == digest:
            continue
        score = evaluate(facts_from_values(assembled), version, as_of=as_of, birth_date=birth_date)
        values = _snapshot_values(score, digest, now)
        if clearance is not None:
            values = clearance.apply(values)
        rows.append(ScoreSnapshot(resident_id=pk, policy=policy, as_of=as_of, **values))
    return SnapshotBatch(residents=len(batch), rows=rows, existing=set(stored))


def snapshots_store(computed: SnapshotBatch) -> int:
    """Write a computed batch (insert or update by (resident, policy, as_of)) in one transaction."""
    if computed.rows:
        from .batch import snapshots_write  # COPY on PostgreSQL (bench/README-recompute.md)

        with transaction.atomic():
            snapshots_write(computed.rows, existing=computed.existing, update_fields=_SNAPSHOT_FIELDS)
    return len(computed.rows)


def snapshots_refresh_batch(
    *, policy: PolicyRecord, as_of: dt.date, version: PolicyVersion, batch: Sequence[tuple[int, dt.date]]
) -> int:
    """Compute and store the changed snapshots of ``batch`` in line; returns how many were written."""
    return snapshots_store(snapshots_compute(policy=policy, as_of=as_of, version=version, batch=batch))


def recompute_execute(*, run_id: int, batch_size: int = SNAPSHOT_BATCH) -> RecomputeRun:
    """Do the work of a run (called by the task): batches of residents, facts read in bulk, snapshots
    upserted in bulk; unchanged input leaves a snapshot untouched, so running twice writes nothing.

    On PostgreSQL each batch is written by a second thread while the next is computed
    (``pipeline.BatchWriter``); the run's progress counts batches once they are committed."""
    from .pipeline import BatchWriter

    run = RecomputeRun.objects.select_related("policy").get(pk=run_id)
    if run.status not in (RecomputeRun.Status.QUEUED, RecomputeRun.Status.FAILED):
        return run
    run.status = RecomputeRun.Status.RUNNING
    run.started_at = timezone.now()
    run.total = recompute_residents(run).count()
    run.done = run.written = 0
    run.error = ""
    run.save(update_fields=["status", "started_at", "total", "done", "written", "error"])
    version = policy_version(run.policy)

    def store(computed: SnapshotBatch) -> None:
        written = snapshots_store(computed)
        RecomputeRun.objects.filter(pk=run.pk).update(
            done=F("done") + computed.residents, written=F("written") + written
        )

    try:
        with BatchWriter(store) as writer:
            last_pk = 0
            while True:
                batch = list(
                    recompute_residents(run, after=last_pk).values_list("pk", "birth_date")[:batch_size]
                )
                if not batch:
                    break
                last_pk = batch[-1][0]
                writer.submit(
                    snapshots_compute(policy=run.policy, as_of=run.as_of, version=version, batch=batch)
                )
    except Exception as error:
        RecomputeRun.objects.filter(pk=run.pk).update(
            status=RecomputeRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
        raise
    RecomputeRun.objects.filter(pk=run.pk).update(status=RecomputeRun.Status.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run


# --- department import -------------------------------------------------------------------------------


@dataclass
class RejectedLine:
    line: int
    field: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "error": self.error}


@dataclass
class ImportReport:
    """What an import did. ``rejected`` lines were not imported at all; the others were, in one transaction
    (or nothing was, with ``all_or_nothing`` and any rejected line)."""

    lines: int = 0
    imported_lines: int = 0
    facts_created: int = 0
    facts_updated: int = 0
    facts_unchanged: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    committed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "imported_lines": self.imported_lines,
            "facts_created": self.facts_created,
            "facts_updated": self.facts_updated,
            "facts_unchanged": self.facts_unchanged,
            "rejected": [r.to_json() for r in self.rejected],
            "committed": self.committed,
        }


class _Rollback(Exception):
    pass


def facts_import(
    *,
    actor: Any,
    department: Department,
    lines: Iterable[str],
    source_ref: str = "",
    all_or_nothing: bool = False,
) -> ImportReport:
    """Import a department's exchange-format lines (JSONL): upsert every fact a line gives, by ID number
    and fact kind.

    - A bad line (invalid JSON, field or value; an ID number of no registered resident) is rejected
      whole and reported with its line number, field and problem; none of its facts is imported.
    - The good lines are imported in one transaction: all of them or, on any unexpected error, none.
      With ``all_or_nothing=True`` a single rejected line cancels the whole file (the report still lists
      every rejected line).
    - Idempotent: a fact whose value is unchanged is not touched (no revision), so importing the same file
      twice changes nothing. Fields absent (or null) in a line are left as they are.
    - One audit event per import ("scoring.facts_import"); every changed fact has its ``FactRevision``.
    """
    require(
        actor is None
        or is_role(actor, Role.CENTRE_ADMIN)
        or (is_role(actor, Role.REVIEWER) and actor.department_id == department.pk),
        _("您无权为该部门导入数据。"),
    )
    report = ImportReport()
    today = timezone.localdate()
    parse_id = lambda raw: parse_id_number(raw, today=today)  # noqa: E731
    # id index → (line numbers, {kind: canonical value}); a later line about the same person wins, so a
    # file that mentions someone twice still imports idempotently.
    pending: dict[str, tuple[list[int], dict[str, Any]]] = {}
    for number, line in enumerate(lines, start=1):
        report.lines = number
        try:
            record = parse_exchange_line(line, parse_id=parse_id)
        except ExchangeError as error:
            report.rejected.append(RejectedLine(number, error.field or "", str(error)))
            continue
        values = {kind: field_to_exchange(kind, getattr(record.facts, kind)) for kind in record.present}
        numbers, merged = pending.setdefault(id_number_index(record.id_number), ([], {}))
        numbers.append(number)
        merged.update(values)
    people = list(pending.items())
    try:
        with transaction.atomic():
            for start in range(0, len(people), IMPORT_BATCH):
                _import_batch(actor, department, source_ref, people[start : start + IMPORT_BATCH], report)
            report.rejected.sort(key=lambda r: r.line)
            if all_or_nothing and report.rejected:
                raise _Rollback
            audit_record(
                actor=actor,
                action="scoring.facts_import",
                object_type="accounts.department",
                object_id=department.pk,
                after={k: v for k, v in report.to_json().items() if k != "rejected"}
                | {"rejected": len(report.rejected), "source_ref": source_ref},
            )
    except _Rollback:
        report.committed = False
        report.imported_lines = report.facts_created = report.facts_updated = report.facts_unchanged = 0
    return report


def _import_batch(
    actor: Any,
    department: Department,
    source_ref: str,
    batch: list[tuple[str, tuple[list[int], dict[str, Any]]]],
    report: ImportReport,
) -> None:
    residents = dict(
        Resident.objects.filter(id_number_index__in=[index for index, _lines in batch]).values_list(
            "id_number_index", "pk"
        )
    )
    ids = list(residents.values())
    existing: dict[tuple[int, str], Fact] = {
        (fact.resident_id, fact.kind): fact
        for fact in Fact.objects.select_for_update().filter(resident_id__in=ids).order_by("pk")
    }
    now = timezone.now()
    recorded_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    created: list[Fact] = []
    updated: list[Fact] = []
    revisions: list[FactRevision] = []
    for index, (numbers, values) in batch:
        resident_id = residents.get(index)
        if resident_id is None:
            message = "id_number: " + _("未找到该身份证号码对应的新市民（需先办理居住证登记）")
            report.rejected.extend(RejectedLine(number, "id_number", message) for number in numbers)
            continue
        report.imported_lines += len(numbers)
        for kind, value in values.items():
            fact = existing.get((resident_id, kind))
            if fact is not None and fact.value == value:
                report.facts_unchanged += 1
                continue
            old_value = fact.value if fact is not None else None
            if fact is None:
                fact = Fact(
                    resident_id=resident_id,
                    kind=kind,
                    value=value,
                    source=Fact.Source.DEPARTMENT_FEED,
                    source_ref=source_ref,
                    department=department,
                    recorded_at=now,
                    recorded_by=recorded_by,
                )
                created.append(fact)
                report.facts_created += 1
            else:
                fact.value = value
                fact.source = Fact.Source.DEPARTMENT_FEED
                fact.source_ref = source_ref
                fact.department = department
                fact.recorded_at = now
                fact.recorded_by = recorded_by
                updated.append(fact)
                report.facts_updated += 1
            revisions.append(
                FactRevision(
                    resident_id=resident_id,
                    kind=kind,
                    old_value=old_value,
                    new_value=value,
                    source=Fact.Source.DEPARTMENT_FEED,
                    source_ref=source_ref,
                    department=department,
                    recorded_at=now,
                    recorded_by=recorded_by,
                )
            )
    Fact.objects.bulk_create(created, batch_size=IMPORT_BATCH)
    Fact.objects.bulk_update(
        updated,
        ["value", "source", "source_ref", "department", "recorded_at", "recorded_by"],
        batch_size=IMPORT_BATCH,
    )
    FactRevision.objects.bulk_create(revisions, batch_size=IMPORT_BATCH)


__all__ = [
    "ImportReport",
    "RejectedLine",
    "SnapshotBatch",
    "canonical_fact_value",
    "facts_import",
    "facts_upsert",
    "policy_draft_copy",
    "policy_draft_update",
    "policy_publish",
    "recompute_execute",
    "recompute_start",
    "score_resident",
    "snapshot_resident",
    "snapshots_compute",
    "snapshots_refresh_batch",
    "snapshots_store",
]
