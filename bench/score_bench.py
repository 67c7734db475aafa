"""Benchmark of ``xinshimin score`` against merely parsing and re-serialising the same file.

    .venv/bin/python bench/score_bench.py [--lines 100000] [--seed 2025] [--keep FILE]

Generates a file of realistic exchange-format lines (valid ID numbers, a mix of facts like a real
population: most people have the common facts and a few local ones, some have lists of events), then in
the same run times

1. baseline: read the file, ``json.loads`` and ``json.dumps`` every line, write to /dev/null;
2. ``score_lines`` in this process (the command's engine, without process start-up);
3. the console command ``xinshimin score FILE > /dev/null`` as a subprocess (start-up included), in one
   process (``--jobs 1``) and with its default worker processes (one per CPU).

and prints lines/s and the ratio to the baseline. Targets (issue 3): ≥ 10,000 lines/s and ≤ 3× baseline.
Set DATABASE_URL to measure on PostgreSQL (the command reads the policy version from the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from xinshimin.residents.idnumber import random_valid_id_number  # noqa: E402
from xinshimin.scoring.batch import PolicyChooser, quick_id_parser, score_lines  # noqa: E402
from xinshimin.scoring.demo import random_facts  # noqa: E402
from xinshimin.scoring.selectors import batch_policies  # noqa: E402

AS_OF = dt.date(2025, 4, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"


def person(rng: random.Random) -> dict[str, Any]:
    """One realistic line: common facts for nearly everyone, local facts and events for some."""
    facts = random_facts(rng, AS_OF)
    line: dict[str, Any] = {
        "id_number": random_valid_id_number(
            rng, birth_from=dt.date(1960, 1, 1), birth_to=dt.date(2004, 12, 31)
        ),
        "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
    }
    if rng.random() < 0.5:
        line["as_of"] = AS_OF.isoformat()
    line["facts"] = facts
    return line


def generate(lines: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(lines):
        yield json.dumps(person(rng), ensure_ascii=False) + "\n"


def baseline(path: Path) -> float:
    started = time.perf_counter()
    with open(path, encoding="utf-8") as source, open(os.devnull, "w", encoding="utf-8") as sink:
        for line in source:
            sink.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
    return time.perf_counter() - started


def in_process(path: Path) -> float:
    published, fixed = batch_policies(version_id=None)
    started = time.perf_counter()
    with open(path, encoding="utf-8") as source, open(os.devnull, "w", encoding="utf-8") as sink:
        report = score_lines(
            source,
            sink.write,
            chooser=PolicyChooser(published, fixed),
            parse_id=quick_id_parser(AS_OF),
            today=AS_OF,
            as_of=None,
        )
    elapsed = time.perf_counter() - started
    assert report.bad == 0, f"{report.bad} bad lines in generated data"
    return elapsed


def command(path: Path, *options: str) -> float:
    exe = ROOT / ".venv" / "bin" / "xinshimin"
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run(
            [str(exe), "score", str(path), "--as-of", AS_OF.isoformat(), *options],
            stdout=sink,
            check=True,
            cwd=ROOT,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3, help="Take the best of N runs of each (default 3).")
    parser.add_argument("--keep", type=Path, help="Write the generated file here and keep it.")
    args = parser.parse_args()

    path = args.keep or Path(tempfile.mkstemp(suffix=".jsonl")[1])
    with open(path, "w", encoding="utf-8") as target:
        target.writelines(generate(args.lines, args.seed))
    size = path.stat().st_size
    try:
        base = min(baseline(path) for _ in range(args.repeat))
        engine = min(in_process(path) for _ in range(args.repeat))
        cli_one = min(command(path, "--jobs", "1") for _ in range(args.repeat))
        cli = min(command(path) for _ in range(args.repeat))
    finally:
        if not args.keep:
            path.unlink()
    database = django.db.connection.vendor
    print(f"{args.lines:,} lines, {size / 1e6:.1f} MB, database: {database}, best of {args.repeat}")
    print(f"{'':44} {'seconds':>8} {'lines/s':>10} {'× baseline':>11}")
    for label, seconds in (
        ("baseline: json.loads + json.dumps per line", base),
        ("score_lines in process", engine),
        ("xinshimin score FILE --jobs 1 (subprocess)", cli_one),
        (f"xinshimin score FILE ({os.cpu_count()} CPUs: workers)", cli),
    ):
        print(f"{label:44} {seconds:8.2f} {args.lines / seconds:10,.0f} {seconds / base:11.2f}")


if __name__ == "__main__":
    main()
