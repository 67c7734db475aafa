"""Benchmark of the welfare redemption endpoint at the opening instant, next to a bare JSON endpoint.

    .venv/bin/python bench/welfare_bench.py --database-url postgres://postgres@127.0.0.1:5432/xsm_bench \
        [--workers 5] [--clients 64] [--residents 4000] [--stock 2000] [--bare-seconds 10] [--no-audit-run]

What it does, in one run against one gunicorn server on 127.0.0.1 (loopback only):

1. Recreates the database's schema (refused unless the name contains "bench", or ``--wipe-database``),
   migrates, and seeds ``--residents`` eligible residents (login, valid permit, points > 0) with a
   logged-in session each (sessions written directly: the login form is not what is measured).
2. Starts ``gunicorn config.wsgi`` with ``--workers`` sync workers (DEBUG off, rate limits off: the
   anonymous-API limit would otherwise answer the bare endpoint with 429 after 120 calls).
3. Bare phase: ``--clients`` threads call ``GET /api/welfare/ping`` (no database, no login) for
   ``--bare-seconds``.
4. Redemption phase: an offer of ``--stock`` units opens 2 s later; every client waits for the opening
   instant and then posts ``POST /api/welfare/offers/{id}/redeem`` as one resident after another (a new
   ``Idempotency-Key`` each; 10% of requests are retried later with the same key). Session auth with
   the CSRF cookie and header, as a browser sends it.
5. Checks in the database: granted == stock (when demand ≥ stock), 201 answers == redemptions ==
   certificates, remaining ≥ 0, nobody above the per-person limit → "oversold" is what breaks these.
6. Samples ``pg_stat_activity`` every 10 ms during the redemption phase: how many server backends wait on
   the audit chain's advisory lock, on the offer's row lock, or on the WAL, on average.

With ``--no-audit-run`` the redemption phase is repeated on a fresh offer against a second server whose
workers replace ``audit_record`` in the welfare services with a no-op (a measuring instrument only: it
shows what the audit chain's global lock costs; the product never runs without it).

Prints a table and the same figures as JSON (``--json FILE`` writes them to a file).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_BARE_REQUESTS_PER_CLIENT = 200_000  # a bound for the duration-based loop


# --- the gunicorn app used for the no-audit comparison --------------------------------------------------


def make_app(audit: str = "on") -> Any:
    """gunicorn app factory (``welfare_bench:make_app('off')``): the project's WSGI app, optionally with
    the welfare services' audit writes replaced by a no-op, to measure the audit lock's share."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.wsgi import application

    if audit == "off":
        import xinshimin.welfare.services as services

        services.audit_record = lambda **kwargs: None  # type: ignore[assignment]
    return application


# --- set-up ---------------------------------------------------------------------------------------------


def recreate_schema(url: str, *, wipe: bool) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name and not wipe:
        sys.exit(f"refusing to wipe database {name!r}: use a name containing 'bench' or pass --wipe-database")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


@dataclass
class Seeded:
    sessions: list[str]
    resident_ids: list[int]
    provider_id: int
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))


