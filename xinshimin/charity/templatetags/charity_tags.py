"""Template helpers of the charity fund: money formatting and the workbench counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from xinshimin.charity.access import can_be_verifier, can_read_fund
from xinshimin.charity.documents import yuan as _yuan
from xinshimin.charity.selectors import assignments_pending, case_counts

register = template.Library()


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """{{ amount|yuan }} → ¥1,234.50"""
    return _yuan(value)


@register.simple_tag(takes_context=True)
def charity_workbench(context: template.Context) -> dict[str, Any]:
    """Counts for the workbench cards: the fund office's queue, and a verifier's pending assignments."""
    request = context.get("request")
    user = getattr(request, "user", None)
    result: dict[str, Any] = {}
    if user is None or not user.is_authenticated:
        return result
    if can_read_fund(user):
        result.update(case_counts(today=timezone.localdate()))
    if can_be_verifier(user):
        result["my_verifications"] = assignments_pending(user=user).count()
    return result
