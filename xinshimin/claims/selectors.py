"""Reads of claims. Visibility is part of the query: a claim a user may not see is never fetched.

- a resident: their own claims;
- a reviewer: the claims routed to their department;
- a window clerk: the claims of residents of their town;
- the centre and auditors: every claim (read-only);
- anyone else: none.

Evidence files may be opened only by the reviewers of the claim's department (the people who review it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.core.errors import NotFound
from xinshimin.residents.idnumber import normalise_id_number

from .items import ClaimableItem
from .models import Claim, ClaimEvent, ClaimQuerySet, Evidence

DUE_SOON_WORKING_DAYS = 2


def item_current_value(resident: Any, item: ClaimableItem, today: date) -> Any:
    """The resident's present value for an item's field, in the exchange format (for a deduction item
    only the entries of its kind); None when there is no record."""
    from xinshimin.policies import facts_to_exchange
    from xinshimin.scoring.selectors import resident_facts

    if item.field is None:
        return None
    value = facts_to_exchange(resident_facts(resident, as_of=today)).get(item.field)
    if item.match_kind and isinstance(value, list):
        value = [entry for entry in value if entry.get("kind") == item.match_kind]
    return value


def claim_scope(user: Any) -> Q | None:
    """The condition for the claims ``user`` may see; None means none at all."""
    if is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR):
        return Q()
    if is_role(user, Role.REVIEWER):
        return Q(department_id=user.department_id) if user.department_id else None
    if is_role(user, Role.CLERK):
        return Q(resident__town_id=user.town_id) if user.town_id else None
    if is_role(user, Role.RESIDENT):
        return Q(resident__user_id=user.pk)
    return None


def claims_visible_to(user: Any) -> ClaimQuerySet:
    scope = claim_scope(user)
    if scope is None:
        return Claim.objects.none()
    return Claim.objects.filter(scope)


def claim_list(
    *,
    visible_to: Any,
    status: str | None = None,
    overdue: bool = False,
    item: str | None = None,
    kind: str | None = None,
    resident: Any = None,
    today: date | None = None,
) -> ClaimQuerySet:
    """Claims ``visible_to`` may see, filtered. ``overdue``: waiting for the department past ``due_on``."""
    today = today or timezone.localdate()
    rows = claims_visible_to(visible_to).select_related("resident", "department", "resident__town")
    if status == "open":
        rows = rows.open()
    elif status:
        rows = rows.filter(status=status)
    if overdue:
        rows = rows.overdue(today)
    if item:
        rows = rows.filter(item_code=item)
    if kind:
        rows = rows.filter(kind=kind)
    if resident is not None:
        rows = rows.filter(resident=resident)
    return rows


def review_queue(
    *,
    reviewer: Any,
    status: str | None = None,
    overdue: bool = False,
    item: str | None = None,
    today: date | None = None,
) -> ClaimQuerySet:
    """A reviewer's queue: their department's claims, the open ones by default, earliest deadline first."""
    if not is_role(reviewer, Role.REVIEWER):
        return Claim.objects.none()
    rows = claim_list(visible_to=reviewer, status=status or "open", overdue=overdue, item=item, today=today)
    return rows.order_by("due_on", "filed_at", "pk")


def claim_get(*, visible_to: Any, pk: Any) -> Claim:
    """One claim ``visible_to`` may see, or ``NotFound`` (also when it exists but is hidden)."""
    try:
        return (
            claims_visible_to(visible_to)
            .select_related("resident", "resident__town", "department", "filed_by", "decided_by")
            .get(pk=pk)
        )
    except (Claim.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该申报，或您无权查看。")) from None


def evidence_get(*, visible_to: Any, claim_pk: Any, pk: Any) -> Evidence:
    """One evidence file of a claim, for the reviewers of the claim's department only."""
    if not is_role(visible_to, Role.REVIEWER) or not visible_to.department_id:
        raise NotFound(_("未找到该材料，或您无权查看。"))
    try:
        return Evidence.objects.select_related("claim").get(
            pk=pk, claim_id=claim_pk, claim__department_id=visible_to.department_id
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该材料，或您无权查看。")) from None


def claim_events(claim: Claim) -> list[ClaimEvent]:
    return list(ClaimEvent.objects.filter(claim=claim).order_by("at", "pk"))


@dataclass(frozen=True)
class QueueCounts:
    open: int
    due_soon: int
    overdue: int
    rechecks: int


def queue_counts(*, reviewer: Any, today: date | None = None) -> QueueCounts:
    """What a reviewer's workbench card shows: open claims, due within 2 working days, overdue, rechecks."""
    from xinshimin.workdays.calendar import NoCalendarData, add_working_days

    today = today or timezone.localdate()
    if not is_role(reviewer, Role.REVIEWER) or not reviewer.department_id:
        return QueueCounts(0, 0, 0, 0)
    try:
        soon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    except NoCalendarData:
        soon = today
    waiting = Claim.objects.filter(department_id=reviewer.department_id).waiting_for_department()
    numbers = waiting.aggregate(
        open=Count("pk"),
        due_soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=soon)),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        rechecks=Count("pk", filter=Q(status=Claim.Status.RECHECK_REQUESTED)),
    )
    evidence = Claim.objects.filter(
        department_id=reviewer.department_id, status=Claim.Status.EVIDENCE_REQUESTED
    ).count()
    return QueueCounts(
        numbers["open"] + evidence, numbers["due_soon"], numbers["overdue"], numbers["rechecks"]
    )


