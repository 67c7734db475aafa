"""``xinshimin demo-otp``: two-factor secrets and current codes of the demo staff logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinshimin.accounts.models import User
from xinshimin.residents.demo import DEMO_USERNAMES, DemoRefused
from xinshimin.security.demo import enrol_demo_devices
from xinshimin.security.otp import current_code


class Command(BaseCommand):
    help = (
        "Enrol an authenticator for each demo staff login (once) and print its secret and the code valid "
        "now. Run it again for a fresh code, or add the secret to an authenticator app."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        users = list(User.objects.filter(username__in=DEMO_USERNAMES).order_by("pk"))
        try:
            secrets = enrol_demo_devices(users)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if not secrets:
            self.stdout.write("No demo staff logins yet: run `xinshimin demo` first.")
            return
        devices = {
            d.user.get_username(): d
            for d in TOTPDevice.objects.filter(user__in=users, confirmed=True).select_related("user")
        }
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(
            f"Staff logins ask for a 6-digit code after the password. Codes below are valid for about "
            f"{remaining} s (and the 30 s after); run `xinshimin demo-otp` again for new ones."
        )
        rows = [("username", "code now", "authenticator secret (base32)")]
        for username in DEMO_USERNAMES:
            if username in secrets:
                rows.append((username, current_code(devices[username]), secrets[username]))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for number, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
