"""Who may do what: plain functions, one question each.

Three kinds of question (after Wagtail's permission policies): may this user do X to this object
(``can_…``), raise if not (``require_…``), and which rows may they see (the selectors filter with
``…_scope`` helpers here so that an object a user may not see is never fetched).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from xinshimin.core.errors import PermissionDenied

from .models import Role, User


def is_role(user: Any, *roles: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in roles)


def is_staff_role(user: Any) -> bool:
    return is_role(user, Role.CLERK, Role.REVIEWER, Role.CENTRE_ADMIN, Role.FUND_OFFICER, Role.AUDITOR)


def can_view_resident_register(user: Any) -> bool:
    """The register of residents (a list): centre, auditors, clerks (their town), reviewers (for review)."""
    return is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR, Role.CLERK, Role.REVIEWER)


def can_reveal_personal_data(user: Any) -> bool:
    """Who may see a full ID number or phone (each reveal is audited): centre, clerks, auditors."""
    return is_role(user, Role.CENTRE_ADMIN, Role.CLERK, Role.AUDITOR)


def can_file_for_resident(user: User, resident: Any) -> bool:
    """A window clerk files on behalf of residents of their own town only."""
    return is_role(user, Role.CLERK) and resident.town_id == user.town_id


def can_manage_reference_data(user: Any) -> bool:
    return is_role(user, Role.CENTRE_ADMIN) or bool(getattr(user, "is_superuser", False))


def can_load_calendar(user: Any) -> bool:
    return can_manage_reference_data(user)


def can_verify_audit(user: Any) -> bool:
    return is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR)


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("您没有权限执行此操作。"))
