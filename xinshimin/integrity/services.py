"""Writes of the integrity area: audit plans, draws, findings, sanctions, recoveries.

Each function reads: authorise → validate → lock/load → check state → write → audit → notify after commit.

Decisions recorded here (spec §5 "Audits and fraud", guide 十 and 六(五) leave them open):

- **Who audits**: the centre's administrators and the auditors (``access.can_audit``). A sanction is
  proposed by one of them and approved (or rejected) by **another** one; the service refuses the proposer
  and a database CHECK refuses ``decided_by = proposed_by``.
- **What a sampled population is**: for a claims plan, the claims approved (or approved on recheck) whose
  decision fell in the plan's period, optionally of one item and/or one department; for a scene plan, the
  scene's applications that were not withdrawn. The draw freezes the ids with the seed.
- **What an approved sanction does**, in one transaction, rows locked in a fixed order (resident →
  sanction → claims by id → per application, by scene then id: scene → application (the order of
  ``scenes.services.application_revoke``) → certificates by id):
  1. open claims of the person are cancelled (status "withdrawn", with a timeline entry saying why);
  2. the facts established by the fraudulent claim (if the sample was a claim) are reverted to what they
     were before it, so they never count again;
  3. the person's scene applications of the current year, the sampled application, and (for a claim) every
     application ranked on or after the claim was approved are revoked by ``application_revoke``: before
     the final list rejected by a failed "integrity" check (and the ranking re-run without them), on a
     final list a "资格已取消" outcome (the school place or the subsidy is cancelled);
  4. unused welfare certificates are voided (``VoidedCertificate``; providers refuse them);
  5. the ban starts (``Ban``, first day = the approval day, last day = the day before the 3rd
     anniversary, see ``periods``);
  6. every housing subsidy paid on a revoked application gets a ``Recovery`` of the amount paid;
  7. the points are cleared: the snapshot as of the approval day is recomputed and is 0 (``clearance``);
  8. the resident is told in writing: an in-app notice and a text message pointing to the decision letter
     (page and PDF).
- **Recovery**: payments are recorded one by one (each audited); the amount received can never exceed the
  amount due (CHECK); when the balance reaches 0 the recovery is settled on the day of the last payment;
  the centre may write off the rest with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role, require
from xinshimin.accounts.models import Department, Role
from xinshimin.audit.services import audit_record
from xinshimin.claims.models import Claim, ClaimEvent
from xinshimin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from xinshimin.core.uploads import CleanFile, delete_private, sanitise_uploads, store_private
from xinshimin.notifications.services import notify
from xinshimin.residents.models import Resident
from xinshimin.scenes.models import Application, Outcome, RankingRow, RankingRun, Scene
from xinshimin.welfare.models import Certificate, Offer

from . import sampling
from .access import can_audit, can_manage_recoveries
from .models import (
    ZERO,
    AuditDraw,
    AuditPlan,
    AuditSample,
    Ban,
    FindingEvidence,
    Recovery,
    RecoveryPayment,
    Sanction,
    VoidedCertificate,
)
from .periods import ban_last_day, chinese_date

logger = logging.getLogger(__name__)

UPLOAD_AREA = "integrity"
NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 2000
CENT = Decimal("0.01")
CLAIM_POPULATION_STATUSES = (Claim.Status.APPROVED, Claim.Status.RECHECK_APPROVED)
APPLICATION_ACTIVE_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.UNDER_REVIEW,
    Application.Status.ELIGIBLE,
)


# --- helpers -----------------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _require_auditor(actor: Any) -> None:
    require(can_audit(actor), _("只有新居民服务中心管理员或审计员可以开展抽查审核和违规处理。"))


def _clean_text(
    text: str, *, field: str, required: bool, what: str, max_length: int = NOTE_MAX_LENGTH
) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(_("请填写%(what)s。") % {"what": what}, field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            _("%(what)s最多 %(max)d 个字，您填写了 %(count)d 个字。")
            % {"what": what, "max": max_length, "count": len(text)},
            field=field,
        )
    return text


def _money(value: Any, *, field: str, what: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("¥"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("请填写%(what)s（元），例如 1200.00。") % {"what": what}, field=field
        ) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValidationFailed(_("%(what)s最多两位小数（元、角、分）。") % {"what": what}, field=field)
    if amount <= 0:
        raise ValidationFailed(_("%(what)s必须大于 0。") % {"what": what}, field=field)
    return amount.quantize(CENT)


def yuan(value: Decimal | None) -> str:
    """¥1,234.50"""
    if value is None:
        return "—"
    return f"¥{Decimal(value):,.2f}"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- plans -------------------------------------------------------------------------------------------


def _clean_rate(rate: Any) -> Decimal:
    try:
        value = Decimal(str(rate).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("请填写抽查比例（百分比），例如 5 表示 5%。"), field="rate") from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise ValidationFailed(_("抽查比例应大于 0、不超过 100（百分比）。"), field="rate")
    if value != value.quantize(CENT):
        raise ValidationFailed(_("抽查比例最多保留两位小数，例如 2.50。"), field="rate")
    return value.quantize(CENT)


def audit_plan_create(
    *,
    actor: Any,
    name: str,
    target: str,
    rate: Any,
    item_code: str = "",
    department: Department | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    scene: Scene | None = None,
    note: str = "",
) -> AuditPlan:
    """Define what is sampled at which rate: approved claims (of an item and/or department, decided in a
    period) or the applications of one scene."""
    _require_auditor(actor)
    name = _clean_text(name, field="name", required=True, what=_("计划名称"), max_length=NAME_MAX_LENGTH)
    note = _clean_text(note, field="note", required=False, what=_("说明"))
    if target not in AuditPlan.Target.values:
        raise ValidationFailed(_("请选择抽查对象：积分申报或场景申请。"), field="target")
    clean_rate = _clean_rate(rate)
    item_code = (item_code or "").strip()
    if target == AuditPlan.Target.CLAIMS:
        scene = None
        if period_from is None or period_to is None:
            raise ValidationFailed(
                _("请填写审核通过日期的起止（抽查这段时间内审核通过的申报）。"), field="period_from"
            )
        if period_to < period_from:
            raise ValidationFailed(_("截止日期不能早于开始日期。"), field="period_to")
        if item_code:
            from xinshimin.claims.items import claimable_items

            codes = {item.code for item in claimable_items(timezone.localdate())}
            if item_code not in codes and not Claim.objects.filter(item_code=item_code).exists():
                raise ValidationFailed(
                    _("没有代码为 %(code)s 的积分指标，请从列表中选择。") % {"code": item_code},
                    field="item_code",
                )
    else:
        if scene is None:
            raise ValidationFailed(_("请选择要抽查的场景。"), field="scene")
        item_code, department, period_from, period_to = "", None, None, None
    with transaction.atomic():
        plan = AuditPlan.objects.create(
            name=name,
            target=target,
            rate=clean_rate,
            item_code=item_code,
            department=department,
            period_from=period_from,
            period_to=period_to,
            scene=scene,
            note=note,
            created_at=timezone.now(),
            created_by=actor,
        )
        audit_record(actor=actor, action="integrity.plan_create", obj=plan, after=_plan_summary(plan))
    return plan


def _plan_summary(plan: AuditPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "target": plan.target,
        "rate": plan.rate,
        "item_code": plan.item_code,
        "department": plan.department.code if plan.department else None,
        "period": [plan.period_from, plan.period_to],
        "scene": plan.scene.code if plan.scene else None,
        "is_active": plan.is_active,
    }


def audit_plan_set_active(*, actor: Any, plan: AuditPlan, active: bool) -> AuditPlan:
    """Stop (or resume) a plan: a stopped plan cannot be drawn; its draws and samples stay."""
    _require_auditor(actor)
    with transaction.atomic():
        plan = AuditPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.is_active == active:
            return plan
        plan.is_active = active
        plan.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="integrity.plan_activate" if active else "integrity.plan_stop",
            obj=plan,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return plan


# --- draws -------------------------------------------------------------------------------------------


def plan_population(plan: AuditPlan) -> list[tuple[int, int]]:
    """(object id, resident id) of everything the plan may draw today, by id."""
    if plan.target == AuditPlan.Target.CLAIMS:
        claims = Claim.objects.filter(
            status__in=CLAIM_POPULATION_STATUSES,
            decided_at__date__gte=plan.period_from,
            decided_at__date__lte=plan.period_to,
        )
        if plan.item_code:
            claims = claims.filter(item_code=plan.item_code)
        if plan.department_id:
            claims = claims.filter(department_id=plan.department_id)
        return list(claims.order_by("pk").values_list("pk", "resident_id"))
    assert plan.scene_id is not None  # a CHECK constraint: an applications plan has a scene
    applications = Application.objects.filter(scene_id=plan.scene_id).exclude(
        status=Application.Status.WITHDRAWN
    )
    return list(applications.order_by("pk").values_list("pk", "resident_id"))


def audit_draw_create(*, actor: Any, plan: AuditPlan) -> AuditDraw:
    """Draw a sample: a random seed is generated and stored (and audited) first, then the population is
    read, frozen with the draw, and the sample chosen from it with ``sampling.draw``."""
    _require_auditor(actor)
    with transaction.atomic():
        plan = (
            AuditPlan.objects.select_for_update(of=("self",))
            .select_related("scene", "department")
            .get(pk=plan.pk)
        )
        if not plan.is_active:
            raise Conflict(_("该抽查计划已停用，请先启用后再抽取。"), code="plan_stopped")
        seed = sampling.new_seed()
        draw = AuditDraw.objects.create(
            plan=plan,
            seed=seed,
            object_type=plan.object_type,
            rate=plan.rate,
            population_digest="",
            created_at=timezone.now(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="integrity.draw_seed",
            obj=draw,
            after={"plan": plan.pk, "seed": seed, "rate": plan.rate, "algorithm": sampling.ALGORITHM},
        )
        population = plan_population(plan)
        residents = dict(population)
        ids = [object_id for object_id, _resident in population]
        chosen = sampling.draw(seed, plan.object_type, ids, plan.rate)
        is_claim = plan.target == AuditPlan.Target.CLAIMS
        AuditSample.objects.bulk_create(
            [
                AuditSample(
                    draw=draw,
                    position=position,
                    key=key,
                    claim_id=object_id if is_claim else None,
                    application_id=None if is_claim else object_id,
                    resident_id=residents[object_id],
                )
                for position, (object_id, key) in enumerate(chosen, start=1)
            ]
        )
        draw.population_ids = ids
        draw.population_count = len(ids)
        draw.population_digest = sampling.population_digest(plan.object_type, ids)
        draw.sample_size = len(chosen)
        draw.save(update_fields=["population_ids", "population_count", "population_digest", "sample_size"])
        audit_record(
            actor=actor,
            action="integrity.draw",
            obj=draw,
            after={
                "plan": plan.pk,
                "object_type": plan.object_type,
                "population_count": len(ids),
                "population_digest": draw.population_digest,
                "sample": [object_id for object_id, _key in chosen],
            },
        )
    return draw


# --- findings ----------------------------------------------------------------------------------------


def _store_evidence(
    sample: AuditSample, files: Sequence[CleanFile], *, actor: Any, stored: list[str]
) -> None:
    now = timezone.now()
    for clean in files:
        path = store_private(clean, area=UPLOAD_AREA)
        stored.append(path)
        FindingEvidence.objects.create(
            sample=sample,
            file_path=path,
            original_name=clean.original_name[:100],
            content_type=clean.content_type,
            size=clean.size,
            sha256=clean.sha256,
            uploaded_at=now,
            uploaded_by=actor,
        )


def sample_record_finding(
    *, actor: Any, sample: AuditSample, finding: str, note: str = "", files: Sequence[Any] = ()
) -> AuditSample:
    """Record the audit's conclusion on one sample, once: no issue, a discrepancy, or suspected fraud.

    A discrepancy or suspected fraud needs a description; suspected fraud needs evidence (what shows the
    material is false: a department's written reply, a registry extract …)."""
    _require_auditor(actor)
    decided = (
        AuditSample.Finding.NO_ISSUE,
        AuditSample.Finding.DISCREPANCY,
        AuditSample.Finding.FRAUD_SUSPECTED,
    )
    if finding not in decided:
        raise ValidationFailed(
            _("请选择核查结论：未发现问题、发现不一致或涉嫌提供虚假材料。"), field="finding"
        )
    note = _clean_text(
        note, field="note", required=finding != AuditSample.Finding.NO_ISSUE, what=_("核查情况说明")
    )
    if finding == AuditSample.Finding.FRAUD_SUSPECTED and not files:
        raise ValidationFailed(
            _("认定涉嫌提供虚假材料时，请上传核查证据（如部门书面核实意见、登记信息截图）。"),
            field="evidence",
        )
    clean_files = sanitise_uploads(files) if files else []
    stored: list[str] = []
    try:
        with transaction.atomic():
            sample = (
                AuditSample.objects.select_for_update(of=("self",))
                .select_related("draw", "claim", "application", "resident")
                .get(pk=sample.pk)
            )
            if not sample.is_pending:
                assert sample.found_at is not None
                raise Conflict(
                    _("该样本已于 %(when)s 记录核查结论（%(finding)s），不能再次记录。")
                    % {
                        "when": timezone.localtime(sample.found_at).strftime("%Y-%m-%d %H:%M"),
                        "finding": sample.get_finding_display(),
                    },
                    code="finding_recorded",
                )
            sample.finding = finding
            sample.finding_note = note
            sample.found_at = timezone.now()
            sample.found_by = actor
            sample.save(update_fields=["finding", "finding_note", "found_at", "found_by"])
            _store_evidence(sample, clean_files, actor=actor, stored=stored)
            audit_record(
                actor=actor,
                action="integrity.finding",
                obj=sample,
                after={
                    "finding": finding,
                    "subject": sample.subject_label,
                    "resident": sample.resident_id,
                    "resident_name": sample.resident.masked_name,
                    "files": len(clean_files),
                },
                note=note,
            )
    except BaseException:
        for path in stored:
            delete_private(path)
        raise
    return sample


# --- sanctions ---------------------------------------------------------------------------------------


def sanction_propose(*, actor: Any, sample: AuditSample, reason: str) -> Sanction:
    """Propose a sanction on a sample found to be fraud; another person must approve it."""
    _require_auditor(actor)
    reason = _clean_text(reason, field="reason", required=True, what=_("认定的事实（提供了哪些虚假材料）"))
    with transaction.atomic():
        sample = (
            AuditSample.objects.select_for_update(of=("self",)).select_related("resident").get(pk=sample.pk)
        )
        if sample.finding != AuditSample.Finding.FRAUD_SUSPECTED:
            raise Conflict(
                _("只有核查结论为“涉嫌提供虚假材料”的样本才能提出违规处理，当前结论为“%(finding)s”。")
                % {"finding": sample.get_finding_display()},
                code="not_fraud",
            )
        existing = (
            Sanction.objects.filter(sample=sample)
            .filter(status__in=[Sanction.Status.PROPOSED, Sanction.Status.APPROVED])
            .first()
        )
        if existing is not None:
            raise Conflict(
                _("该样本已有违规处理（%(status)s），不能重复提出。")
                % {"status": existing.get_status_display()},
                code="sanction_exists",
            )
        try:
            with transaction.atomic():
                sanction = Sanction.objects.create(
                    resident=sample.resident,
                    sample=sample,
                    reason=reason,
                    proposed_at=timezone.now(),
                    proposed_by=actor,
                )
        except IntegrityError:
            raise Conflict(_("该样本已有违规处理，不能重复提出。"), code="sanction_exists") from None
        audit_record(
            actor=actor,
            action="integrity.sanction_propose",
            obj=sanction,
            after={
                "sample": sample.pk,
                "resident": sample.resident_id,
                "resident_name": sample.resident.masked_name,
                "status": sanction.status,
            },
            note=reason,
        )
    return sanction


def _require_second_person(actor: Any, sanction: Sanction, doing: str) -> None:
    _require_auditor(actor)
    if actor.pk == sanction.proposed_by_id:
        raise PermissionDenied(
            _("不能%(doing)s自己提出的违规处理：须由另一名服务中心管理员或审计员审批。") % {"doing": doing},
            code="self_approval",
        )


def sanction_reject(*, actor: Any, sanction: Sanction, note: str) -> Sanction:
    """The second person does not approve the proposal (with the reason); nothing else changes."""
    _require_second_person(actor, sanction, _("审批"))
    note = _clean_text(note, field="note", required=True, what=_("不予批准的理由"))
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if sanction.status != Sanction.Status.PROPOSED:
            raise Conflict(
                _("该违规处理当前状态为“%(status)s”，不能再审批。")
                % {"status": sanction.get_status_display()},
                code="not_proposed",
            )
        sanction.status = Sanction.Status.REJECTED
        sanction.decided_by = actor
        sanction.decided_at = timezone.now()
        sanction.decision_note = note
        sanction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="integrity.sanction_reject",
            obj=sanction,
            before={"status": Sanction.Status.PROPOSED},
            after={"status": sanction.status},
            note=note,
        )
    return sanction


