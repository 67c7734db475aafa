"""Who may do what in the charity fund: plain functions, one question each."""

from __future__ import annotations

from typing import Any

from xinshimin.accounts.access import is_role, is_staff_role
from xinshimin.accounts.models import Role

from .models import ConflictDeclaration, HardshipCase


def can_manage_fund(user: Any) -> bool:
    """The fund office: assigns verifiers, decides, pays out, records donations, keeps the ledger."""
    return is_role(user, Role.FUND_OFFICER)


def can_read_fund(user: Any) -> bool:
    """Read-only access to every case, the ledger and the donations: the fund office and auditors."""
    return is_role(user, Role.FUND_OFFICER, Role.AUDITOR)


def can_be_verifier(user: Any) -> bool:
    """Fund officers and other staff (window clerks, reviewers, the centre, auditors) may verify cases."""
    return bool(user is not None and user.is_active and is_staff_role(user))


def is_applicant(user: Any, case: HardshipCase) -> bool:
    """The login belongs to the applicant of ``case`` (their Resident record is linked to it)."""
    return bool(user is not None and user.pk is not None and case.applicant.user_id == user.pk)


def has_conflict(user: Any, case: HardshipCase) -> bool:
    return ConflictDeclaration.objects.filter(user_id=user.pk, resident_id=case.applicant_id).exists()


def is_assigned(user: Any, case: HardshipCase) -> bool:
    return bool(user is not None and case.assignments.filter(verifier_id=user.pk).exists())


def can_view_evidence(user: Any, case: HardshipCase) -> bool:
    """Evidence files: the fund office, and the verifiers assigned to this case (who need to see them)."""
    if can_manage_fund(user):
        return True
    return bool(getattr(user, "is_authenticated", False) and is_assigned(user, case))
