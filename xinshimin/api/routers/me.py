from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["me"])


class MeOut(Schema):
    username: str
    role: str
    role_label: str
    scope: str | None
    resident_id: int | None


@router.get("", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    """Who is calling, with the role and scope that decide what they may see."""
    user = request.user
    scope = user.town or user.department or user.provider  # type: ignore[union-attr]
    resident = getattr(user, "resident", None)
    return MeOut(
        username=user.get_username(),
        role=user.role,  # type: ignore[union-attr]
        role_label=str(user.get_role_display()),  # type: ignore[union-attr]
        scope=str(scope) if scope else None,
        resident_id=resident.pk if resident else None,
    )
