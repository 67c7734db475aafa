"""API endpoints of the claims area, mounted at /api/claims/.

Residents and window clerks file claims (multipart: the fields plus ``evidence`` files; ``value`` is the
exchange-format JSON value of the item's field); reviewers work their department's queue. Visibility is
the selectors' (404 for a claim the caller may not see); rules and their messages are the services'.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xinshimin.api.pagination import LimitOffsetPagination
from xinshimin.claims.items import claimable_items
from xinshimin.claims.models import Claim
from xinshimin.claims.selectors import (
    claim_get,
    claim_list,
    claim_public_status,
    claim_timeline,
    evidence_get,
    queue_counts,
    review_queue,
)
from xinshimin.claims.services import (
    claim_approve,
    claim_file,
    claim_lapse_if_overdue,
    claim_recheck_decide,
    claim_reject,
    claim_request_evidence,
    claim_request_recheck,
    claim_start_review,
    claim_supply_evidence,
    claim_withdraw,
    dispute_window_message,
    review_period_next,
    review_period_on,
)
from xinshimin.claims.throttle import lookup_blocked, lookup_failed
from xinshimin.core.errors import NotFound, ValidationFailed
from xinshimin.core.uploads import private_file_response
from xinshimin.residents.selectors import resident_for_user, resident_get

router = Router(tags=["claims"])


class ItemOut(Schema):
    code: str
    group: str
    label: str
    department: str
    department_name: str
    field: str | None
    may_claim: bool
    may_dispute: bool
    why_not: str


class PeriodOut(Schema):
    open: bool
    current_start: dt.date | None = None
    current_end: dt.date | None = None
    next_start: dt.date | None = None
    next_end: dt.date | None = None
    message: str


class EvidenceOut(Schema):
    id: int
    stage: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class ClaimOut(Schema):
    id: int
    reference: str | None
    kind: str
    item_code: str
    item_label: str
    fact_kind: str
    department: str
    status: str
    status_label: str
    channel: str
    resident_name_masked: str
    submitted_on: dt.date
    due_on: dt.date
    evidence_due_on: dt.date | None
    overdue: bool

    @staticmethod
    def resolve_department(obj: Claim) -> str:
        return obj.department.code

    @staticmethod
    def resolve_status_label(obj: Claim) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_resident_name_masked(obj: Claim) -> str:
        return obj.resident.masked_name

    @staticmethod
    def resolve_overdue(obj: Claim) -> bool:
        return obj.is_overdue(timezone.localdate())


class StepOut(Schema):
    title: str
    note: str
    actor: str
    at: dt.datetime | None
    by: dt.date | None
    done: bool
    late: bool


class ClaimDetailOut(ClaimOut):
    proposed_value: Any
    current_value: Any
    approved_value: Any
    statement: str
    reject_reason: str
    decision_note: str
    evidence_request_note: str
    recheck_requested_on: dt.date | None
    evidence: list[EvidenceOut]
    timeline: list[StepOut]

    @staticmethod
    def resolve_evidence(obj: Claim) -> list[Any]:
        return list(obj.evidence.all())

    @staticmethod
    def resolve_timeline(obj: Claim) -> list[Any]:
        return list(claim_timeline(obj))


class QueueCountsOut(Schema):
    open: int
    due_soon: int
    overdue: int
    rechecks: int


class PublicStatusOut(Schema):
    reference: str
    item_label: str
    kind_label: str
    status: str
    status_label: str
    submitted_on: dt.date
    due_on: dt.date | None
    evidence_due_on: dt.date | None


class ApproveIn(Schema):
    value: Any = None
    note: str = ""


class RejectIn(Schema):
    reason: str
    note: str = ""


class EvidenceRequestIn(Schema):
    note: str
    working_days: int = 5


class RecheckDecisionIn(Schema):
    decision: Literal["approve", "uphold"]
    value: Any = None
    reason: str = ""
    note: str = ""


def _get(request: HttpRequest, claim_id: int) -> Claim:
    return claim_lapse_if_overdue(claim=claim_get(visible_to=request.user, pk=claim_id))


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValidationFailed(
            _(
                'value 应为 JSON 格式的字段值，例如 "bachelor"、36 或 [{"date": "2024-05-01", "hours": 12.5}]。'
            ),
            field="value",
        ) from None


@router.get("/items", response=list[ItemOut])
def list_items(request: HttpRequest) -> list[ItemOut]:
    """The items of the policy in force, with the reviewing department and what may be filed."""
    return [
        ItemOut(
            code=i.code,
            group=i.group,
            label=i.label,
            department=i.department_code,
            department_name=i.department_name_zh,
            field=i.field,
            may_claim=i.may_claim,
            may_dispute=i.may_dispute,
            why_not=i.why_not,
        )
        for i in claimable_items(timezone.localdate())
    ]


@router.get("/review-period", response=PeriodOut, auth=None)
def review_period(request: HttpRequest) -> PeriodOut:
    """Whether disputes are accepted today, and the next review period."""
    today = timezone.localdate()
    current = review_period_on(today)
    upcoming = review_period_next(today)
    return PeriodOut(
        open=current is not None,
        current_start=current.starts_on if current else None,
        current_end=current.ends_on if current else None,
        next_start=upcoming.starts_on if upcoming else None,
        next_end=upcoming.ends_on if upcoming else None,
        message="" if current else dispute_window_message(today),
    )


@router.get("/track", response=PublicStatusOut, auth=None)
def track(request: HttpRequest, reference: str, id_last4: str) -> Any:
    """Public: status only, by reference code and the last 4 characters of the ID number."""
    client = str(request.META.get("REMOTE_ADDR", ""))
    if lookup_blocked(client):
        body = {"error": {"code": "rate_limited", "message": _("查询失败次数过多，请 15 分钟后再试。")}}
        return HttpResponse(json.dumps(body, ensure_ascii=False), status=429, content_type="application/json")
    try:
        return claim_public_status(reference=reference, id_last4=id_last4)
    except NotFound:
        lookup_failed(client)
        raise


@router.get("/queue/counts", response=QueueCountsOut)
def my_queue_counts(request: HttpRequest) -> Any:
    return queue_counts(reviewer=request.user)


@router.get("", response=list[ClaimOut])
@paginate(LimitOffsetPagination)
def list_claims(
    request: HttpRequest,
    status: str | None = None,
    overdue: bool = False,
    item: str | None = None,
    queue: bool = False,
) -> QuerySet[Claim]:
    """Claims the caller may see; ``queue=true`` for a reviewer's queue (open, earliest deadline first)."""
    if queue:
        return review_queue(reviewer=request.user, status=status, overdue=overdue, item=item)
    return claim_list(visible_to=request.user, status=status, overdue=overdue, item=item)


