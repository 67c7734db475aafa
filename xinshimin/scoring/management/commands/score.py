"""``xinshimin score FILE.jsonl [--as-of DATE] [--policy VERSION] [--jobs N]``: score a file of facts.

Reads the exchange format (spec §4) line by line (``-`` for stdin) and writes one JSON line per input line
to stdout, in order. A bad line gets ``{"line": n, "field": …, "error": "field: problem"}``; the other
lines are still scored, and the exit status is 1 if any line was bad. Constant memory on any file size.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinshimin.core.errors import NotFound
from xinshimin.scoring.batch import BatchReport, PolicyChooser, quick_id_parser, score_lines
from xinshimin.scoring.selectors import batch_policies


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text} 不是有效日期（格式 YYYY-MM-DD）") from None


class Command(BaseCommand):
    help = "Score a JSON Lines file of facts (exchange format) and write one JSON line per input line."
    # A batch tool: skip the system checks (they load every URL conf and the admin: a quarter second).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .jsonl file, or - for standard input.")
        parser.add_argument(
            "--as-of", dest="as_of", help="Score on this date (YYYY-MM-DD); overrides each line's as_of."
        )
        parser.add_argument(
            "--policy", help="Policy version id (e.g. ruian-2025.1); default: the one in force on the date."
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(os.cpu_count() or 1, 8),
            help="Worker processes for inputs over 2,000 lines (default: the CPUs, at most 8; 1: none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        try:
            published, fixed = batch_policies(version_id=options["policy"])
        except NotFound as error:
            raise CommandError(str(error.message)) from None
        chooser = PolicyChooser(published, fixed)
        today = timezone.localdate()  # Asia/Shanghai: the date of a line without as_of
        out: TextIO = options.get("stdout") or sys.stdout
        source = options["file"]
        if source == "-":
            stream: TextIO = (
                io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
                if hasattr(sys.stdin, "buffer")
                else sys.stdin
            )
            report = self._score(stream, out, chooser, today, as_of, options["jobs"])
        else:
            try:
                with open(source, encoding="utf-8-sig") as stream:
                    report = self._score(stream, out, chooser, today, as_of, options["jobs"])
            except OSError as error:
                raise CommandError(f"无法读取 {source}：{error.strerror}") from None
        out.flush()
        if report.bad:
            raise CommandError(f"{report.lines} 行中有 {report.bad} 行有误（见输出中的 error）", returncode=1)

    def _score(
        self,
        stream: TextIO,
        out: TextIO,
        chooser: PolicyChooser,
        today: dt.date,
        as_of: dt.date | None,
        jobs: int,
    ) -> BatchReport:
        return score_lines(
            stream,
            out.write,
            chooser=chooser,
            parse_id=quick_id_parser(today),
            today=today,
            as_of=as_of,
            jobs=jobs,
        )
