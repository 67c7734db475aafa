"""Who may do what in the centre's area (plain functions, one question each)."""

from __future__ import annotations

from typing import Any

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role


def _superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def can_manage_announcements(user: Any) -> bool:
    """The service centre writes, publishes and withdraws announcements."""
    return is_role(user, Role.CENTRE_ADMIN) or _superuser(user)


def can_view_dashboards(user: Any) -> bool:
    """The centre and the auditors read the dashboards (aggregates only, no personal data)."""
    return is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR) or _superuser(user)


def can_view_jobs(user: Any) -> bool:
    """The centre and the auditors follow background jobs; only the centre starts them."""
    return can_view_dashboards(user)


def can_start_jobs(user: Any) -> bool:
    return is_role(user, Role.CENTRE_ADMIN) or _superuser(user)


def may_see_resident_announcements(user: Any) -> bool:
    """Announcements for residents are shown to anyone logged in (residents and staff alike)."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)
