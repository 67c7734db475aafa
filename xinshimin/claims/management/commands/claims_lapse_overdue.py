"""``manage.py claims_lapse_overdue [--today YYYY-MM-DD]``: lapse claims past their evidence deadline.

Run daily (cron or the task worker, just after midnight): a claim whose resident did not supply the
requested evidence by the deadline is treated as given up (视为放弃) from the next day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinshimin.claims.services import claims_lapse_overdue


class Command(BaseCommand):
    help = "Lapse the claims whose deadline for more evidence has passed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", help="Run as of this date (default: today in the configured time zone)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        lapsed = claims_lapse_overdue(today=today)
        self.stdout.write(f"claims: {lapsed} lapsed as of {today.isoformat()}")