@dataclass(frozen=True)
class PublicStatus:
    """What anyone with the reference code and the last 4 characters of the ID number may see."""

    reference: str
    item_label: str
    kind_label: str
    status: str
    status_label: str
    submitted_on: date
    due_on: date | None
    evidence_due_on: date | None


def claim_public_status(*, reference: str, id_last4: str) -> PublicStatus:
    """Status only, no personal data; ``NotFound`` unless both the code and the last 4 characters match."""
    reference = (reference or "").strip().upper()
    last4 = normalise_id_number(id_last4 or "")[-4:]
    claim = (
        Claim.objects.select_related("resident").filter(reference=reference).first()
        if reference and len(last4) == 4
        else None
    )
    if claim is None or claim.resident.id_number_masked[-4:] != last4:
        raise NotFound(_("未找到该受理编号，或身份证号后四位不符。请核对回执上的受理编号。"))
    waiting = claim.waits_for_department
    return PublicStatus(
        reference=claim.reference or "",
        item_label=claim.item_label,
        kind_label=str(claim.get_kind_display()),
        status=claim.status,
        status_label=str(claim.get_status_display()),
        submitted_on=claim.submitted_on,
        due_on=claim.due_on if waiting else None,
        evidence_due_on=claim.evidence_due_on if claim.status == Claim.Status.EVIDENCE_REQUESTED else None,
    )


@dataclass(frozen=True)
class TimelineStep:
    """One line of a claim's timeline: a step that happened (``at``) or one expected by a date (``by``)."""

    title: str
    note: str = ""
    actor: str = ""
    at: Any = None  # datetime of a step that happened
    by: date | None = None  # expected date of a step to come
    done: bool = True
    late: bool = False


_ACTION_TITLES: dict[str, Any] = {
    "file": gettext_lazy("提交申报"),
    "start_review": gettext_lazy("部门开始审核"),
    "request_evidence": gettext_lazy("要求补充材料"),
    "supply_evidence": gettext_lazy("已补充材料"),
    "approve": gettext_lazy("审核通过"),
    "reject": gettext_lazy("审核未通过"),
    "withdraw": gettext_lazy("申请人撤回"),
    "lapse": gettext_lazy("视为放弃"),
    "recheck_request": gettext_lazy("申请复核"),
    "recheck_decide": gettext_lazy("复核结果"),
    # Written by integrity.services when a fraud sanction is approved.
    "sanction_cancel": gettext_lazy("因违规处理取消"),
    "sanction_revoke": gettext_lazy("认定积分已撤销"),
}


def claim_timeline(claim: Claim, *, today: date | None = None) -> list[TimelineStep]:
    """The steps so far (from the claim's events) and the ones to come, with their expected dates."""
    from xinshimin.workdays.calendar import NoCalendarData

    from .services import claim_recheck_deadline

    today = today or timezone.localdate()
    steps = [
        TimelineStep(
            title=str(_ACTION_TITLES.get(event.action, event.action)),
            note=event.note,
            actor=event.actor_label,
            at=event.at,
        )
        for event in claim_events(claim)
    ]
    status = claim.status
    if status == Claim.Status.EVIDENCE_REQUESTED and claim.evidence_due_on:
        steps.append(
            TimelineStep(
                title=_("申请人补充材料"),
                note=_("逾期未补充视为放弃"),
                by=claim.evidence_due_on,
                done=False,
                late=today > claim.evidence_due_on,
            )
        )
        steps.append(
            TimelineStep(title=_("部门审核决定"), note=_("收到补充材料后继续计算办理期限"), done=False)
        )
    elif status in (Claim.Status.SUBMITTED, Claim.Status.UNDER_REVIEW):
        steps.append(
            TimelineStep(title=_("部门审核决定"), by=claim.due_on, done=False, late=claim.due_on < today)
        )
    elif status == Claim.Status.RECHECK_REQUESTED:
        steps.append(
            TimelineStep(title=_("复核决定"), by=claim.due_on, done=False, late=claim.due_on < today)
        )
    elif status in Claim.DECIDED_STATUSES and claim.recheck_requested_on is None:
        try:
            last_day = claim_recheck_deadline(claim)
        except NoCalendarData:
            last_day = None
        if last_day is not None and today <= last_day:
            steps.append(
                TimelineStep(title=_("可申请复核（一次）"), note=_("如对结果有异议"), by=last_day, done=False)
            )
    return steps