def sanction_approve(
    *, actor: Any, sanction: Sanction, note: str = "", today: date | None = None
) -> Sanction:
    """Approve a proposed sanction (a second person): everything in the module docstring, in one transaction."""
    _require_second_person(actor, sanction, _("审批"))
    note = _clean_text(note, field="note", required=False, what=_("审批意见"))
    today = _today(today)
    with transaction.atomic():
        # Lock order: resident → sanction → claims → applications (and checks) → certificates.
        resident = Resident.objects.select_for_update().get(pk=sanction.resident_id)
        sanction = (
            Sanction.objects.select_for_update(of=("self",))
            .select_related("sample__claim", "sample__application")
            .get(pk=sanction.pk)
        )
        if sanction.status != Sanction.Status.PROPOSED:
            raise Conflict(
                _("该违规处理当前状态为“%(status)s”，不能再审批。")
                % {"status": sanction.get_status_display()},
                code="not_proposed",
            )
        if sanction.proposed_by_id == actor.pk:  # checked again under the lock
            raise PermissionDenied(_("不能审批自己提出的违规处理。"), code="self_approval")
        now = timezone.now()
        reference = f"WG-{today.year}-{sanction.pk:06d}"
        sanction.reference = reference
        context = _SanctionContext(actor=actor, sanction=sanction, resident=resident, today=today, now=now)
        effects: dict[str, Any] = {
            "claims_cancelled": _cancel_open_claims(context),
            "facts_reverted": _revert_fraudulent_claim(context),
            "applications_revoked": _revoke_applications(context),
            "certificates_voided": _void_certificates(context),
        }
        ban = Ban.objects.create(
            sanction=sanction,
            resident=resident,
            starts_on=today,
            ends_on=ban_last_day(today),
            created_at=now,
        )
        effects["ban"] = {"starts_on": ban.starts_on.isoformat(), "ends_on": ban.ends_on.isoformat()}
        sanction.status = Sanction.Status.APPROVED
        sanction.decided_by = actor
        sanction.decided_at = now
        sanction.decision_note = note
        sanction.effective_on = today
        sanction.save(
            update_fields=["reference", "status", "decided_by", "decided_at", "decision_note", "effective_on"]
        )
        effects["recoveries"] = _open_recoveries(context, effects["applications_revoked"])
        effects["points"] = _clear_points(context)
        sanction.effects = effects
        sanction.save(update_fields=["effects"])
        audit_record(
            actor=actor,
            action="integrity.sanction_approve",
            obj=sanction,
            before={"status": Sanction.Status.PROPOSED},
            after={
                "status": sanction.status,
                "reference": reference,
                "resident": resident.pk,
                "resident_name": resident.masked_name,
                "proposed_by": sanction.proposed_by_id,
                **effects,
            },
            note=note,
        )
        _notify_sanction(sanction)
    return sanction