@router.post("", response={201: ClaimDetailOut})
def file_claim(
    request: HttpRequest,
    kind: Form[str],
    item_code: Form[str],
    value: Form[str],
    statement: Form[str] = "",
    resident_id: Form[int | None] = None,
    consent: Form[bool] = False,
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[Claim]:
    """File a claim or dispute (multipart). A resident files for themself; a window clerk passes
    ``resident_id`` (a resident of their town) and ``consent=true``."""
    if resident_id is None:
        resident = resident_for_user(request.user)
        if resident is None:
            raise ValidationFailed(_("请指定申请人（resident_id）。"), field="resident_id")
    else:
        resident = resident_get(visible_to=request.user, pk=resident_id)
    claim = claim_file(
        actor=request.user,
        resident=resident,
        kind=kind,
        item_code=item_code,
        value=_json_value(value),
        statement=statement,
        files=evidence or [],
        consent=consent,
    )
    return Status(201, claim)


@router.get("/{claim_id}", response=ClaimDetailOut)
def get_claim(request: HttpRequest, claim_id: int) -> Claim:
    return _get(request, claim_id)


@router.get("/{claim_id}/evidence/{evidence_id}")
def download_evidence(request: HttpRequest, claim_id: int, evidence_id: int) -> HttpResponseBase:
    """One evidence file, for reviewers of the claim's department; served as an attachment (nosniff)."""
    evidence = evidence_get(visible_to=request.user, claim_pk=claim_id, pk=evidence_id)
    return private_file_response(
        evidence.file_path, download_name=evidence.original_name, content_type=evidence.content_type
    )


@router.post("/{claim_id}/start-review", response=ClaimDetailOut)
def start_review(request: HttpRequest, claim_id: int) -> Claim:
    return claim_start_review(actor=request.user, claim=_get(request, claim_id))


@router.post("/{claim_id}/approve", response=ClaimDetailOut)
def approve(request: HttpRequest, claim_id: int, payload: ApproveIn) -> Claim:
    return claim_approve(
        actor=request.user, claim=_get(request, claim_id), value=payload.value, note=payload.note
    )


@router.post("/{claim_id}/reject", response=ClaimDetailOut)
def reject(request: HttpRequest, claim_id: int, payload: RejectIn) -> Claim:
    return claim_reject(
        actor=request.user, claim=_get(request, claim_id), reason=payload.reason, note=payload.note
    )


@router.post("/{claim_id}/request-evidence", response=ClaimDetailOut)
def request_evidence(request: HttpRequest, claim_id: int, payload: EvidenceRequestIn) -> Claim:
    return claim_request_evidence(
        actor=request.user,
        claim=_get(request, claim_id),
        note=payload.note,
        working_days=payload.working_days,
    )


@router.post("/{claim_id}/supply-evidence", response=ClaimDetailOut)
def supply_evidence(
    request: HttpRequest,
    claim_id: int,
    note: Form[str] = "",
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Claim:
    return claim_supply_evidence(
        actor=request.user, claim=_get(request, claim_id), files=evidence or [], note=note
    )


@router.post("/{claim_id}/withdraw", response=ClaimDetailOut)
def withdraw(request: HttpRequest, claim_id: int) -> Claim:
    return claim_withdraw(actor=request.user, claim=_get(request, claim_id))


@router.post("/{claim_id}/recheck", response=ClaimDetailOut)
def recheck(
    request: HttpRequest,
    claim_id: int,
    reason: Form[str],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Claim:
    return claim_request_recheck(
        actor=request.user, claim=_get(request, claim_id), reason=reason, files=evidence or []
    )


@router.post("/{claim_id}/recheck-decision", response=ClaimDetailOut)
def recheck_decision(request: HttpRequest, claim_id: int, payload: RecheckDecisionIn) -> Claim:
    return claim_recheck_decide(
        actor=request.user,
        claim=_get(request, claim_id),
        approve=payload.decision == "approve",
        value=payload.value,
        reason=payload.reason,
        note=payload.note,
    )
