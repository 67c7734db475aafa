"""Writes on accounts: API tokens for department systems."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict

from .access import can_manage_reference_data, is_staff_role, require
from .models import ApiToken, User


def api_token_issue(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the secret is returned once and only its digest is kept."""
    require(can_manage_reference_data(actor), _("只有服务中心管理员可以签发接口令牌。"))
    require(is_staff_role(user), _("接口令牌只能签发给工作人员账户（如部门审核员），不能签发给居民。"))
    raw = ApiToken.new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], digest=ApiToken.digest_of(raw))
        audit_record(
            actor=actor, action="accounts.token_issue", obj=token, after={"user": user.username, "name": name}
        )
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    require(can_manage_reference_data(actor), _("只有服务中心管理员可以吊销接口令牌。"))
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise Conflict(_("该令牌已于 {when} 吊销。").format(when=token.revoked_at.date()))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token_revoke", obj=token, after={"revoked": True})
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Touches last_used_at at most once a minute."""
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(digest=ApiToken.digest_of(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
