"""``xinshimin demo --residents N [--if-empty] [--seed 2025]``: load a demo city (never in production).

The population comes first (residents, permits, households, one login per role); then each area adds its
own demo data on top: facts and score snapshots, claims, scenes, welfare offers, the charity fund.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinshimin.centre.demo import build_demo_centre
from xinshimin.charity.demo import build_demo_charity
from xinshimin.claims.demo import build_demo_claims
from xinshimin.integrity.demo import build_demo_integrity
from xinshimin.residents.demo import DemoRefused, build_demo, demo_is_loaded, refuse_in_production
from xinshimin.scenes.demo import build_demo_scenes
from xinshimin.scoring.demo import build_demo_facts
from xinshimin.welfare.demo import build_demo_welfare


def _area_steps(seed: int) -> list[tuple[str, Callable[[], Any]]]:
    """Each area's demo builder, in dependency order (facts before claims and scenes)."""
    return [
        ("facts and scores", lambda: build_demo_facts(seed=seed)),
        ("claims", lambda: build_demo_claims(seed=seed)),
        ("scenes", lambda: build_demo_scenes(seed=seed)),
        ("welfare", lambda: build_demo_welfare(seed=seed)),
        ("charity fund", lambda: build_demo_charity(seed=seed)),
        ("integrity", lambda: build_demo_integrity(seed=seed)),
        ("announcements", lambda: build_demo_centre(seed=seed)),
    ]


class Command(BaseCommand):
    help = (
        "Load a demo city: residents with permits and households, one login per role, and each area's data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=2000, help="How many residents (default 2000).")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (default 2025).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if there are residents already."
        )
        parser.add_argument(
            "--population-only", action="store_true", help="Only residents and logins, no area data."
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
        if not options["population_only"]:
            for label, step in _area_steps(options["seed"]):
                result = step()
                self.stdout.write(f"demo: {label}: {result}")
        self.stdout.write(self.style.SUCCESS(f"demo: done in {time.monotonic() - started:.1f} s"))
