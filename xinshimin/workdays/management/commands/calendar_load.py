"""xinshimin calendar load --year 2027 --file 2027.json | --from-package --year 2026 [--user NAME]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinshimin.core.errors import DomainError
from xinshimin.workdays.models import CalendarDay
from xinshimin.workdays.services import (
    calendar_load_from_file,
    calendar_load_from_package,
    calendar_parse_year_file,
)


class Command(BaseCommand):
    help = (
        "Load one year of the official holiday calendar, from a year file or from the chinesecalendar "
        "package. Replaces that year's holidays and adjusted working days; audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="The year to load (must match the file's year).")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="A year file (JSON) written from the State Council's notice.")
        source.add_argument(
            "--from-package", action="store_true", help="Take the year from the chinesecalendar package."
        )
        parser.add_argument("--user", help="Username of the centre administrator to record as the loader.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['user']!r}")
        year = options["year"]
        try:
            if options["from_package"]:
                if year is None:
                    raise CommandError("--from-package needs --year, e.g. --from-package --year 2026")
                row = calendar_load_from_package(actor=actor, year=year)
            else:
                path = Path(options["file"])
                if year is not None:
                    try:
                        content = path.read_bytes()
                    except OSError as exc:
                        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
                    file_year = calendar_parse_year_file(content, origin=path.name)["year"]
                    if file_year != year:
                        raise CommandError(f"{path.name} is for {file_year}, not for --year {year}")
                row = calendar_load_from_file(actor=actor, path=path)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        kinds = list(row.days.values_list("kind", flat=True))
        holidays = kinds.count(CalendarDay.Kind.HOLIDAY)
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {row.year}: {holidays} holidays, {len(kinds) - holidays} adjusted working days "
                f"(source: {row.source})"
            )
        )