class _SanctionContext:
    def __init__(self, *, actor: Any, sanction: Sanction, resident: Resident, today: date, now: Any):
        self.actor = actor
        self.sanction = sanction
        self.resident = resident
        self.today = today
        self.now = now

    @property
    def reason_note(self) -> str:
        return _("经抽查核实提供虚假材料（%(reference)s）") % {"reference": self.sanction.reference}


def _cancel_open_claims(ctx: _SanctionContext) -> list[dict[str, Any]]:
    """Open claims are cancelled: status withdrawn, with a timeline entry that says why."""
    done = []
    claims = (
        Claim.objects.select_for_update()
        .filter(resident=ctx.resident, status__in=Claim.OPEN_STATUSES)
        .order_by("pk")
    )
    for claim in claims:
        before = claim.status
        claim.status = Claim.Status.WITHDRAWN
        claim.closed_at = ctx.now
        claim.save(update_fields=["status", "closed_at", "updated_at"])
        ClaimEvent.objects.create(
            claim=claim,
            at=ctx.now,
            action="sanction_cancel",
            status=claim.status,
            actor=ctx.actor,
            actor_label=_("新居民服务中心"),
            note=_("%(why)s，本件申报已取消。") % {"why": ctx.reason_note},
        )
        audit_record(
            actor=ctx.actor,
            action="integrity.claim_cancel",
            obj=claim,
            before={"status": before},
            after={"status": claim.status, "sanction": ctx.sanction.reference},
        )
        done.append({"reference": claim.reference, "item": claim.item_label, "was": before})
    return done


