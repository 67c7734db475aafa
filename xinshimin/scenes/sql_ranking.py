"""The ranking as one PostgreSQL statement: what ``ranking.py`` defines, computed inside the database.

A list of 100,000 rows is ranked and written by ``INSERT … SELECT … ROW_NUMBER() OVER (ORDER BY <chain>)``
(the tie-break chain compiled to ``ORDER BY`` terms, the lottery as ``sha256(seed:number)`` in SQL, names
masked by the same rule as ``core.masking.mask_name``), and both digests are computed by one aggregate
over the stored rows. Python never handles the rows, so publishing a list costs little more than an SQL
window-function ranking of the same rows (``bench/ranking_bench.py``).

Equivalence with ``ranking.py`` (checked by ``tests/test_sql_ranking.py`` on PostgreSQL, and for every
run by ``selectors.run_verify``):

* ``ORDER BY`` terms: total ↓, social-insurance points ↓, registration date ↑ with NULLS LAST, submission
  time ↑, ``encode(sha256(…), 'hex') COLLATE "C"`` ↑, the application number ``COLLATE "C"`` ↑ — byte order
  of UTF-8 is code-point order, which is how Python compares strings;
* the masked name: Python's ``str.strip()`` (every character for which ``str.isspace()`` is true), then
  the surname (two characters for a compound surname when the name is longer than two) and one ``*`` per
  remaining character, at least one;
* digests: the same lines, built with ``to_char`` (dates and UTC times) and ``numeric(8,2)::text`` (points).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from xinshimin.core.masking import COMPOUND_SURNAMES
from xinshimin.residents.models import ResidencePermit, Resident
from xinshimin.scoring.models import Fact, ScoreSnapshot

from . import ranking
from .models import Application, RankingRow, RankingRun, Scene

# Every character for which Python's str.isspace() is true: what str.strip() removes.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_ORDER_TERMS = {
    ranking.TOTAL_DESC: "total DESC",
    ranking.SOCIAL_INSURANCE_DESC: "si DESC",
    ranking.RESIDENCE_REGISTERED_ASC: "registered ASC NULLS LAST",
    ranking.SUBMITTED_ASC: "submitted_at ASC",
    ranking.LOTTERY: "encode(sha256(convert_to(%(seed)s || ':' || number, 'UTF8')), 'hex') COLLATE \"C\" ASC",
}


def order_by(chain: list[str]) -> str:
    """The chain as an ``ORDER BY`` list (after the chain: the application number)."""
    terms = [_ORDER_TERMS[key] for key in ranking.validate_chain(chain)]
    return ", ".join([*terms, 'number COLLATE "C" ASC'])


def _insert_sql(chain: list[str]) -> str:
    row, app = RankingRow._meta.db_table, Application._meta.db_table
    resident, snapshot = Resident._meta.db_table, ScoreSnapshot._meta.db_table
    fact, permit = Fact._meta.db_table, ResidencePermit._meta.db_table
    masked = (
        "CASE WHEN nm = '' THEN '' "
        "WHEN length(nm) > 2 AND left(nm, 2) = ANY(%(compound)s) THEN left(nm, 2) || repeat('*', length(nm) - 2) "
        "ELSE left(nm, 1) || repeat('*', greatest(length(nm) - 1, 1)) END"
    )
    fact_date = (
        "CASE WHEN (f.value #>> '{}') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN (f.value #>> '{}')::date END"
    )
    # Only table names of our models and the fixed ORDER BY terms are put into the text; values are
    # parameters.
    return f"""
INSERT INTO {row} (run_id, application_id, rank, number, name_masked, id_number_masked, total,
                   social_insurance, residence_registered_on, submitted_at, is_top_n, is_selected, snapshot_id)
SELECT %(run)s, id, rank, number, {masked}, id_number_masked, total, si, registered, submitted_at,
       rank <= %(top_n)s,
       CASE WHEN %(threshold_mode)s THEN total >= %(threshold)s ELSE TRUE END
           AND (%(quota)s::integer IS NULL OR rank <= %(quota)s::integer),
       snap_id
FROM (
    SELECT *, ROW_NUMBER() OVER (ORDER BY {order_by(chain)}) AS rank
    FROM (
        SELECT a.id, a.number, btrim(r.name, %(whitespace)s) AS nm, r.id_number_masked, s.id AS snap_id,
               s.total, COALESCE((s.items #>> %(si_path)s)::numeric(8, 2), 0) AS si,
               COALESCE({fact_date}, p.ruian_residence_registered_on) AS registered, a.submitted_at
        FROM {app} a
        JOIN {resident} r ON r.id = a.resident_id
        JOIN {snapshot} s ON s.resident_id = a.resident_id AND s.policy_id = %(policy)s AND s.as_of = %(as_of)s
        LEFT JOIN {fact} f ON f.resident_id = a.resident_id AND f.kind = 'ruian_residence_registered_on'
        LEFT JOIN LATERAL (
            SELECT ruian_residence_registered_on FROM {permit} p
            WHERE p.resident_id = a.resident_id AND p.issued_on <= %(as_of)s
            ORDER BY p.issued_on DESC, p.id DESC LIMIT 1
        ) p ON TRUE
        WHERE a.scene_id = %(scene)s AND a.status = 'eligible'
    ) inputs
) ranked
"""  # noqa: S608


def _digests_sql() -> str:
    row = RankingRow._meta.db_table
    # a table name is put into the text; values are parameters
    return f"""
SELECT
  encode(sha256(convert_to(%(head)s || COALESCE(string_agg(
      number || '|' || total::text || '|' || social_insurance::text || '|'
      || COALESCE(to_char(residence_registered_on, 'YYYY-MM-DD'), '') || '|'
      || to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00' || chr(10),
      '' ORDER BY number COLLATE "C"), ''), 'UTF8')), 'hex'),
  encode(sha256(convert_to(COALESCE(string_agg(
      rank::text || '|' || number || '|' || name_masked || '|' || id_number_masked || '|' || total::text
      || '|' || CASE WHEN is_top_n THEN '1' ELSE '0' END || '|' || CASE WHEN is_selected THEN '1' ELSE '0' END
      || chr(10), '' ORDER BY rank), ''), 'UTF8')), 'hex'),
  count(*)
FROM {row} WHERE run_id = %(run)s
"""  # noqa: S608


def rank_in_database(*, run: RankingRun, scene: Scene, seed: str) -> tuple[int, str, str]:
    """Rank the eligible applications of ``scene`` into the rows of ``run``; returns (rows, inputs digest,
    output digest). Must run inside the caller's transaction (the run row is already inserted)."""
    params: dict[str, Any] = {
        "run": run.pk,
        "scene": scene.pk,
        "policy": scene.policy_id,
        "as_of": scene.as_of,
        "seed": seed,
        "top_n": scene.top_n,
        "quota": scene.quota,
        "threshold_mode": scene.mode == Scene.Mode.THRESHOLD,
        "threshold": scene.threshold,
        "compound": sorted(COMPOUND_SURNAMES),
        "whitespace": PYTHON_WHITESPACE,
        "si_path": ["common.social_insurance", "points"],
    }
    head = ranking.inputs_head(
        scene_code=scene.code,
        as_of=scene.as_of,
        policy_version=scene.policy.version_id,
        chain=scene.tie_break,
        seed=seed,
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves for one pass
        cursor.execute(_insert_sql(list(scene.tie_break)), params)
        cursor.execute(_digests_sql(), {"run": run.pk, "head": head})
        inputs, output, count = cursor.fetchone()
    return int(count), str(inputs), str(output)
