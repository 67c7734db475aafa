"""Template helpers of the claims area: the workbench card numbers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def claims_workbench(user: Any) -> dict[str, Any]:
    """Numbers for the claims cards on /workbench/, by role (empty for other roles)."""
    from xinshimin.accounts.access import is_role
    from xinshimin.accounts.models import Role
    from xinshimin.claims.models import Claim
    from xinshimin.claims.selectors import claim_list, queue_counts
    from xinshimin.notifications.services import notice_unread_count

    today = timezone.localdate()
    if is_role(user, Role.REVIEWER):
        return {"queue": queue_counts(reviewer=user, today=today)}
    if is_role(user, Role.RESIDENT):
        rows = claim_list(visible_to=user, today=today)
        return {
            "open": rows.open().count(),
            "evidence": rows.filter(status=Claim.Status.EVIDENCE_REQUESTED).count(),
            "unread": notice_unread_count(user=user),
        }
    if is_role(user, Role.CLERK):
        rows = claim_list(visible_to=user, today=today)
        return {"open": rows.open().count(), "window": rows.filter(channel=Claim.Channel.WINDOW).count()}
    return {}