def _revert_fraudulent_claim(ctx: _SanctionContext) -> list[dict[str, Any]]:
    """The fact written when the fraudulent claim was approved is set back to what it was before.

    If the fact changed since (a later feed), only the entries the claim added are removed (list facts);
    a changed single value is left for the department to correct and reported as not reverted."""
    from xinshimin.scoring.models import Fact, FactRevision
    from xinshimin.scoring.services import facts_upsert

    claim = ctx.sanction.sample.claim
    if claim is None or not claim.reference or not claim.fact_kind:
        return []
    revision = (
        FactRevision.objects.filter(
            resident=ctx.resident,
            kind=claim.fact_kind,
            source=Fact.Source.APPROVED_CLAIM,
            source_ref=claim.reference,
        )
        .order_by("-recorded_at", "-id")
        .first()
    )
    result: dict[str, Any] = {"claim": claim.reference, "kind": claim.fact_kind, "reverted": False}
    if revision is None:
        result["why"] = "no fact was written by this claim"
        return [result]
    current = Fact.objects.filter(resident=ctx.resident, kind=claim.fact_kind).values_list("value", flat=True)
    current_value = current.first()
    if current_value == revision.new_value:
        restored = revision.old_value
    elif isinstance(current_value, list) and isinstance(revision.new_value, list):
        added = [e for e in revision.new_value if e not in (revision.old_value or [])]
        restored = [e for e in current_value if e not in added]
    else:
        result["why"] = "the fact changed after the claim; the department must correct it"
        return [result]
    previous = (
        FactRevision.objects.filter(
            resident=ctx.resident, kind=claim.fact_kind, recorded_at__lt=revision.recorded_at
        )
        .order_by("-recorded_at", "-id")
        .values_list("source", flat=True)
        .first()
    )
    facts_upsert(
        actor=None,  # the system restores the record; the sanction's audit event names the approver
        resident=ctx.resident,
        kind=claim.fact_kind,
        value=restored if restored not in ([], "") else None,
        source=previous or Fact.Source.DEPARTMENT_FEED,
        source_ref=ctx.sanction.reference or "",
        department=claim.department,
    )
    ClaimEvent.objects.create(
        claim=claim,
        at=ctx.now,
        action="sanction_revoke",
        status=claim.status,
        actor=ctx.actor,
        actor_label=_("新居民服务中心"),
        note=_("%(why)s，本件申报认定的积分已撤销。") % {"why": ctx.reason_note},
    )
    audit_record(
        actor=ctx.actor,
        action="integrity.claim_revoke",
        obj=claim,
        after={"fact": claim.fact_kind, "reverted": True, "sanction": ctx.sanction.reference},
    )
    result["reverted"] = True
    return [result]


