"""Benchmark of ``xinshimin score`` against merely parsing and re-serialising the same file.

    .venv/bin/python bench/score_bench.py [--lines 100000] [--seed 2025] [--keep FILE]

Generates a file of realistic exchange-format lines (valid ID numbers, a mix of facts like a real
population: most people have the common facts and a few local ones, some have lists of events), then in
the same run times

1. baseline: read the file, ``json.loads`` and ``json.dumps`` every line, write to /dev/null;
2. ``score_lines`` in this process (the command's engine, without process start-up);
3. the console command ``xinshimin score FILE > /dev/null`` as a subprocess (start-up included), in one
   process (``--jobs 1``) and with its default worker processes (one per CPU).

and prints wall time, lines/s and the ratio to the baseline, and the same for CPU time (steadier than wall
time on a busy machine). Targets (issue 3): ≥ 10,000 lines/s and ≤ 3× baseline.
Set DATABASE_URL to measure on PostgreSQL (the command reads the policy version from the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

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


class Timing(NamedTuple):
    wall: float  # seconds of elapsed time
    cpu: float  # seconds of CPU time (user + system) of the process doing the work


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def baseline(path: Path) -> Timing:
    started, cpu = time.perf_counter(), _cpu_self()
    with open(path, encoding="utf-8") as source, open(os.devnull, "w", encoding="utf-8") as sink:
        for line in source:
            sink.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
    return Timing(time.perf_counter() - started, _cpu_self() - cpu)


def in_process(path: Path) -> Timing:
    published, fixed = batch_policies(version_id=None)
    started, cpu = time.perf_counter(), _cpu_self()
    with open(path, encoding="utf-8") as source, open(os.devnull, "w", encoding="utf-8") as sink:
        report = score_lines(
            source,
            sink.write,
            chooser=PolicyChooser(published, fixed),
            parse_id=quick_id_parser(AS_OF),
            today=AS_OF,
            as_of=None,
        )
    timing = Timing(time.perf_counter() - started, _cpu_self() - cpu)
    assert report.bad == 0, f"{report.bad} bad lines in generated data"
    return timing


def command(path: Path, *options: str) -> Timing:
    """The console command as a subprocess; its CPU time includes its workers' (waited-for children)."""
    exe = ROOT / ".venv" / "bin" / "xinshimin"
    started, cpu = time.perf_counter(), _cpu_children()
    with open(os.devnull, "w") as sink:
        subprocess.run(
            [str(exe), "score", str(path), "--as-of", AS_OF.isoformat(), *options],
            stdout=sink,
            check=True,
            cwd=ROOT,
        )
    return Timing(time.perf_counter() - started, _cpu_children() - cpu)


def _best(runs: list[Timing]) -> Timing:
    return Timing(min(r.wall for r in runs), min(r.cpu for r in runs))


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
    rows: list[tuple[str, Timing]] = []
    try:
        for _ in range(args.repeat):  # interleaved, so that a busy moment hits every row alike
            rows.append(("baseline: json.loads + json.dumps per line", baseline(path)))
            rows.append(("score_lines in process", in_process(path)))
            rows.append(("xinshimin score FILE --jobs 1 (subprocess)", command(path, "--jobs", "1")))
            rows.append((f"xinshimin score FILE (workers: {os.cpu_count()} CPUs)", command(path)))
    finally:
        if not args.keep:
            path.unlink()
    labels = list(dict.fromkeys(label for label, _ in rows))
    best = {label: _best([t for lab, t in rows if lab == label]) for label in labels}
    base = best[labels[0]]
    database = django.db.connection.vendor
    print(f"{args.lines:,} lines, {size / 1e6:.1f} MB, database: {database}, best of {args.repeat}")
    print(f"{'':46} {'wall s':>7} {'lines/s':>9} {'× base':>7} {'CPU s':>7} {'× base CPU':>10}")
    for label in labels:
        t = best[label]
        print(
            f"{label:46} {t.wall:7.2f} {args.lines / t.wall:9,.0f} {t.wall / base.wall:7.2f}"
            f" {t.cpu:7.2f} {t.cpu / base.cpu:10.2f}"
        )
    print("CPU time of the workers row is the sum over its processes (it buys wall time with CPUs).")


if __name__ == "__main__":
    main()
