"""Test helpers for the staff two-factor login.

The root conftest.py makes ``Client.force_login(user)`` leave staff sessions OTP-verified (as if the
code had been entered), so tests of other areas log staff in as before. Use these helpers when the
two-factor step itself matters:

    otp_login(client, user)               # password + code already done: a verified session
    force_login_unverified(client, user)  # password done, code not yet: pages redirect to the code step
    device = otp_device(user)             # the user's confirmed TOTP device (created when missing)
    current_code(device)                  # the 6-digit code the user's app shows now
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .otp import current_code, requires_otp

# Django's own force_login, kept before the root conftest replaces it for the test run.
_django_force_login = Client.force_login


def otp_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return device


def mark_session_verified(client: Client, user: Any) -> None:
    """Record in the client's session that ``user`` entered a valid code (what ``django_otp.login`` does)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.save()


def force_login_unverified(client: Client, user: Any, backend: str | None = None) -> None:
    _django_force_login(client, user, backend)


def otp_login(client: Client, user: Any, backend: str | None = None) -> None:
    _django_force_login(client, user, backend)
    if requires_otp(user):
        mark_session_verified(client, user)


def verified_force_login(self: Client, user: Any, backend: str | None = None) -> None:
    """Replacement for ``Client.force_login`` during tests (installed by the root conftest.py)."""
    otp_login(self, user, backend)


__all__ = [
    "current_code",
    "force_login_unverified",
    "mark_session_verified",
    "otp_device",
    "otp_login",
    "verified_force_login",
]
