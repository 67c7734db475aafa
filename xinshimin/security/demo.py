"""Demo logins and two-factor: give each demo staff account an authenticator secret, so that a person
running ``make run`` can log in (``xinshimin demo-otp`` prints the secrets and the current codes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinshimin.residents.demo import refuse_in_production

from .otp import base32_secret, requires_otp

DEMO_DEVICE_NAME = "demo"


def enrol_demo_devices(users: Iterable[Any]) -> dict[str, str]:
    """A confirmed TOTP device for every user in ``users`` who needs one; {username: base32 secret}.

    Idempotent: a user who already has a confirmed device keeps it (and its secret). Users who need no
    two-factor step (residents, provider staff) are skipped. Refuses to run in production.
    """
    refuse_in_production()
    secrets: dict[str, str] = {}
    with transaction.atomic():
        for user in users:
            if not requires_otp(user):
                continue
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
            secrets[user.get_username()] = base32_secret(device)
    return secrets