def seed_residents(count: int) -> Seeded:
    """``count`` residents with logins, valid permits, points and a logged-in session each (bulk)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from xinshimin.accounts.models import Provider, Role, Town, User
    from xinshimin.residents.models import ResidencePermit, Resident
    from xinshimin.residents.personal_data import id_number_columns, phone_columns
    from xinshimin.residents.tests.factories import make_id_number
    from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot

    town = Town.objects.order_by("code").first()
    assert town is not None, "no towns: did the migrations run?"
    provider, _ = Provider.objects.get_or_create(name="基准测试演出中心")
    password = make_password("bench-password-2025")
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", role=Role.RESIDENT, password=password) for i in range(count)],
        batch_size=1000,
    )
    residents = Resident.objects.bulk_create(
        [
            Resident(
                user=user,
                name="王小明",
                birth_date=date(1990, 1, 1),
                sex="M",
                town=town,
                **id_number_columns(make_id_number(500_000 + i)),
                **phone_columns(f"136{i:08d}"),
            )
            for i, user in enumerate(users)
        ],
        batch_size=1000,
    )
    ResidencePermit.objects.bulk_create(
        [
            ResidencePermit(
                resident=r,
                number=f"ZJBENCH{i:08d}",
                issuing_town=town,
                issued_on=date(2022, 3, 1),
                valid_until=date(2035, 12, 31),
                zj_residence_registered_on=date(2020, 9, 1),
            )
            for i, r in enumerate(residents)
        ],
        batch_size=1000,
    )
    policy = PolicyRecord.objects.order_by("pk").first() or PolicyRecord.objects.create(
        jurisdiction="bench", version_id="bench", title="bench", document={}
    )
    ScoreSnapshot.objects.bulk_create(
        [
            ScoreSnapshot(
                resident=r,
                policy=policy,
                as_of=date(2025, 1, 1),
                total=Decimal("87.25"),
                raw_total=Decimal("87.25"),
                common=Decimal("60"),
                local=Decimal("27.25"),
                deductions=Decimal(0),
                items={},
                facts_digest="0" * 64,
                computed_at=timezone.now(),
            )
            for r in residents
        ],
        batch_size=1000,
    )
    store = SessionStore()
    expire = timezone.now() + timedelta(hours=2)
    rows, keys = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=1000)
    return Seeded(sessions=keys, resident_ids=[r.pk for r in residents], provider_id=provider.pk)


def create_offer(*, provider_id: int, stock: int, opens_in: float) -> tuple[int, float]:
    """A published offer opening ``opens_in`` seconds from now; returns (id, opening as time.time())."""
    from django.utils import timezone

    from xinshimin.welfare.models import Offer

    opens = timezone.now() + timedelta(seconds=opens_in)
    offer = Offer.objects.create(
        title=f"基准测试 · 开放瞬间 {stock} 份",
        provider_id=provider_id,
        stock=stock,
        remaining=stock,
        opens_at=opens,
        closes_at=opens + timedelta(hours=1),
        status=Offer.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    return offer.pk, opens.timestamp()


# --- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(env: dict[str, str], *, port: int, workers: int, audit: str) -> subprocess.Popen[bytes]:
    app = "config.wsgi:application" if audit == "on" else f"welfare_bench:make_app('{audit}')"
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--pythonpath",
        f"{ROOT},{ROOT / 'bench'}",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _, _ = call(port, "GET", "/api/welfare/ping")
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        time.sleep(0.2)
    stop_server(process)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the process group we started, nothing else
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- the client -----------------------------------------------------------------------------------------


def call(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, float, bytes]:
    """One request on a new connection (gunicorn's sync workers close it after each answer)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - started, data
    finally:
        conn.close()


@dataclass
class PhaseResult:
    name: str
    requests: int
    seconds: float
    statuses: dict[str, int]
    latencies: list[float]
    errors: int = 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "max_ms": round(max(self.latencies) * 1000, 1) if self.latencies else None,
            "statuses": self.statuses,
            "errors": self.errors,
        }


