"""Who may do what in the welfare area (plain functions, one question each)."""

from __future__ import annotations

from typing import Any

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role


def can_manage_offers(user: Any) -> bool:
    """The service centre sets up, publishes and cancels offers."""
    return is_role(user, Role.CENTRE_ADMIN) or bool(
        getattr(user, "is_superuser", False) and getattr(user, "is_active", False)
    )


def can_check_certificates(user: Any) -> bool:
    """Provider staff check and mark certificates of their own provider's offers."""
    return is_role(user, Role.PROVIDER) and getattr(user, "provider_id", None) is not None


def can_redeem(user: Any) -> bool:
    """Only a resident redeems, for themself."""
    return is_role(user, Role.RESIDENT)
