"""``xinshimin demo --residents N [--if-empty] [--seed 2025]``: load a demo population (not in production)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinshimin.residents.demo import DemoRefused, build_demo, demo_is_loaded, refuse_in_production


class Command(BaseCommand):
    help = "Load a demo population: residents with permits and households, and one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=2000, help="How many residents (default 2000).")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (default 2025).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if there are residents already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if options["residents"] < 0:
            raise CommandError("--residents must be 0 or more")
        if options["if_empty"] and demo_is_loaded():
            self.stdout.write("demo: residents exist already, nothing to do (--if-empty)")
            return
        started = time.monotonic()
        try:
            summary = build_demo(residents=options["residents"], seed=options["seed"])
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(f"demo: {line}")
        self.stdout.write(self.style.SUCCESS(f"demo: done in {time.monotonic() - started:.1f} s"))