def run_bare(port: int, *, clients: int, seconds: float) -> PhaseResult:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors = [0]
    start = threading.Barrier(clients + 1)
    end_at = [0.0]

    def client() -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        failed = 0
        start.wait()
        for _ in range(MAX_BARE_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= end_at[0]:
                break
            try:
                status, latency, _ = call(port, "GET", "/api/welfare/ping")
            except OSError:
                failed += 1
                continue
            mine.append(latency)
            seen[str(status)] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            errors[0] += failed

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    end_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - began
    return PhaseResult("bare", len(latencies), elapsed, dict(statuses), latencies, errors[0])


def run_redemption(
    port: int, *, clients: int, seeded: Seeded, offer_id: int, opens_at: float, retry_share: float, seed: int
) -> tuple[PhaseResult, dict[str, Any]]:
    """Every client waits for the opening instant, then redeems as one resident after another."""
    rng = random.Random(seed)
    jobs: list[tuple[str, str]] = []
    for session in seeded.sessions:
        key = uuid.uuid4().hex
        jobs.append((session, key))
    retries = [job for job in jobs if rng.random() < retry_share]
    rng.shuffle(jobs)
    # A retry comes some requests after its original (a client that timed out and sent it again).
    for job in retries:
        position = min(jobs.index(job) + rng.randint(clients, 4 * clients), len(jobs))
        jobs.insert(position, job)
    per_client = [jobs[i::clients] for i in range(clients)]
    path = f"/api/welfare/offers/{offer_id}/redeem"
    lock = threading.Lock()
    records: list[tuple[float, float, int, str]] = []  # (start, latency, status, error code)
    errors = [0]

    def client(work: list[tuple[str, str]]) -> None:
        mine = []
        failed = 0
        delay = opens_at - time.time()
        if delay > 0:
            time.sleep(delay)
        for session, key in work:
            headers = {
                "Cookie": f"sessionid={session}; csrftoken={seeded.csrf}",
                "X-CSRFToken": seeded.csrf,
                "Idempotency-Key": key,
                "Content-Length": "0",
            }
            started = time.perf_counter()
            try:
                status, latency, body = call(port, "POST", path, headers)
            except OSError:
                failed += 1
                continue
            code = ""
            if status >= 400:
                try:
                    code = json.loads(body)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "?"
            mine.append((started, latency, status, code))
        with lock:
            records.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(work,), daemon=True) for work in per_client]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if not records:
        return PhaseResult("redeem", 0, 0.0, {}, [], errors[0]), {}
    first = min(r[0] for r in records)
    last = max(r[0] + r[1] for r in records)
    statuses = Counter(f"{status}{' ' + code if code else ''}" for _, _, status, code in records)
    result = PhaseResult(
        "redeem", len(records), last - first, dict(statuses), [r[1] for r in records], errors[0]
    )
    grants = [r for r in records if r[2] == 201]
    extra: dict[str, Any] = {"jobs": len(jobs), "retries": len(retries)}
    if grants:
        grant_end = max(r[0] + r[1] for r in grants)
        extra["grant_phase_seconds"] = round(grant_end - first, 3)
        extra["grants_per_second"] = round(len(grants) / (grant_end - first), 1)
        ordered = sorted(r[1] for r in grants)
        extra["grant_p50_ms"] = round(ordered[len(ordered) // 2] * 1000, 1)
        extra["grant_p99_ms"] = round(ordered[min(int(0.99 * len(ordered)), len(ordered) - 1)] * 1000, 1)
    return result, extra


def check_database(offer_id: int, *, created: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from xinshimin.welfare.models import Certificate, Offer, Redemption

    connection.close()  # a fresh view of what the server committed
    offer = Offer.objects.get(pk=offer_id)
    redemptions = Redemption.objects.filter(offer_id=offer_id).count()
    certificates = Certificate.objects.filter(redemption__offer_id=offer_id).count()
    top = (
        Redemption.objects.filter(offer_id=offer_id)
        .values("resident")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return {
        "stock": offer.stock,
        "remaining": offer.remaining,
        "redemptions": redemptions,
        "certificates": certificates,
        "answers_201": created,
        "max_per_resident": top or 0,
        "oversold": max(redemptions - offer.stock, 0)
        + (1 if offer.remaining < 0 else 0)
        + (redemptions != offer.stock - offer.remaining)
        + (certificates != redemptions)
        + (created != redemptions)
        + max((top or 0) - offer.per_person_limit, 0),
    }


class LockSampler(threading.Thread):
    """Samples pg_stat_activity of the bench database: what the server's backends are waiting on."""

    QUERY = """
        SELECT count(*) FILTER (WHERE state = 'active'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event IN ('tuple', 'transactionid')),
               count(*) FILTER (WHERE wait_event_type IN ('IO', 'LWLock') AND wait_event LIKE 'WAL%%')
        FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.samples: list[tuple[int, int, int, int]] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for _ in range(100_000):  # bounded: ~16 minutes at 10 ms
                if self.stop.is_set():
                    return
                row = conn.execute(self.QUERY).fetchone()
                if row is not None:
                    self.samples.append(tuple(int(v) for v in row))  # type: ignore[arg-type]
                time.sleep(0.01)

    def summary(self) -> dict[str, Any]:
        busy = [s for s in self.samples if s[0] > 0]
        if not busy:
            return {"samples": 0}
        return {
            "samples": len(busy),
            "avg_active_backends": round(statistics.mean(s[0] for s in busy), 2),
            "avg_waiting_audit_advisory_lock": round(statistics.mean(s[1] for s in busy), 2),
            "avg_waiting_row_lock_offer": round(statistics.mean(s[2] for s in busy), 2),
            "avg_waiting_wal": round(statistics.mean(s[3] for s in busy), 2),
        }


def redemption_round(
    *, env: dict[str, str], url: str, args: argparse.Namespace, seeded: Seeded, audit: str, port: int
) -> dict[str, Any]:
    server = start_server(env, port=port, workers=args.workers, audit=audit)
    try:
        bare = run_bare(port, clients=args.clients, seconds=args.bare_seconds)
        offer_id, opens_at = create_offer(provider_id=seeded.provider_id, stock=args.stock, opens_in=2.0)
        sampler = LockSampler(url)
        sampler.start()
        redeem, extra = run_redemption(
            port,
            clients=args.clients,
            seeded=seeded,
            offer_id=offer_id,
            opens_at=opens_at,
            retry_share=args.retry_share,
            seed=args.seed,
        )
        sampler.stop.set()
        sampler.join(timeout=5)
    finally:
        stop_server(server)
    created = redeem.statuses.get("201", 0)
    return {
        "audit": audit,
        "bare": bare.as_dict(),
        "redeem": {**redeem.as_dict(), **extra},
        "ratio_redeem_to_bare": round(redeem.throughput / bare.throughput, 3) if bare.throughput else None,
        "database": check_database(offer_id, created=created),
        "waits": sampler.summary(),
    }


def print_round(result: dict[str, Any]) -> None:
    bare, redeem, db = result["bare"], result["redeem"], result["database"]
    print(f"\n== audit {result['audit']} ==")
    print(f"{'endpoint':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for name, row in (("ping", bare), ("redeem", redeem)):
        print(
            f"{name:<10}{row['requests']:>10}{row['throughput_rps']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"  {row['statuses']}"
        )
    if "grants_per_second" in redeem:
        print(
            f"grants: {db['redemptions']} in {redeem['grant_phase_seconds']} s = {redeem['grants_per_second']}/s,"
            f" p50 {redeem['grant_p50_ms']} ms, p99 {redeem['grant_p99_ms']} ms"
        )
    print(f"redeem / ping throughput: {result['ratio_redeem_to_bare']}")
    print(f"database: {db}")
    print(f"waits (avg backends): {result['waits']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xsm_bench"),
    )
    parser.add_argument(
        "--wipe-database", action="store_true", help="allow recreating a database without 'bench'"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--residents", type=int, default=4000)
    parser.add_argument("--stock", type=int, default=2000)
    parser.add_argument("--retry-share", type=float, default=0.1)
    parser.add_argument("--bare-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=0, help="0: a free port chosen at start")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-audit-run", action="store_true", help="repeat with audit writes disabled")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if urlparse(args.database_url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("the benchmark only runs against a database on the loopback interface")

    url = args.database_url
    ensure_database(url)
    recreate_schema(url, wipe=args.wipe_database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "XINSHIMIN_RATE_LIMITS_ENABLED": "0",
        "XINSHIMIN_LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    print(f"migrating {urlparse(url).path.lstrip('/')} …", flush=True)
    migrate(env)
    django_setup(url)
    started = time.perf_counter()
    seeded = seed_residents(args.residents)
    print(
        f"seeded {args.residents} residents with sessions in {time.perf_counter() - started:.1f}s", flush=True
    )

    port = args.port or free_port()
    rounds = [redemption_round(env=env, url=url, args=args, seeded=seeded, audit="on", port=port)]
    print_round(rounds[0])
    if args.no_audit_run:
        from django.contrib.sessions.models import Session  # the same residents redeem a fresh offer

        assert Session.objects.count() >= args.residents
        rounds.append(
            redemption_round(
                env=env, url=url, args=args, seeded=seeded, audit="off", port=args.port or free_port()
            )
        )
        print_round(rounds[1])

    summary = {
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "clients": args.clients,
        "residents": args.residents,
        "stock": args.stock,
        "rounds": rounds,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print("\n" + json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
