"""``xinshimin otp-reset USERNAME --reason …``: remove a staff member's authenticator (lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinshimin.accounts.models import User
from xinshimin.core.errors import DomainError
from xinshimin.security.otp import otp_reset


class Command(BaseCommand):
    help = "Remove a staff member's two-factor devices; they enrol a new one at their next login. Audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the audit trail (e.g. 手机遗失).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        try:
            removed = otp_reset(actor=None, user=user, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"{user.get_username()}: {removed} device(s) removed; they enrol again at next login."
        )
