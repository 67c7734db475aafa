"""Reads of the charity fund. Visibility is part of the query: a row a user may not see is never fetched.

Who sees which cases: the fund office and auditors all of them; a verifier the cases assigned to them;
a resident their own; a window clerk the cases they filed. Donations and the ledger: the fund office and
auditors; a resident also sees (the receipts of) their own donations.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role, User
from xinshimin.core.errors import NotFound

from .access import can_read_fund
from .models import CaseEvidence, CaseQuerySet, Donation, HardshipCase, JournalEntry, VerifierAssignment
from .services import usable_verifications


def case_list(*, visible_to: Any, status: str | None = None) -> CaseQuerySet:
    rows: CaseQuerySet = HardshipCase.objects.select_related("applicant", "applicant__town")
    if status:
        rows = rows.filter(status=status)
    if can_read_fund(visible_to):
        return rows
    if visible_to is None or not getattr(visible_to, "is_authenticated", False):
        return rows.none()
    condition = Q(assignments__verifier_id=visible_to.pk)
    if is_role(visible_to, Role.RESIDENT):
        condition |= Q(applicant__user_id=visible_to.pk)
    if is_role(visible_to, Role.CLERK):
        condition |= Q(filed_by_id=visible_to.pk)
    return rows.filter(condition).distinct()


def case_get(*, visible_to: Any, pk: Any) -> HardshipCase:
    try:
        return case_list(visible_to=visible_to).get(pk=pk)
    except (HardshipCase.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该申请，或您无权查看。")) from None


def case_queue(*, visible_to: Any, today: date, only: str = "open") -> CaseQuerySet:
    """The fund office's queue: open cases, urgent first, then by due date (``only``: open, overdue,
    letters — refusals whose written explanation is late — or all)."""
    rows = case_list(visible_to=visible_to)
    if only == "overdue":
        rows = rows.overdue(today)
    elif only == "letters":
        rows = rows.letters_overdue(today)
    elif only == "open":
        rows = rows.open()
    return rows.queue_order()


def case_counts(*, today: date) -> dict[str, int]:
    """For the fund office's workbench card."""
    return {
        "open": HardshipCase.objects.open().count(),
        "overdue": HardshipCase.objects.overdue(today).count(),
        "letters_overdue": HardshipCase.objects.letters_overdue(today).count(),
        "to_disburse": HardshipCase.objects.filter(status=HardshipCase.Status.APPROVED).count(),
    }


def assignments_pending(*, user: Any) -> QuerySet[VerifierAssignment]:
    """Cases waiting for this person's verification."""
    if user is None or not getattr(user, "is_authenticated", False):
        return VerifierAssignment.objects.none()
    return (
        VerifierAssignment.objects.filter(
            verifier_id=user.pk, verification__isnull=True, case__status__in=HardshipCase.OPEN_STATUSES
        )
        .select_related("case")
        .order_by("-case__is_urgent", "case__due_on", "pk")
    )


def decision_ready(case: HardshipCase) -> bool:
    return len(usable_verifications(case)) >= 2


def verifier_candidates(case: HardshipCase) -> QuerySet[User]:
    """Staff who may be assigned: active staff, not the applicant, no declared conflict, not yet assigned."""
    return (
        User.objects.filter(
            is_active=True,
            role__in=[Role.FUND_OFFICER, Role.CLERK, Role.REVIEWER, Role.CENTRE_ADMIN, Role.AUDITOR],
        )
        .exclude(pk__in=case.assignments.values("verifier_id"))
        .exclude(charity_conflicts__resident_id=case.applicant_id)
        .exclude(resident__pk=case.applicant_id)
        .order_by("role", "username")
    )


def evidence_get(*, visible_to: Any, pk: Any) -> CaseEvidence:
    """An evidence file, for the fund office or a verifier assigned to its case."""
    rows = CaseEvidence.objects.select_related("case")
    if not is_role(visible_to, Role.FUND_OFFICER):
        if visible_to is None or not getattr(visible_to, "is_authenticated", False):
            rows = rows.none()
        else:
            rows = rows.filter(case__assignments__verifier_id=visible_to.pk)
    try:
        return rows.get(pk=pk)
    except (CaseEvidence.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该文件，或您无权查看。")) from None


def donation_list(*, visible_to: Any) -> QuerySet[Donation]:
    rows = Donation.objects.select_related("resident", "entry")
    if can_read_fund(visible_to):
        return rows
    if is_role(visible_to, Role.RESIDENT):
        return rows.filter(resident__user_id=visible_to.pk)
    return rows.none()


def donation_get(*, visible_to: Any, pk: Any) -> Donation:
    try:
        return donation_list(visible_to=visible_to).get(pk=pk)
    except (Donation.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该捐赠记录，或您无权查看。")) from None


def entry_list(*, visible_to: Any) -> QuerySet[JournalEntry]:
    if not can_read_fund(visible_to):
        return JournalEntry.objects.none()
    return JournalEntry.objects.select_related("case", "reverses").prefetch_related("lines__account")


def entry_get(*, visible_to: Any, pk: Any) -> JournalEntry:
    try:
        return entry_list(visible_to=visible_to).get(pk=pk)
    except (JournalEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该凭证，或您无权查看。")) from None
