"""``xinshimin import-facts FILE --department CODE [--format jsonl|csv|xlsx] [--all-or-nothing]``: import a
department's facts.

The exchange format (spec §4), one person per line; or a CSV/XLSX table of the common fields
(``docs/import-formats.md``; the format follows the file's extension unless ``--format`` is given). Good lines are imported in one transaction; bad lines
are rejected whole and listed (line, field, problem) as JSON lines on stderr; the exit status is 1 if any
line was rejected. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinshimin.accounts.models import Department
from xinshimin.core.errors import DomainError
from xinshimin.scoring.imports import FORMATS, Format, detect_format, facts_import_file
from xinshimin.scoring.services import ImportReport, facts_import


class Command(BaseCommand):
    help = "Import a department's facts (exchange-format JSON Lines): upsert by ID number and fact kind."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .jsonl file, or - for standard input.")
        parser.add_argument(
            "--department", required=True, help="Department code, e.g. hrss, public_security."
        )
        parser.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="Import nothing at all if any line is rejected (default: import the good lines).",
        )
        parser.add_argument("--source-ref", default="", help="A reference kept with every fact (batch id).")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="jsonl, csv or xlsx (default: from the extension).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        department = Department.objects.filter(code=options["department"]).first()
        if department is None:
            codes = ", ".join(Department.objects.values_list("code", flat=True))
            raise CommandError(f"未知部门 {options['department']}，可选：{codes}")
        source = options["file"]
        source_ref = options["source_ref"] or (source if source != "-" else "stdin")
        fmt = options["format"] or "jsonl"
        if options["format"] is None and source.lower().endswith((".csv", ".xlsx", ".xlsm")):
            fmt = detect_format(filename=source)
        if fmt != "jsonl":
            try:
                with open(source, "rb") if source != "-" else sys.stdin.buffer as handle:
                    data = handle.read()
            except OSError as error:
                raise CommandError(f"无法读取 {source}：{error.strerror}") from None
            try:
                report = facts_import_file(
                    actor=None,
                    department=department,
                    data=data,
                    format=cast(Format, fmt),
                    source_ref=source_ref[:128],
                    all_or_nothing=options["all_or_nothing"],
                )
            except DomainError as error:
                raise CommandError(str(error.message)) from None
            self._report(report)
            return
        try:
            stream = sys.stdin if source == "-" else open(source, encoding="utf-8-sig")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"无法读取 {source}：{error.strerror}") from None
        with stream:
            report = facts_import(
                actor=None,
                department=department,
                lines=stream,
                source_ref=source_ref[:128],
                all_or_nothing=options["all_or_nothing"],
            )
        self._report(report)

    def _report(self, report: ImportReport) -> None:
        for rejected in report.rejected:
            self.stderr.write(json.dumps(rejected.to_json(), ensure_ascii=False))
        summary = {k: v for k, v in report.to_json().items() if k != "rejected"} | {
            "rejected": len(report.rejected)
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if report.rejected:
            raise CommandError(
                f"{report.lines} 行中有 {len(report.rejected)} 行被拒绝"
                + ("，全部未导入（--all-or-nothing）" if not report.committed else "，其余已导入"),
                returncode=1,
            )
