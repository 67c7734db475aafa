"""``manage.py sms_send_queued [--limit N]``: send (or retry) queued text messages; for cron or the worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinshimin.notifications.services import sms_outbox_flush


class Command(BaseCommand):
    help = "Send the text messages waiting in the outbox (retries failed attempts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sms_outbox_flush(limit=options["limit"])
        self.stdout.write(
            f"sms: sent {counts['sent']}, still queued {counts['queued']}, failed {counts['failed']}"
        )
