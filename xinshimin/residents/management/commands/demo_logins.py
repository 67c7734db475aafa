"""``xinshimin demo-logins``: print the demo logins (username, role, scope, password)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinshimin.accounts.models import User
from xinshimin.residents.demo import DEMO_PASSWORD, DEMO_USERNAMES, DemoRefused, refuse_in_production


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "Print the demo logins created by `xinshimin demo`."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        users = {
            u.username: u
            for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related(
                "town", "department", "provider", "resident__town"
            )
        }
        if not users:
            self.stdout.write("No demo logins yet: run `xinshimin demo` first.")
            return
        rows = [("username", "role", "scope", "password")]
        for username in DEMO_USERNAMES:
            user = users.get(username)
            if user is None:
                continue
            rows.append(
                (
                    username,
                    user.role + (" (superuser)" if user.is_superuser else ""),
                    _scope(user),
                    DEMO_PASSWORD,
                )
            )
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        for number, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * w for w in widths))


def _scope(user: User) -> str:
    resident = getattr(user, "resident", None)
    if resident is not None:
        return f"{resident.masked_name} · {resident.town.name}"
    scope = user.town or user.department or user.provider
    return str(scope) if scope else "全市"
