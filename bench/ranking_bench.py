"""Benchmark: ranking 100,000 applications and publishing the masked list, next to an SQL window function.

    .venv/bin/python bench/ranking_bench.py --database-url postgres://postgres@127.0.0.1:5432/xsm_bench \
        [--applications 100000] [--repeat 5] [--seed 2025] [--json FILE]

The database is migrated, then (once; later runs reuse it) filled with a population: residents with
permits (varied residence-registration dates), facts (social insurance, education, skill, Rui'an social
insurance, housing …), one 2025 school scene with ``--applications`` eligible applications, and their
score snapshots at the scene's as-of date (computed by the ranking's own bulk path: ``snapshots_ensure``,
timed and reported separately — a real year has them from the nightly recompute).

Then, in the same run, ``--repeat`` times each (medians reported):

1. **ours**: ``ranking_run_create`` + ``notice_publish``, exactly as the centre's button runs them: check the
   snapshots, reveal the seed, rank and write the masked rows in one ``INSERT … SELECT … ROW_NUMBER()``
   (``scenes/sql_ranking.py``: the chain compiled to ``ORDER BY``, lottery and masking in SQL), compute
   the inputs and output SHA-256 digests over the stored rows, supersede/version bookkeeping, audit,
   publish the notice, and the deferred foreign-key checks that COMMIT would run (``SET CONSTRAINTS ALL
   IMMEDIATE``). Each repetition runs in a transaction that is then rolled back, so every repetition
   starts from the same state.
2. **sql-select**: the bare ranking as one SQL statement — ``ROW_NUMBER() OVER (ORDER BY total DESC,
   social-insurance points DESC, registration date ASC NULLS LAST, submitted_at, sha256(seed:number),
   number)`` over the same joined rows (snapshot, residence fact or permit, lottery computed in SQL) —
   with every row fetched to the client.
3. **sql-materialise**: the same statement written into a table (``CREATE TEMP TABLE … AS``): an SQL
   ranking that keeps its result (no indexes, no WAL, no constraints).

Both SQL baselines are measured with PostgreSQL's JIT on (the server default) and off; the report gives
the ratio to the fastest of the four medians.

The SQL baseline's order is checked to be identical to ours, row by row (an independent check of the
chain). Figures go to stdout (and ``--json``).
The goal (issue 5): ours within 2× of the SQL window-function ranking.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
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
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", default="")
    return parser.parse_args()


ARGS = _parse()
if not ARGS.database_url.startswith("postgres"):
    sys.exit("set --database-url postgres://… (the benchmark is for PostgreSQL)")
os.environ["DATABASE_URL"] = ARGS.database_url

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from xinshimin.accounts.models import Town  # noqa: E402
from xinshimin.core.masking import mask_id_number  # noqa: E402
from xinshimin.residents.idnumber import random_valid_id_number  # noqa: E402
from xinshimin.residents.models import ResidencePermit, Resident  # noqa: E402
from xinshimin.residents.personal_data import id_number_columns, phone_columns  # noqa: E402
from xinshimin.scenes import scores, services  # noqa: E402
from xinshimin.scenes.models import Application, Scene  # noqa: E402
from xinshimin.scoring.models import Fact, PolicyRecord  # noqa: E402

CODE = "bench-school-2025"
AS_OF = dt.date(2025, 4, 30)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红"
BATCH = 5000


class Rollback(Exception):
    pass


def local(y: int, m: int, d: int, hh: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, tzinfo=timezone.get_current_timezone())


def populate(n: int, seed: int) -> Scene:
    """Residents, permits, facts, the scene and its eligible applications (not timed)."""
    rng = random.Random(seed)
    towns = list(Town.objects.all())
    policy = PolicyRecord.objects.get(version_id="ruian-2025.1")
    started = time.perf_counter()
    first_pk = (Resident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    used: set[str] = set()
    for start in range(0, n, BATCH):
        residents = []
        for k in range(start, min(n, start + BATCH)):
            id_number = ""
            while not id_number or id_number in used:
                id_number = random_valid_id_number(
                    rng, birth_from=dt.date(1970, 1, 1), birth_to=dt.date(2000, 12, 31)
                )
            used.add(id_number)
            residents.append(
                Resident(
                    name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                    birth_date=dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
                    sex="M" if int(id_number[16]) % 2 else "F",
                    employer_is_ruian=True,
                    town=rng.choice(towns),
                    **id_number_columns(id_number),
                    **phone_columns(f"13{k:09d}"),
                )
            )
        Resident.objects.bulk_create(residents, batch_size=1000)
    ids = list(Resident.objects.filter(pk__gte=first_pk).order_by("pk").values_list("pk", flat=True))
    print(f"  residents: {len(ids)} in {time.perf_counter() - started:.1f} s", flush=True)
    permits, facts = [], []
    for pk in ids:
        registered = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        permits.append(
            ResidencePermit(
                resident_id=pk,
                number=f"BENCH{pk:010d}",
                issuing_town=towns[pk % len(towns)],
                issued_on=registered + dt.timedelta(days=200),
                valid_until=dt.date(2030, 12, 31),
                zj_residence_registered_on=registered,
                ruian_residence_registered_on=registered if rng.random() < 0.9 else None,
            )
        )
        now = timezone.now()
        for kind, value in (
            ("zj_social_insurance_months", rng.randint(0, 80)),
            ("ruian_social_insurance_months", rng.randint(0, 60)),
            ("education", rng.choice(["bachelor", "college", "high_school", "below_high_school"])),
            ("skill", rng.choice(["none", "level3", "level4", "level5"])),
            ("housing", rng.choice(["registered_lease", "none", "owned"])),
            ("employed_in_ruian", True),
        ):
            facts.append(Fact(resident_id=pk, kind=kind, value=value, source="demo", recorded_at=now))
    ResidencePermit.objects.bulk_create(permits, batch_size=BATCH)
    Fact.objects.bulk_create(facts, batch_size=BATCH)
    print(f"  permits and facts in {time.perf_counter() - started:.1f} s", flush=True)
    scene = services.scene_create(
        actor=None,
        code=CODE,
        name="基准测试 · 2025年积分入学",
        kind=Scene.Kind.SCHOOL,
        year=2025,
        opens_at=local(2025, 3, 1),
        closes_at=local(2025, 5, 1),
        review_starts_on=dt.date(2025, 3, 1),
        review_ends_on=dt.date(2025, 5, 10),
        as_of=AS_OF,
        policy=policy,
        quota=5000,
        departments=["education"],
    )
    scene = services.scene_publish(actor=None, scene=scene)
    window = int((local(2025, 5, 1) - local(2025, 3, 1)).total_seconds())
    applications = [
        Application(
            scene=scene,
            resident_id=pk,
            number=f"{CODE}-{i + 1:06d}",
            kind="school",
            year=2025,
            child_id_index=f"bench-child-{pk}",
            child_name_masked="某*",
            child_id_number_masked=mask_id_number("522401201901010000"),
            stage="grade1",
            status=Application.Status.ELIGIBLE,
            # whole seconds: many applicants share a second, so the later keys of the chain are exercised
            submitted_at=local(2025, 3, 1) + dt.timedelta(seconds=rng.randint(0, window // 60) * 60),
        )
        for i, pk in enumerate(ids)
    ]
    Application.objects.bulk_create(applications, batch_size=BATCH)
    Scene.objects.filter(pk=scene.pk).update(application_count=len(applications))
    print(
        f"  scene and {len(applications)} applications in {time.perf_counter() - started:.1f} s", flush=True
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    scene.refresh_from_db()
    return scene


SQL_RANKING = """
SELECT a.id, ROW_NUMBER() OVER (ORDER BY
    s.total DESC,
    COALESCE((s.items -> 'common.social_insurance' ->> 'points')::numeric, 0) DESC,
    COALESCE((f.value #>> '{}')::date, p.ruian_residence_registered_on) ASC NULLS LAST,
    a.submitted_at ASC,
    encode(sha256(convert_to(%(seed)s || ':' || a.number, 'UTF8')), 'hex') COLLATE "C" ASC,
    a.number COLLATE "C" ASC
) AS rank
FROM scenes_application a
JOIN scoring_scoresnapshot s
  ON s.resident_id = a.resident_id AND s.policy_id = %(policy)s AND s.as_of = %(as_of)s
LEFT JOIN scoring_fact f ON f.resident_id = a.resident_id AND f.kind = 'ruian_residence_registered_on'
LEFT JOIN LATERAL (
    SELECT ruian_residence_registered_on FROM residents_residencepermit p
    WHERE p.resident_id = a.resident_id AND p.issued_on <= %(as_of)s
    ORDER BY p.issued_on DESC, p.id DESC LIMIT 1
) p ON TRUE
WHERE a.scene_id = %(scene)s AND a.status = 'eligible'
"""


def sql_params(scene: Scene, seed: str) -> dict[str, Any]:
    return {"seed": seed, "policy": scene.policy_id, "as_of": scene.as_of, "scene": scene.pk}


def time_ours(scene: Scene) -> tuple[float, list[int], dict[str, Any]]:
    started = time.perf_counter()
    info: dict[str, Any] = {}
    try:
        with transaction.atomic():
            run = services.ranking_run_create(actor=None, scene=scene)
            services.notice_publish(actor=None, scene=scene, published_on=dt.date(2025, 5, 12))
            with connection.cursor() as cursor:
                # what COMMIT would do before the rollback below: check the deferred foreign keys
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            order = list(run.rows.order_by("rank").values_list("application_id", flat=True))
            info = {
                "rows": run.row_count,
                "inputs_digest": run.inputs_digest,
                "output_digest": run.output_digest,
            }
            raise Rollback
    except Rollback:
        pass
    return elapsed, order, info


def _jit(cursor: Any, on: bool) -> None:
    cursor.execute(f"SET jit = {'on' if on else 'off'}")


def time_sql_select(scene: Scene, seed: str, *, jit: bool) -> tuple[float, list[int]]:
    with connection.cursor() as cursor:
        _jit(cursor, jit)
        started = time.perf_counter()
        cursor.execute(SQL_RANKING + " ORDER BY rank", sql_params(scene, seed))
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
        _jit(cursor, True)
    return elapsed, [row[0] for row in rows]


def time_sql_materialise(scene: Scene, seed: str, *, jit: bool) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_sql_rank")
        _jit(cursor, jit)
        started = time.perf_counter()
        cursor.execute("CREATE TEMP TABLE bench_sql_rank AS " + SQL_RANKING, sql_params(scene, seed))
        elapsed = time.perf_counter() - started
        _jit(cursor, True)
        cursor.execute("DROP TABLE bench_sql_rank")
    return elapsed


def main() -> None:
    print(f"database: {connection.settings_dict['NAME']} (PostgreSQL)", flush=True)
    call_command("migrate", verbosity=0)
    scene = Scene.objects.filter(code=CODE).first()
    if scene is None or scene.applications.count() != ARGS.applications:
        if scene is not None:
            sys.exit(f"{CODE} exists with another size: use a fresh database or the same --applications")
        print(f"populating {ARGS.applications} applications …", flush=True)
        scene = populate(ARGS.applications, ARGS.seed)
    started = time.perf_counter()
    computed = scores.snapshots_ensure(
        policy=scene.policy,
        as_of=scene.as_of,
        resident_ids=scene.applications.values_list("resident_id", flat=True),
    )
    snapshot_seconds = time.perf_counter() - started
    print(f"snapshots computed now: {computed} in {snapshot_seconds:.1f} s (0 when kept from an earlier run)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # settle a freshly written database (hint bits, statistics)
    seed = scene.lottery_seed

    figures: dict[str, list[float]] = {
        name: []
        for name in ("ours", "sql_select", "sql_select_nojit", "sql_materialise", "sql_materialise_nojit")
    }
    reference: list[int] = []
    info: dict[str, Any] = {}
    for i in range(ARGS.repeat):
        elapsed, order, info = time_ours(scene)
        figures["ours"].append(elapsed)
        if i == 0:
            reference = order
        elif order != reference:
            sys.exit("our ranking differs between repetitions")
        for jit, suffix in ((True, ""), (False, "_nojit")):
            elapsed, sql_order = time_sql_select(scene, seed, jit=jit)
            figures["sql_select" + suffix].append(elapsed)
            if sql_order != reference:
                first = next(k for k, (a, b) in enumerate(zip(sql_order, reference, strict=False)) if a != b)
                sys.exit(f"SQL order differs from ours at rank {first + 1}")
            figures["sql_materialise" + suffix].append(time_sql_materialise(scene, seed, jit=jit))
        print(
            "  run " + str(i + 1) + ": " + " · ".join(f"{k} {v[-1]:.3f} s" for k, v in figures.items()),
            flush=True,
        )

    med = {name: statistics.median(values) for name, values in figures.items()}
    best = {name: min(values) for name, values in figures.items()}
    baseline = min(
        med["sql_select"], med["sql_select_nojit"], med["sql_materialise"], med["sql_materialise_nojit"]
    )
    result = {
        "applications": len(reference),
        "repeat": ARGS.repeat,
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "best_seconds": {k: round(v, 3) for k, v in best.items()},
        "ratio_to_fastest_sql_median": round(med["ours"] / baseline, 2),
        "ratio_best_to_best": round(best["ours"] / min(v for k, v in best.items() if k != "ours"), 2),
        "snapshot_seconds_first_run": round(snapshot_seconds, 1) if computed else None,
        "identical_order": True,
        **info,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if ARGS.json:
        Path(ARGS.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
