"""Staff two-factor login: who needs a TOTP code, and the device writes (enrol, confirm, reset).

Who: clerks, reviewers, centre admins, fund officers, auditors (``STAFF_ROLES``) and every login that
may open the Django admin (``is_staff`` / ``is_superuser``). Residents and provider staff log in with a
password only: residents have no authenticator app to hand at a service window, and provider staff only
check certificates (their page shows no personal data beyond a masked name).

A session counts as verified when django-otp's ``OTPMiddleware`` finds a confirmed device of the user in
it (``django_otp.login``), the same test for pages and for session API calls.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_session_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinshimin.accounts.access import can_manage_reference_data, require
from xinshimin.accounts.models import STAFF_ROLES
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import ValidationFailed

DEVICE_NAME = "authenticator"


def otp_required() -> bool:
    return bool(getattr(settings, "XINSHIMIN_REQUIRE_STAFF_OTP", True))


def requires_otp(user: Any) -> bool:
    """Whether this login must complete a TOTP step (see the module docstring for the choice)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.role in STAFF_ROLES or user.is_staff or user.is_superuser)


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else False


def needs_otp_step(request: HttpRequest) -> bool:
    """True for a logged-in staff session that has not entered a code yet."""
    return otp_required() and requires_otp(request.user) and not is_verified(request)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (created on first use; its secret survives page reloads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in (RFC 4648 base32, no padding)."""
    return base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The 6-digit code the device's app shows now (or ``offset_steps`` periods later): demo and tests."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def _clean_code(code: str) -> str:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        raise ValidationFailed(_("请输入验证器应用上显示的 6 位数字验证码。"), field="code")
    return code


def _check_code(device: TOTPDevice, code: str) -> None:
    """Raise unless ``code`` is the device's current code (django-otp slows down repeated failures)."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed(_("验证码错误次数过多，请稍候几秒再试。"), code="otp_throttled", field="code")
    if not device.verify_token(code):
        raise ValidationFailed(
            _("验证码不正确或已过期：请核对手机时间是否准确，并输入验证器应用上当前显示的 6 位数字。"),
            code="otp_invalid",
            field="code",
        )


def otp_verify(*, request: HttpRequest, code: str) -> TOTPDevice:
    """Check a code against the user's confirmed device and mark this session verified."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        raise ValidationFailed(_("您还没有绑定验证器，请先完成绑定。"), code="otp_not_enrolled")
    _check_code(device, _clean_code(code))
    _login_session(request, device)
    return device


def otp_enrol_confirm(*, request: HttpRequest, code: str) -> TOTPDevice:
    """Confirm the device being enrolled with its first code; the session is then verified. Audited."""
    user = request.user
    code = _clean_code(code)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise ValidationFailed(_("绑定已失效，请刷新页面重新扫码。"), code="otp_not_enrolling")
    # Outside the transaction below: a wrong code's back-off must be saved, not rolled back.
    _check_code(device, code)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit_record(
            actor=user, action="security.otp_enrol", obj=device, after={"user": user.pk, "device": device.pk}
        )
    _login_session(request, device)
    return device


def otp_reset(*, actor: Any, user: Any, reason: str) -> int:
    """Remove a staff member's devices (lost phone); they enrol again at next login. Audited."""
    require(
        actor is None or can_manage_reference_data(actor),
        _("只有服务中心管理员可以重置他人的两步验证。"),
    )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("请填写重置原因，例如“手机遗失”。"), field="reason")
    with transaction.atomic():
        removed = int(TOTPDevice.objects.filter(user=user).delete()[0])
        audit_record(
            actor=actor,
            action="security.otp_reset",
            object_type="accounts.user",
            object_id=user.pk,
            after={"devices_removed": removed},
            note=reason,
        )
    return removed


def _login_session(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key at the moment the session gains privileges (no session fixation).
    request.session.cycle_key()
    otp_session_login(request, device)
