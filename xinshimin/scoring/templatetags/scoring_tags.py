"""Template helpers of the scoring area: the workbench card numbers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def scoring_workbench(user: Any) -> dict[str, Any]:
    """A resident's latest score snapshot (no computing here: the "my points" page refreshes today's);
    for the centre, how many draft policy versions are waiting. Empty for other roles."""
    from xinshimin.accounts.access import is_role
    from xinshimin.accounts.models import Role
    from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot

    if is_role(user, Role.RESIDENT):
        snapshot = (
            ScoreSnapshot.objects.filter(resident__user_id=user.pk, as_of__lte=timezone.localdate())
            .select_related("policy")
            .order_by("-as_of", "-computed_at")
            .first()
        )
        return {"snapshot": snapshot}
    if is_role(user, Role.CENTRE_ADMIN):
        return {"drafts": PolicyRecord.objects.filter(status=PolicyRecord.Status.DRAFT).count()}
    return {}
