"""The ``xinshimin`` console command: Django's management commands under a friendlier name.

xinshimin demo --residents 2000      load a demo population
xinshimin audit verify               check the audit chain
xinshimin score FILE.jsonl           score a file of facts (exchange format)
xinshimin <any manage.py command>    e.g. xinshimin migrate
"""

from __future__ import annotations

import os
import sys

# Two-word commands map onto one management command: `xinshimin audit verify` → `audit_verify`.
_COMPOUND = {
    ("audit", "verify"): "audit_verify",
    ("calendar", "load"): "calendar_load",
}


def translate(argv: list[str]) -> list[str]:
    if len(argv) >= 2 and tuple(argv[:2]) in _COMPOUND:
        return [_COMPOUND[(argv[0], argv[1])], *argv[2:]]
    if argv:
        return [argv[0].replace("-", "_"), *argv[1:]]
    return argv


def main(argv: list[str] | None = None) -> None:
    args = translate(list(sys.argv[1:] if argv is None else argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xinshimin", *args])


if __name__ == "__main__":
    main()