def _tainted_application_ids(ctx: _SanctionContext) -> set[int]:
    """Applications whose qualification is cancelled: this year's, the sampled one, and (for a claim)
    those ranked on points that included the fraudulent claim (scene as-of on or after its approval)."""
    rows = Application.objects.filter(resident=ctx.resident)
    condition = Q(year=ctx.today.year)
    sample = ctx.sanction.sample
    if sample.application_id is not None:
        condition |= Q(pk=sample.application_id)
    claim = sample.claim
    if claim is not None and claim.decided_at is not None:
        condition |= Q(scene__as_of__gte=timezone.localdate(claim.decided_at))
    return set(rows.filter(condition).values_list("pk", flat=True))


def _revoke_applications(ctx: _SanctionContext) -> list[dict[str, Any]]:
    """Cancel each tainted application through ``scenes.services.application_revoke`` (before the final
    list: rejected with a failed "integrity" check, and the ranking re-run without it; on a final list: a
    "revoked" outcome). Applications are taken by scene, then id: that service locks scene → application."""
    from xinshimin.scenes.services import application_revoke

    ids = _tainted_application_ids(ctx)
    applications = (
        Application.objects.select_related("scene")
        .filter(pk__in=ids)
        .exclude(status=Application.Status.WITHDRAWN)
        .order_by("scene_id", "pk")
    )
    # The scenes service is the centre's; an auditor's approval is carried out by the system and the
    # sanction's own audit event names the approver.
    revoker = ctx.actor if is_role(ctx.actor, Role.CENTRE_ADMIN) else None
    done = []
    for application in applications:
        outcomes = list(application.outcomes.values_list("kind", flat=True))
        if Outcome.Kind.REVOKED in outcomes:
            continue  # already revoked
        on_final_list = RankingRow.objects.filter(
            application=application, run__status=RankingRun.Status.FINAL
        ).exists()
        if application.status == Application.Status.REJECTED and not on_final_list:
            continue  # refused already: nothing was obtained
        before = application.status
        application = application_revoke(
            actor=revoker,
            application=application,
            reason=_("%(why)s，取消其“%(scene)s”资格。")
            % {"why": ctx.reason_note, "scene": application.scene.name},
        )
        paid = application.outcomes.filter(kind=Outcome.Kind.SUBSIDY_PAID).aggregate(total=Sum("amount_yuan"))
        done.append(
            {
                "application": application.pk,
                "number": application.number,
                "scene": application.scene.name,
                "kind": application.kind,
                "year": application.year,
                "was": before,
                "obtained": [k for k in outcomes if k != Outcome.Kind.REVOKED],
                "final_list": on_final_list,
                "subsidy_paid": str(paid["total"] or ZERO),
            }
        )
    return done


