"""Benchmark: full recompute of score snapshots for a city, next to a plain COPY out and COPY in of the same rows.

    .venv/bin/python bench/recompute_bench.py --database-url postgres://postgres@127.0.0.1:5432/xsm_bench \
        [--residents 500000] [--repeat 2] [--seed 2025] [--json FILE]

The database is migrated, then (once; later runs with the same --residents reuse it) filled by COPY with a
population: residents with a valid permit (varied registration dates), and facts from the same generator as
the demo and the batch benchmark (``xinshimin.scoring.demo.random_facts``: most people the common facts, some
local ones, lists of events, 5 % a deduction), about 9 facts a person. Not timed.

Then, in the same run, ``--repeat`` times each (best reported):

1. **recompute** — ``recompute_execute`` of a fresh ``RecomputeRun`` (every resident with a scoring permit,
   the published version in force, as of the benchmark date) with no snapshot of that (version, date) yet:
   the facts and permits read in batches, every score evaluated with its explanations in two languages,
   every snapshot written (``bulk_create`` with ``update_conflicts``). The snapshots are deleted (and the
   table vacuumed) before each repetition.
2. **copy** — the baseline: ``COPY … TO STDOUT`` of the same input rows (the facts and the permits the
   recompute reads) plus ``COPY … FROM STDIN`` of the same output rows (the snapshots it wrote, exported
   beforehand) into an empty table with the same columns, unique constraint and indexes
   (``CREATE TABLE … (LIKE scoring_scoresnapshot INCLUDING ALL)``, without the foreign keys).
3. **recompute again** — a second run with nothing changed: every input digest matches, nothing is written.

Goal (issue 3): recompute within 3× the copy baseline. Loopback database only; every step is bounded by
the population size. Figures go to stdout (and ``--json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", default="")
    parser.add_argument("--profile", default="", help="write a cProfile of one recompute to this file")
    return parser.parse_args()


ARGS = _parse()
if not ARGS.database_url.startswith("postgres"):
    sys.exit("set --database-url postgres://… (the benchmark is for PostgreSQL)")
host = ARGS.database_url.split("@")[-1].split("/")[0].split(":")[0]
if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
    sys.exit("the benchmark only runs against a database on this machine (loopback)")
os.environ["DATABASE_URL"] = ARGS.database_url

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from xinshimin.accounts.models import Town  # noqa: E402
from xinshimin.residents.idnumber import random_valid_id_number  # noqa: E402
from xinshimin.residents.models import Resident  # noqa: E402
from xinshimin.residents.personal_data import id_number_columns, phone_columns  # noqa: E402
from xinshimin.scoring.demo import random_facts  # noqa: E402
from xinshimin.scoring.models import RecomputeRun, ScoreSnapshot  # noqa: E402
from xinshimin.scoring.selectors import policy_cache_clear, policy_for  # noqa: E402
from xinshimin.scoring.services import canonical_fact_value, recompute_execute  # noqa: E402

AS_OF = dt.date(2025, 6, 30)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红"
CHUNK = 20_000


def _raw() -> Any:
    connection.ensure_connection()
    return connection.connection


def populate(n: int, seed: int) -> None:
    """Residents, permits and facts by COPY (not timed)."""
    rng = random.Random(seed)
    towns = list(Town.objects.values_list("pk", flat=True))
    now = timezone.now()
    phone = phone_columns("13800000000")  # one phone for all: not what is measured
    started = time.perf_counter()
    used: set[str] = set()
    taken = set(Resident.objects.values_list("id_number_index", flat=True))  # from an earlier, smaller run
    raw = _raw()
    with raw.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM residents_resident")
        first = cursor.fetchone()[0] + 1
    for start in range(0, n, CHUNK):
        with raw.cursor() as cursor:
            with cursor.copy(
                "COPY residents_resident (id, name, id_number_cipher, id_number_index, id_number_masked, "
                "birth_date, sex, phone_cipher, phone_index, phone_masked, employer, employer_is_ruian, "
                "created_at, updated_at, town_id) FROM STDIN"
            ) as copy:
                for k in range(start, min(n, start + CHUNK)):
                    while True:
                        id_number = random_valid_id_number(
                            rng, birth_from=dt.date(1965, 1, 1), birth_to=dt.date(2003, 12, 31)
                        )
                        if id_number in used:
                            continue
                        columns = id_number_columns(id_number)
                        if columns["id_number_index"] not in taken:
                            break
                    used.add(id_number)
                    copy.write_row(
                        (
                            first + k,
                            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                            columns["id_number_cipher"],
                            columns["id_number_index"],
                            columns["id_number_masked"],
                            dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
                            "M" if int(id_number[16]) % 2 else "F",
                            phone["phone_cipher"],
                            phone["phone_index"],
                            phone["phone_masked"],
                            "",
                            True,
                            now,
                            now,
                            towns[k % len(towns)],
                        )
                    )
            with cursor.copy(
                "COPY residents_residencepermit (number, issued_on, valid_until, status, "
                "zj_residence_registered_on, ruian_residence_registered_on, created_at, updated_at, "
                "issuing_town_id, resident_id) FROM STDIN"
            ) as copy:
                for k in range(start, min(n, start + CHUNK)):
                    registered = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 6000))
                    copy.write_row(
                        (
                            f"BENCH-RC-{first + k:010d}",
                            min(registered + dt.timedelta(days=200), AS_OF),
                            dt.date(2030, 12, 31),
                            "valid",
                            registered,
                            registered if rng.random() < 0.9 else None,
                            now,
                            now,
                            towns[k % len(towns)],
                            first + k,
                        )
                    )
            with cursor.copy(
                "COPY scoring_fact (resident_id, kind, value, source, source_ref, recorded_at) FROM STDIN"
            ) as copy:
                for k in range(start, min(n, start + CHUNK)):
                    values = random_facts(rng, AS_OF, with_registration=False)
                    values["employed_in_ruian"] = rng.random() < 0.85
                    for kind, value in values.items():
                        canonical = canonical_fact_value(kind, value)
                        copy.write_row(
                            (first + k, kind, json.dumps(canonical, ensure_ascii=False), "demo", "bench", now)
                        )
        if not raw.autocommit:
            raw.commit()
        done = min(n, start + CHUNK)
        print(f"  populated {done:,} / {n:,} in {time.perf_counter() - started:.0f} s", flush=True)
    with raw.cursor() as cursor:
        for table in ("residents_resident", "residents_residencepermit", "scoring_fact"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE residents_resident")
        cursor.execute("VACUUM ANALYZE residents_residencepermit")
        cursor.execute("VACUUM ANALYZE scoring_fact")


def _clear_snapshots(policy_id: int) -> None:
    ScoreSnapshot.objects.filter(policy_id=policy_id, as_of=AS_OF).delete()
    with _raw().cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_scoresnapshot")


def time_recompute(policy: Any, *, profile: str = "") -> tuple[float, float, RecomputeRun]:
    """(wall s, CPU s of this process, run)."""
    run = RecomputeRun.objects.create(policy=policy, as_of=AS_OF)
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        run = recompute_execute(run_id=run.pk)
        profiler.disable()
        profiler.dump_stats(profile)
    else:
        run = recompute_execute(run_id=run.pk)
    return time.perf_counter() - wall, time.process_time() - cpu, run


def _copy_out(sql: str) -> int:
    size = 0
    with _raw().cursor() as cursor, cursor.copy(sql) as copy:
        for chunk in copy:
            size += len(chunk)
    return size


def export_snapshots(policy_id: int) -> bytes:
    out = io.BytesIO()
    with (
        _raw().cursor() as cursor,
        cursor.copy(
            f"COPY (SELECT * FROM scoring_scoresnapshot WHERE policy_id = {int(policy_id)} "
            f"AND as_of = '{AS_OF.isoformat()}') TO STDOUT"
        ) as copy,
    ):
        for chunk in copy:
            out.write(chunk)
    return out.getvalue()


def time_copy(snapshot_rows: bytes) -> dict[str, float]:
    """COPY out of the input rows, COPY in of the output rows (into a fresh table like the snapshots)."""
    raw = _raw()
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_snapshot_copy")
        cursor.execute("CREATE TABLE bench_snapshot_copy (LIKE scoring_scoresnapshot INCLUDING ALL)")
    started = time.perf_counter()
    facts = _copy_out("COPY (SELECT resident_id, kind, value FROM scoring_fact) TO STDOUT")
    permits = _copy_out(
        "COPY (SELECT resident_id, issued_on, valid_until, status, zj_residence_registered_on, "
        "ruian_residence_registered_on FROM residents_residencepermit) TO STDOUT"
    )
    out_s = time.perf_counter() - started
    started = time.perf_counter()
    with raw.cursor() as cursor:
        with cursor.copy("COPY bench_snapshot_copy FROM STDIN") as copy:
            view = memoryview(snapshot_rows)
            for offset in range(0, len(view), 1 << 20):
                copy.write(view[offset : offset + (1 << 20)])
        if not raw.autocommit:
            raw.commit()
    in_s = time.perf_counter() - started
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE bench_snapshot_copy")
    return {"copy_out_s": out_s, "copy_in_s": in_s, "copy_s": out_s + in_s, "out_bytes": facts + permits}


def main() -> None:
    call_command("migrate", verbosity=0)
    policy_cache_clear()
    policy = policy_for(AS_OF)
    have = Resident.objects.holding_scoring_permit(AS_OF).count()
    if have < ARGS.residents:
        print(f"populating {ARGS.residents - have:,} residents …", flush=True)
        populate(ARGS.residents - have, ARGS.seed)
    population = Resident.objects.holding_scoring_permit(AS_OF).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM scoring_fact")
        facts = cursor.fetchone()[0]
    print(f"population: {population:,} residents with a scoring permit, {facts:,} facts", flush=True)
    results: dict[str, Any] = {"residents": population, "facts": facts, "as_of": AS_OF.isoformat()}
    recompute: list[tuple[float, float]] = []
    copies: list[dict[str, float]] = []
    again: list[tuple[float, float]] = []
    for repetition in range(ARGS.repeat):
        _clear_snapshots(policy.pk)
        wall, cpu, run = time_recompute(policy, profile=ARGS.profile if repetition == 0 else "")
        assert run.status == RecomputeRun.Status.DONE and run.written == population, (run.status, run.written)
        recompute.append((wall, cpu))
        print(
            f"  recompute: {wall:.1f} s wall, {cpu:.1f} s CPU, {run.written:,} snapshots written", flush=True
        )
        rows = export_snapshots(policy.pk)
        copy = time_copy(rows)
        copy["in_bytes"] = len(rows)
        copies.append(copy)
        print(
            f"  copy: out {copy['copy_out_s']:.1f} s ({copy['out_bytes'] / 1e6:.0f} MB), "
            f"in {copy['copy_in_s']:.1f} s ({len(rows) / 1e6:.0f} MB)",
            flush=True,
        )
        wall2, cpu2, run2 = time_recompute(policy)
        assert run2.written == 0
        again.append((wall2, cpu2))
        print(f"  recompute again (nothing changed): {wall2:.1f} s wall, {run2.written} written", flush=True)
    best = min(recompute)
    best_copy = min(copies, key=lambda c: c["copy_s"])
    results.update(
        {
            "recompute_s": round(best[0], 2),
            "recompute_cpu_s": round(best[1], 2),
            "residents_per_s": round(population / best[0]),
            "copy_out_s": round(best_copy["copy_out_s"], 2),
            "copy_in_s": round(best_copy["copy_in_s"], 2),
            "copy_s": round(best_copy["copy_s"], 2),
            "ratio": round(best[0] / best_copy["copy_s"], 2),
            "recompute_again_s": round(min(again)[0], 2),
            "snapshot_mb": round(best_copy["in_bytes"] / 1e6),
        }
    )
    print(json.dumps(results, indent=2))
    if ARGS.json:
        Path(ARGS.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
