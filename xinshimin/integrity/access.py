"""Who may do what in the integrity area: plain functions, one question each."""

from __future__ import annotations

from typing import Any

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role


def can_audit(user: Any) -> bool:
    """Plans, draws, findings and sanction proposals: the centre's administrators and the auditors."""
    return is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR)


def can_read_integrity(user: Any) -> bool:
    """Sanctions, bans and recoveries (read): the centre and the auditors."""
    return is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR)


def can_decide_sanction(user: Any, sanction: Any) -> bool:
    """A second person: a centre administrator or auditor other than the one who proposed it."""
    return can_audit(user) and user.pk != sanction.proposed_by_id


def can_manage_recoveries(user: Any) -> bool:
    """Payments received and write-offs are recorded by the centre (who holds the accounts)."""
    return is_role(user, Role.CENTRE_ADMIN)


def is_sanctioned_resident(user: Any, sanction: Any) -> bool:
    """The resident the sanction is about, logged in as themself."""
    return is_role(user, Role.RESIDENT) and sanction.resident.user_id == user.pk
