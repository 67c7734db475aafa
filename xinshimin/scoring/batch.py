"""Batch scoring of an exchange-format stream: one output line per input line, in order.

Good line → ``{"id_number", "as_of", "policy", "total", "common", "local", "deductions", "items"}`` with
decimal strings (two decimals; ``ded.*`` items negative). Bad line → ``{"line", "field", "error"}``.
Streams with constant memory: output is written in chunks of ``chunk_lines`` lines.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import multiprocessing as mp
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from typing import Any, NamedTuple

from xinshimin.policies import ExchangeError, PolicyVersion, evaluate_quarters, format_points
from xinshimin.policies.exchange import IdInfo, IdParser, error_line, parse_exchange_line
from xinshimin.residents.idnumber import PROVINCE_CODES, id_number_checksum, parse_id_number

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
_DIGIT_BIAS = 48 * sum(_WEIGHTS)  # the bytes of "0"…"9" are 48…57


class _CheckedId(NamedTuple):
    value: str
    birth_date: dt.date


def quick_id_parser(today: dt.date) -> IdParser:
    """``parse_id_number`` with a fast path for the common case, for batch work.

    A plain 18-character number (ASCII digits, a known province, a real birth date not after ``today``, the
    right check character) is accepted directly; anything else — spaces, full-width digits, a lower-case
    x, any error — goes to ``xinshimin.residents.idnumber.parse_id_number``, which normalises it or raises
    ``InvalidIdNumber`` with the precise message. The fast path accepts exactly what it would accept
    (tested against it).
    """
    slow = partial(parse_id_number, today=today)
    births: dict[str, dt.date | None] = {}
    provinces = frozenset(PROVINCE_CODES)
    assert id_number_checksum("52240119920315451") == "3"  # the same algorithm as the residents module

    def parse(raw: str) -> IdInfo:
        if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[:2] in provinces:
            text = raw[6:14]
            if text in births:
                birth = births[text]
            else:
                try:
                    birth = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
                except ValueError:
                    birth = None
                if birth is not None and (birth.year < 1800 or birth > today):
                    birth = None
                if len(births) < 100_000:
                    births[text] = birth
            if birth is not None:
                total = sum(map(operator.mul, raw[:17].encode("ascii"), _WEIGHTS)) - _DIGIT_BIAS
                if raw[17] == _CHECK[total % 11]:
                    return _CheckedId(raw, birth)
        return slow(raw)

    return parse


class _PointsText(dict[int, str]):
    """Quarter points → "24.00", remembered (a batch meets the same few thousand values again and again)."""

    def __missing__(self, quarters: int) -> str:
        text = format_points(quarters)
        if len(self) < 100_000:
            self[quarters] = text
        return text


_POINTS_TEXT = _PointsText()


@dataclass
class BatchReport:
    lines: int = 0
    bad: int = 0


class PolicyChooser:
    """The version for an as-of date: the fixed one (``--policy``), else the one in force on that date."""

    def __init__(self, published: Sequence[PolicyVersion], fixed: PolicyVersion | None = None) -> None:
        self.published = sorted(published, key=lambda p: p.effective_on, reverse=True)
        self.fixed = fixed
        self._by_date: dict[dt.date, tuple[PolicyVersion, str]] = {}

    def choose(self, as_of: dt.date) -> tuple[PolicyVersion, str]:
        """(policy, output template) for ``as_of``; ``ExchangeError`` on ``as_of`` if none is in force."""
        found = self._by_date.get(as_of)
        if found is not None:
            return found
        policy = self.fixed or next((p for p in self.published if p.effective_on <= as_of), None)
        if policy is None:
            earliest = min((p.effective_on for p in self.published), default=None)
            raise ExchangeError(
                "as_of",
                f"{as_of} 没有已生效的积分政策" + (f"（最早的版本自 {earliest} 起生效）" if earliest else ""),
            )
        found = self._by_date[as_of] = (policy, output_template(policy, as_of))
        if len(self._by_date) > 10_000:
            self._by_date.clear()
        return found


def output_template(policy: PolicyVersion, as_of: dt.date) -> str:
    """A %-template of one output line for a policy and date: id_number, total, common, local, deductions,
    then every item in the policy's order. Only checked values are put in (an ID number is digits and X,
    points are decimal strings), so no JSON escaping is needed."""
    head = f'{{"id_number":"%s","as_of":"{as_of.isoformat()}","policy":"{policy.version_id}",'
    sums = '"total":"%s","common":"%s","local":"%s","deductions":"%s",'
    items = ",".join(f'"{code}":"%s"' for code in policy.codes)
    return head + sums + '"items":{' + items + "}}\n"


def score_chunk(
    lines: Sequence[str],
    *,
    first_line: int,
    chooser: PolicyChooser,
    parse_id: IdParser,
    today: dt.date,
    as_of: dt.date | None,
) -> tuple[str, int]:
    """Score consecutive lines (the first is line ``first_line`` of the input): (output text, bad lines)."""
    text_of = _POINTS_TEXT.__getitem__
    choose = chooser.choose
    out: list[str] = []
    bad = 0
    for number, line in enumerate(lines, start=first_line):
        try:
            record = parse_exchange_line(line, parse_id=parse_id)
            day = as_of or record.as_of or today
            policy, template = choose(day)
            score = evaluate_quarters(
                record.facts, policy, as_of=day, birth_date=record.birth_date, present=record.present
            )
            out.append(
                template
                % (
                    record.id_number,
                    text_of(score.total_q),
                    text_of(score.common_q),
                    text_of(score.local_q),
                    text_of(score.deductions_q),
                    *map(text_of, score.items),
                )
            )
        except ExchangeError as error:
            bad += 1
            out.append(error_line(number, error) + "\n")
    return "".join(out), bad


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


# The state of a worker process (inherited through fork; nothing is pickled but lines and results).
_worker: dict[str, Any] = {}


def _score_in_worker(first_line: int, lines: list[str]) -> tuple[str, int]:
    return score_chunk(lines, first_line=first_line, **_worker)


def score_lines(
    lines: Iterable[str],
    write: Callable[[str], Any],
    *,
    chooser: PolicyChooser,
    parse_id: IdParser,
    today: dt.date,
    as_of: dt.date | None = None,
    jobs: int = 1,
    chunk_lines: int = 2000,
) -> BatchReport:
    """Score every line and ``write`` the results in input order. ``as_of`` overrides each line's date;
    a line without a date is scored on ``today``.

    Works in chunks of ``chunk_lines`` lines. With ``jobs`` > 1 and more than one chunk of input, the
    chunks are scored by that many forked worker processes; at most ``2 × jobs`` chunks are in flight, so
    memory stays constant whatever the size of the input.
    """
    # Per line the engine makes short-lived, acyclic objects: collect cycles less often, and never scan
    # again what is alive now (Django, the policy; also spares copy-on-write in forked workers).
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 20_000), *threshold[1:])
    try:
        return _score_lines(lines, write, chooser, parse_id, today, as_of, jobs, chunk_lines)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _score_lines(
    lines: Iterable[str],
    write: Callable[[str], Any],
    chooser: PolicyChooser,
    parse_id: IdParser,
    today: dt.date,
    as_of: dt.date | None,
    jobs: int,
    chunk_lines: int,
) -> BatchReport:
    report = BatchReport()
    settings: dict[str, Any] = {"chooser": chooser, "parse_id": parse_id, "today": today, "as_of": as_of}
    chunks = _chunks(lines, chunk_lines)
    first = next(chunks, None)
    if first is None:
        return report
    second = next(chunks, None)
    if jobs <= 1 or second is None or "fork" not in mp.get_all_start_methods():
        for chunk in chain([first], [second] if second else [], chunks):
            text, bad = score_chunk(chunk, first_line=report.lines + 1, **settings)
            write(text)
            report.lines += len(chunk)
            report.bad += bad
        return report

    _worker.update(settings)  # read by the forked workers
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            pending: deque[Future[tuple[str, int]]] = deque()
            for chunk in chain([first, second], chunks):
                pending.append(pool.submit(_score_in_worker, report.lines + 1, chunk))
                report.lines += len(chunk)
                if len(pending) >= 2 * jobs:
                    text, bad = pending.popleft().result()
                    write(text)
                    report.bad += bad
            while pending:
                text, bad = pending.popleft().result()
                write(text)
                report.bad += bad
    finally:
        _worker.clear()
    return report


# --- writing many score snapshots ----------------------------------------------------------------------
# A recompute writes a few thousand snapshots a batch, each with its 28 explanations in two languages
# (≈ 6 kB). Django's ``bulk_create`` on PostgreSQL sends them as arrays of literals that psycopg quotes in
# Python character by character: three quarters of a recompute's time (bench/README-recompute.md). COPY
# sends the same rows in the C-accelerated text format.

SNAPSHOT_COLUMNS = (
    "resident_id",
    "policy_id",
    "as_of",
    "total",
    "raw_total",
    "common",
    "local",
    "deductions",
    "items",
    "notes",
    "facts_digest",
    "computed_at",
)
_LOAD_TABLE = "scoring_snapshot_load"


def _snapshot_row(snapshot: Any) -> tuple[Any, ...]:
    values = [getattr(snapshot, column) for column in SNAPSHOT_COLUMNS]
    values[8] = json.dumps(values[8], ensure_ascii=False, separators=(",", ":"))
    values[9] = json.dumps(values[9], ensure_ascii=False, separators=(",", ":"))
    return tuple(values)


def _copy_rows(cursor: Any, table: str, rows: Sequence[Any]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN") as copy:
        for snapshot in rows:
            copy.write_row(_snapshot_row(snapshot))


def _upsert_through_load_table(cursor: Any, rows: Sequence[Any], update_fields: Sequence[str]) -> None:
    columns = ", ".join(SNAPSHOT_COLUMNS)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_LOAD_TABLE} ON COMMIT DELETE ROWS "  # noqa: S608
        f"AS SELECT {columns} FROM scoring_scoresnapshot WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {_LOAD_TABLE}")
    _copy_rows(cursor, _LOAD_TABLE, rows)
    updates = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in update_fields)
    cursor.execute(
        f"INSERT INTO scoring_scoresnapshot ({columns}) SELECT {columns} FROM {_LOAD_TABLE} "  # noqa: S608
        f"ON CONFLICT (resident_id, policy_id, as_of) DO UPDATE SET {updates}"
    )
    cursor.execute(f"TRUNCATE {_LOAD_TABLE}")


def snapshots_write(rows: Sequence[Any], *, existing: set[int], update_fields: Sequence[str]) -> None:
    """Insert or update ``ScoreSnapshot`` objects (unsaved) by (resident, policy, as-of), inside the
    caller's transaction. ``existing``: residents whose row for that key was seen before computing.

    PostgreSQL: new rows by ``COPY`` straight into the table (in a savepoint; if another writer added one
    of them meanwhile, the unique constraint refuses the COPY and those rows take the upsert path), rows
    that exist by ``COPY`` into a temporary table and ``INSERT … ON CONFLICT DO UPDATE``. Other databases:
    ``bulk_create(update_conflicts=True)``."""
    from django.db import IntegrityError, connection, transaction

    from .models import ScoreSnapshot

    if not rows:
        return
    if connection.vendor != "postgresql":
        ScoreSnapshot.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["resident", "policy", "as_of"],
            update_fields=list(update_fields),
        )
        return
    import psycopg  # the raw cursor's errors are psycopg's (Django wraps only its own cursor's)

    fresh = [row for row in rows if row.resident_id not in existing]
    known = [row for row in rows if row.resident_id in existing]
    with connection.cursor() as cursor:
        if fresh:
            try:
                with transaction.atomic():
                    _copy_rows(cursor.cursor, "scoring_scoresnapshot", fresh)
            except (IntegrityError, psycopg.IntegrityError):
                known.extend(fresh)
        if known:
            _upsert_through_load_table(cursor.cursor, known, update_fields)


# --- explanations of many scores -----------------------------------------------------------------------
# The other half of a recompute's time is writing every item's explanation in two languages. Many people
# share an item's result (the same education level, the same age, no data): remember each distinct result's
# texts, per policy version. An item's texts depend only on the item, its points before and after the cap
# and its measure (``ItemScore._explain``), so the memo gives exactly what ``Score.items_json`` gives.

_EXPLAINED: dict[int, tuple[PolicyVersion, dict[Any, tuple[str, str]]]] = {}
_EXPLAINED_LIMIT = 200_000  # distinct results remembered per version


def explained_items(score: Any) -> dict[str, dict[str, str]]:
    """``score.items_json()`` (code → {points, zh, en}), with the texts of repeated results remembered."""
    policy = score.policy
    entry = _EXPLAINED.get(id(policy))
    if entry is None or entry[0] is not policy:
        if len(_EXPLAINED) >= 8:
            _EXPLAINED.clear()
        entry = _EXPLAINED[id(policy)] = (policy, {})  # holding the version keeps its id unique
    memo = entry[1]
    text_of = _POINTS_TEXT.__getitem__
    out: dict[str, dict[str, str]] = {}
    for result in score.items:
        key: Any = (result.item.code, result.quarters, result.raw_quarters, result.measure)
        try:
            texts = memo.get(key)
        except TypeError:  # a measure that cannot be hashed: explain it every time
            texts, key = None, None
        if texts is None:
            texts = result.explain_both()
            if key is not None and len(memo) < _EXPLAINED_LIMIT:
                memo[key] = texts
        out[result.item.code] = {"points": text_of(result.quarters), "zh": texts[0], "en": texts[1]}
    return out


def stored_digests(*, policy_id: int, as_of: dt.date, resident_ids: Sequence[int]) -> dict[int, str]:
    """resident id → input digest of their stored snapshot at (policy, as-of), for these residents.

    Looked up by the unique index (resident, policy, as-of) whatever the table's statistics say
    (``policy_id + 0`` keeps the ranking index (policy, as-of, total) out of the plan): during the first
    recompute of a new as-of date the statistics know no row of that date yet, and PostgreSQL would scan
    every snapshot of the date written so far, for every batch — a quadratic recompute."""
    from django.db.models import F

    from .models import ScoreSnapshot

    rows = (
        ScoreSnapshot.objects.alias(policy_plus=F("policy_id") + 0)
        .filter(resident_id__in=list(resident_ids), policy_plus=policy_id, as_of=as_of)
        .values_list("resident_id", "facts_digest")
    )
    return dict(rows)