def _void_certificates(ctx: _SanctionContext) -> list[dict[str, Any]]:
    """Unused certificates that could still be used are voided."""
    certificates = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("redemption__offer")
        .filter(redemption__resident=ctx.resident, used_at__isnull=True, integrity_void__isnull=True)
        .exclude(redemption__offer__status=Offer.Status.CANCELLED)
        .exclude(redemption__offer__use_until__lt=ctx.now)
        .order_by("pk")
    )
    done = []
    for certificate in certificates:
        VoidedCertificate.objects.create(certificate=certificate, sanction=ctx.sanction, voided_at=ctx.now)
        offer = certificate.redemption.offer
        audit_record(
            actor=ctx.actor,
            action="integrity.certificate_void",
            obj=certificate,
            after={"offer": offer.pk, "sanction": ctx.sanction.reference},
        )
        done.append(
            {
                "certificate": certificate.pk,
                "code": certificate.display_code[:5] + "-*****",
                "offer": offer.title,
            }
        )
    return done


def _open_recoveries(ctx: _SanctionContext, revoked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A recovery of what was paid on every revoked housing application (guide 六(五))."""
    done = []
    for entry in revoked:
        if entry["kind"] != Scene.Kind.HOUSING:
            continue
        payments = list(
            Outcome.objects.filter(
                application_id=entry["application"], kind=Outcome.Kind.SUBSIDY_PAID
            ).order_by("period_from", "pk")
        )
        amount = sum((p.amount_yuan or ZERO for p in payments), ZERO)
        if amount <= 0:
            continue
        basis = _("%(scene)s（申请编号 %(number)s）已发放补贴 %(count)d 次，合计 %(amount)s：") % {
            "scene": entry["scene"],
            "number": entry["number"],
            "count": len(payments),
            "amount": yuan(amount),
        } + "；".join(
            _("%(from)s 起 %(months)s 个月 %(amount)s")
            % {
                "from": p.period_from.strftime("%Y-%m") if p.period_from else "—",
                "months": p.months or "—",
                "amount": yuan(p.amount_yuan),
            }
            for p in payments
        )
        recovery = Recovery.objects.create(
            sanction=ctx.sanction,
            resident=ctx.resident,
            application_id=entry["application"],
            amount_due=amount,
            basis=basis,
            created_at=ctx.now,
            created_by=ctx.actor,
        )
        audit_record(
            actor=ctx.actor,
            action="integrity.recovery_open",
            obj=recovery,
            after={"amount_due": amount, "application": entry["number"], "sanction": ctx.sanction.reference},
        )
        done.append({"recovery": recovery.pk, "application": entry["number"], "amount_due": str(amount)})
    return done


def _clear_points(ctx: _SanctionContext) -> dict[str, Any]:
    """Recompute the snapshot as of the sanction day: the ban now exists, so it is 0 (see ``clearance``)."""
    from xinshimin.scoring.services import snapshot_resident

    # Incremental recomputes ("changed since …") must pick the person up.
    Resident.objects.filter(pk=ctx.resident.pk).update(updated_at=ctx.now)
    try:
        snapshot = snapshot_resident(resident=ctx.resident, as_of=ctx.today)
    except NotFound:  # no policy in force that day: nothing to snapshot (every later snapshot is 0 anyway)
        return {"as_of": ctx.today.isoformat(), "total": None}
    return {
        "as_of": ctx.today.isoformat(),
        "total": str(snapshot.total),
        "policy": snapshot.policy.version_id,
    }


def sanction_letter_url(sanction: Sanction) -> str:
    return reverse("web:integrity_letter", args=[sanction.pk])


def _notify_sanction(sanction: Sanction) -> None:
    """After commit: the written notice (in-app notice + text message) pointing to the decision letter."""
    sanction_id = sanction.pk

    def send() -> None:
        fresh = Sanction.objects.select_related("resident", "ban").get(pk=sanction_id)
        ban = fresh.ban
        try:
            notify(
                resident=fresh.resident,
                title=_("违规处理决定书"),
                body=_(
                    "经抽查核实，您在申请积分制服务时提供了虚假材料。自 %(start)s 起取消您当年的积分申请兑换资格，"
                    "积分清零，%(end)s 前不得申请积分制服务。决定书编号 %(reference)s，请登录查看。"
                )
                % {
                    "start": chinese_date(ban.starts_on),
                    "end": chinese_date(ban.ends_on),
                    "reference": fresh.reference,
                },
                link=sanction_letter_url(fresh),
                sms=True,
            )
        except Exception:  # a notice must never undo or block the decision it reports
            logger.exception("could not notify the resident of sanction %s", sanction_id)
            return
        Sanction.objects.filter(pk=sanction_id).update(notified_at=timezone.now())

    transaction.on_commit(send)


# --- recoveries --------------------------------------------------------------------------------------


def recovery_create(
    *, actor: Any, sanction: Sanction, amount_due: Any, basis: str, application: Application | None = None
) -> Recovery:
    """Record an amount due that the platform has no payment records for (e.g. a subsidy paid before the
    platform, or by a department outside it)."""
    require(can_manage_recoveries(actor), _("只有新居民服务中心管理员可以登记追回事项。"))
    amount = _money(amount_due, field="amount_due", what=_("应追回金额"))
    basis = _clean_text(basis, field="basis", required=True, what=_("计算依据"))
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if sanction.status != Sanction.Status.APPROVED:
            raise Conflict(_("违规处理生效后才能登记追回事项。"), code="not_approved")
        if application is not None and application.resident_id != sanction.resident_id:
            raise ValidationFailed(_("该申请不属于被处理人。"), field="application")
        try:
            with transaction.atomic():
                recovery = Recovery.objects.create(
                    sanction=sanction,
                    resident_id=sanction.resident_id,
                    application=application,
                    amount_due=amount,
                    basis=basis,
                    created_at=timezone.now(),
                    created_by=actor,
                )
        except IntegrityError:
            raise Conflict(_("该申请已有追回记录。"), code="recovery_exists") from None
        audit_record(
            actor=actor,
            action="integrity.recovery_open",
            obj=recovery,
            after={"amount_due": amount, "sanction": sanction.reference, "manual": True},
            note=basis,
        )
    return recovery


def recovery_payment_record(
    *,
    actor: Any,
    recovery: Recovery,
    amount: Any,
    received_on: date,
    reference: str = "",
    note: str = "",
    today: date | None = None,
) -> RecoveryPayment:
    """Record one payment received. It may not exceed the balance; at 0 the recovery is settled."""
    require(can_manage_recoveries(actor), _("只有新居民服务中心管理员可以登记追回到账。"))
    today = _today(today)
    value = _money(amount, field="amount", what=_("到账金额"))
    reference = _clean_text(reference, field="reference", required=False, what=_("收据号"), max_length=64)
    note = _clean_text(note, field="note", required=False, what=_("备注"), max_length=200)
    if received_on > today:
        raise ValidationFailed(
            _("到账日期不能晚于今天（%(today)s）。") % {"today": today}, field="received_on"
        )
    with transaction.atomic():
        recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
        if recovery.status != Recovery.Status.OPEN:
            raise Conflict(
                _("该追回事项状态为“%(status)s”，不能再登记到账。")
                % {"status": recovery.get_status_display()},
                code="recovery_closed",
            )
        if value > recovery.balance:
            raise ValidationFailed(
                _("到账金额 %(amount)s 超过尚欠金额 %(balance)s，请核对。")
                % {"amount": yuan(value), "balance": yuan(recovery.balance)},
                field="amount",
            )
        payment = RecoveryPayment.objects.create(
            recovery=recovery,
            amount=value,
            received_on=received_on,
            reference=reference,
            note=note,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        before = {"amount_received": recovery.amount_received, "status": recovery.status}
        recovery.amount_received += value
        fields = ["amount_received"]
        if recovery.balance == 0:
            recovery.status = Recovery.Status.SETTLED
            last = recovery.payments.order_by("-received_on").values_list("received_on", flat=True).first()
            recovery.settled_on = last or received_on
            fields += ["status", "settled_on"]
        recovery.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="integrity.recovery_payment",
            obj=recovery,
            before=before,
            after={
                "payment": payment.pk,
                "amount": value,
                "received_on": received_on,
                "amount_received": recovery.amount_received,
                "balance": recovery.balance,
                "status": recovery.status,
            },
            note=note,
        )
    return payment


def recovery_write_off(*, actor: Any, recovery: Recovery, reason: str) -> Recovery:
    """Stop pursuing what is still owed (e.g. the person died, or cannot be found), with the reason."""
    require(can_manage_recoveries(actor), _("只有新居民服务中心管理员可以核销追回事项。"))
    reason = _clean_text(reason, field="reason", required=True, what=_("核销原因"))
    with transaction.atomic():
        recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
        if recovery.status != Recovery.Status.OPEN:
            raise Conflict(
                _("该追回事项状态为“%(status)s”，不能核销。") % {"status": recovery.get_status_display()},
                code="recovery_closed",
            )
        recovery.status = Recovery.Status.WRITTEN_OFF
        recovery.written_off_at = timezone.now()
        recovery.written_off_by = actor
        recovery.write_off_reason = reason
        recovery.save(update_fields=["status", "written_off_at", "written_off_by", "write_off_reason"])
        audit_record(
            actor=actor,
            action="integrity.recovery_write_off",
            obj=recovery,
            before={"status": Recovery.Status.OPEN},
            after={"status": recovery.status, "balance": recovery.balance},
            note=reason,
        )
    return recovery


__all__ = [
    "audit_draw_create",
    "audit_plan_create",
    "audit_plan_set_active",
    "plan_population",
    "recovery_create",
    "recovery_payment_record",
    "recovery_write_off",
    "sample_record_finding",
    "sanction_approve",
    "sanction_letter_url",
    "sanction_propose",
    "sanction_reject",
]
