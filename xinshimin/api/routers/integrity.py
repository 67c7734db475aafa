"""API endpoints of the integrity area, mounted at /api/integrity/.

Auditors and the centre: audit plans, draws (seed, population, sample), findings (multipart with evidence),
sanction proposals and their approval by a second person, active bans, recoveries and payments. A resident:
``GET /me/ban`` (am I banned, until when). Visibility is the selectors' (404 for what the caller may not
see, empty lists for roles that see nothing); rules and their messages are the services'.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xinshimin.accounts.models import Department
from xinshimin.api.pagination import LimitOffsetPagination
from xinshimin.core.errors import ValidationFailed
from xinshimin.integrity import selectors, services
from xinshimin.integrity.gates import active_ban, ban_message
from xinshimin.integrity.models import AuditDraw, AuditPlan, AuditSample, Ban, Recovery, Sanction
from xinshimin.integrity.sampling import ALGORITHM
from xinshimin.residents.selectors import resident_for_user
from xinshimin.scenes.models import Scene

router = Router(tags=["integrity"])


# --- schemas -----------------------------------------------------------------------------------------


class PlanIn(Schema):
    name: str
    target: str
    rate: Decimal
    item_code: str = ""
    department: str = ""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    scene_id: int | None = None
    note: str = ""


class PlanOut(Schema):
    id: int
    name: str
    target: str
    rate: Decimal
    item_code: str
    department: str | None
    period_from: dt.date | None
    period_to: dt.date | None
    scene_id: int | None
    is_active: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_department(obj: AuditPlan) -> str | None:
        return obj.department.code if obj.department else None


class SampleOut(Schema):
    id: int
    position: int
    key: str
    object_type: str
    object_id: int
    subject: str
    resident_id: int
    resident_name_masked: str
    finding: str
    finding_label: str
    finding_note: str
    found_at: dt.datetime | None

    @staticmethod
    def resolve_object_type(obj: AuditSample) -> str:
        return "claims.claim" if obj.claim_id is not None else "scenes.application"

    @staticmethod
    def resolve_object_id(obj: AuditSample) -> int:
        return int(obj.claim_id if obj.claim_id is not None else obj.application_id or 0)

    @staticmethod
    def resolve_subject(obj: AuditSample) -> str:
        return obj.subject_label

    @staticmethod
    def resolve_resident_name_masked(obj: AuditSample) -> str:
        return obj.resident.masked_name

    @staticmethod
    def resolve_finding_label(obj: AuditSample) -> str:
        return str(obj.get_finding_display())


class DrawOut(Schema):
    id: int
    plan_id: int
    seed: str
    algorithm: str
    object_type: str
    rate: Decimal
    population_count: int
    population_digest: str
    population_ids: list[int]
    sample_size: int
    created_at: dt.datetime
    reproduces: bool
    samples: list[SampleOut]

    @staticmethod
    def resolve_algorithm(obj: AuditDraw) -> str:
        return ALGORITHM

    @staticmethod
    def resolve_reproduces(obj: AuditDraw) -> bool:
        return selectors.draw_reproduces(obj)

    @staticmethod
    def resolve_samples(obj: AuditDraw) -> list[Any]:
        return selectors.draw_samples(obj)


class ProposeIn(Schema):
    reason: str


class DecisionIn(Schema):
    note: str = ""


class BanOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    resident_id: int
    resident_name_masked: str
    sanction_reference: str | None

    @staticmethod
    def resolve_resident_name_masked(obj: Ban) -> str:
        return obj.resident.masked_name

    @staticmethod
    def resolve_sanction_reference(obj: Ban) -> str | None:
        return obj.sanction.reference


class SanctionOut(Schema):
    id: int
    reference: str | None
    status: str
    status_label: str
    resident_id: int
    resident_name_masked: str
    sample_id: int
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    effective_on: dt.date | None
    ban_ends_on: dt.date | None
    effects: dict[str, Any]

    @staticmethod
    def resolve_status_label(obj: Sanction) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_resident_name_masked(obj: Sanction) -> str:
        return obj.resident.masked_name

    @staticmethod
    def resolve_proposed_by(obj: Sanction) -> str:
        return obj.proposed_by.get_username()

    @staticmethod
    def resolve_decided_by(obj: Sanction) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None

    @staticmethod
    def resolve_ban_ends_on(obj: Sanction) -> dt.date | None:
        ban = Ban.objects.filter(sanction=obj).first()
        return ban.ends_on if ban else None


class PaymentIn(Schema):
    amount: Decimal
    received_on: dt.date
    reference: str = ""
    note: str = ""


class WriteOffIn(Schema):
    reason: str


class PaymentOut(Schema):
    id: int
    amount: Decimal
    received_on: dt.date
    reference: str


class RecoveryOut(Schema):
    id: int
    sanction_id: int
    resident_id: int
    application_id: int | None
    amount_due: Decimal
    amount_received: Decimal
    balance: Decimal
    status: str
    basis: str
    settled_on: dt.date | None
    write_off_reason: str
    payments: list[PaymentOut]

    @staticmethod
    def resolve_payments(obj: Recovery) -> list[Any]:
        return list(obj.payments.order_by("received_on", "pk"))


class MyBanOut(Schema):
    banned: bool
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    message: str = ""


# --- plans and draws ---------------------------------------------------------------------------------


@router.get("/plans", response=list[PlanOut])
@paginate(LimitOffsetPagination)
def list_plans(request: HttpRequest) -> QuerySet[AuditPlan]:
    return selectors.plans_visible_to(request.user)


@router.post("/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[AuditPlan]:
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            raise ValidationFailed(
                _("未知的部门代码 %(code)s，请使用部门列表中的代码。") % {"code": payload.department},
                field="department",
            )
    scene = None
    if payload.scene_id is not None:
        scene = Scene.objects.filter(pk=payload.scene_id).first() if 0 < payload.scene_id < 2**63 else None
        if scene is None:
            raise ValidationFailed(_("未找到该场景，请核对场景编号。"), field="scene_id")
    plan = services.audit_plan_create(
        actor=request.user,
        name=payload.name,
        target=payload.target,
        rate=payload.rate,
        item_code=payload.item_code,
        department=department,
        period_from=payload.period_from,
        period_to=payload.period_to,
        scene=scene,
        note=payload.note,
    )
    return Status(201, plan)


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int) -> AuditPlan:
    return selectors.plan_get(visible_to=request.user, pk=plan_id)


@router.post("/plans/{plan_id}/draws", response={201: DrawOut})
def create_draw(request: HttpRequest, plan_id: int) -> Status[AuditDraw]:
    """Draw a sample now: the seed is generated and recorded first; the response shows seed and sample."""
    plan = selectors.plan_get(visible_to=request.user, pk=plan_id)
    return Status(201, services.audit_draw_create(actor=request.user, plan=plan))


@router.get("/draws/{draw_id}", response=DrawOut)
def get_draw(request: HttpRequest, draw_id: int) -> AuditDraw:
    return selectors.draw_get(visible_to=request.user, pk=draw_id)


@router.get("/samples/{sample_id}", response=SampleOut)
def get_sample(request: HttpRequest, sample_id: int) -> AuditSample:
    return selectors.sample_get(visible_to=request.user, pk=sample_id)


@router.post("/samples/{sample_id}/finding", response=SampleOut)
def record_finding(
    request: HttpRequest,
    sample_id: int,
    finding: Form[str],
    note: Form[str] = "",
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> AuditSample:
    """Record the finding (multipart): ``no_issue``, ``discrepancy`` or ``fraud_suspected`` (with evidence)."""
    sample = selectors.sample_get(visible_to=request.user, pk=sample_id)
    return services.sample_record_finding(
        actor=request.user, sample=sample, finding=finding, note=note, files=evidence or []
    )


@router.post("/samples/{sample_id}/sanctions", response={201: SanctionOut})
def propose_sanction(request: HttpRequest, sample_id: int, payload: ProposeIn) -> Status[Sanction]:
    sample = selectors.sample_get(visible_to=request.user, pk=sample_id)
    return Status(201, services.sanction_propose(actor=request.user, sample=sample, reason=payload.reason))


# --- sanctions and bans ------------------------------------------------------------------------------


@router.get("/sanctions", response=list[SanctionOut])
@paginate(LimitOffsetPagination)
def list_sanctions(
    request: HttpRequest, status: str | None = None, to_decide: bool = False
) -> QuerySet[Sanction]:
    """Sanctions the caller may see; ``to_decide=true``: proposals by others waiting for a second person."""
    if to_decide:
        return selectors.sanctions_to_decide(user=request.user)
    rows = selectors.sanctions_visible_to(request.user)
    return rows.filter(status=status) if status else rows


@router.get("/sanctions/{sanction_id}", response=SanctionOut)
def get_sanction(request: HttpRequest, sanction_id: int) -> Sanction:
    return selectors.sanction_get(visible_to=request.user, pk=sanction_id)


@router.post("/sanctions/{sanction_id}/approve", response=SanctionOut)
def approve_sanction(request: HttpRequest, sanction_id: int, payload: DecisionIn) -> Sanction:
    """A second person approves: qualifications cancelled, points cleared, the 3-year ban starts."""
    sanction = selectors.sanction_get(visible_to=request.user, pk=sanction_id)
    return services.sanction_approve(actor=request.user, sanction=sanction, note=payload.note)


@router.post("/sanctions/{sanction_id}/reject", response=SanctionOut)
def reject_sanction(request: HttpRequest, sanction_id: int, payload: DecisionIn) -> Sanction:
    sanction = selectors.sanction_get(visible_to=request.user, pk=sanction_id)
    return services.sanction_reject(actor=request.user, sanction=sanction, note=payload.note)


@router.get("/bans", response=list[BanOut])
@paginate(LimitOffsetPagination)
def list_bans(request: HttpRequest) -> QuerySet[Ban]:
    """Bans in force today (the last day included)."""
    return selectors.bans_active(visible_to=request.user)


@router.get("/me/ban", response=MyBanOut)
def my_ban(request: HttpRequest) -> MyBanOut:
    """For a resident: whether they are barred from points services today, and until when."""
    resident = resident_for_user(request.user)
    ban = active_ban(resident, timezone.localdate()) if resident is not None else None
    if ban is None:
        return MyBanOut(banned=False)
    return MyBanOut(banned=True, starts_on=ban.starts_on, ends_on=ban.ends_on, message=ban_message(ban))


# --- recoveries --------------------------------------------------------------------------------------


@router.get("/recoveries", response=list[RecoveryOut])
@paginate(LimitOffsetPagination)
def list_recoveries(request: HttpRequest, status: str | None = None) -> QuerySet[Recovery]:
    rows = selectors.recoveries_visible_to(request.user)
    return rows.filter(status=status) if status else rows


@router.get("/recoveries/{recovery_id}", response=RecoveryOut)
def get_recovery(request: HttpRequest, recovery_id: int) -> Recovery:
    return selectors.recovery_get(visible_to=request.user, pk=recovery_id)


@router.post("/recoveries/{recovery_id}/payments", response={201: RecoveryOut})
def record_payment(request: HttpRequest, recovery_id: int, payload: PaymentIn) -> Status[Recovery]:
    recovery = selectors.recovery_get(visible_to=request.user, pk=recovery_id)
    services.recovery_payment_record(
        actor=request.user,
        recovery=recovery,
        amount=payload.amount,
        received_on=payload.received_on,
        reference=payload.reference,
        note=payload.note,
    )
    return Status(201, selectors.recovery_get(visible_to=request.user, pk=recovery_id))


@router.post("/recoveries/{recovery_id}/write-off", response=RecoveryOut)
def write_off(request: HttpRequest, recovery_id: int, payload: WriteOffIn) -> Recovery:
    recovery = selectors.recovery_get(visible_to=request.user, pk=recovery_id)
    return services.recovery_write_off(actor=request.user, recovery=recovery, reason=payload.reason)
