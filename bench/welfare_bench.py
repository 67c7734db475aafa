"""Benchmark of the welfare redemption endpoint at the opening instant, next to a bare JSON endpoint.

    .venv/bin/python bench/welfare_bench.py --database-url postgres://postgres@127.0.0.1:5432/xsm_bench \
        [--workers 5] [--clients 64] [--seconds 10] [--residents 20000] [--stock 500] [--no-audit-run]

One run, one gunicorn server on 127.0.0.1 (loopback only), three phases of ``--seconds`` each:

1. **ping**: ``GET /api/welfare/ping`` — no database, no login, the same middleware stack: the baseline.
2. **grant-all**: an offer with more units than requests opens; every request is a new resident's
   redemption, so every answer is a grant (201) or a replay of one (200). The worst case for the server:
   each request inserts a redemption and a certificate, takes a unit and appends to the audit chain.
3. **opening rush**: an offer of ``--stock`` units opens; 64 clients fire at the opening instant, one
   resident after another: the first ``--stock`` get units, the rest are told "sold out" (409).

Requests carry a logged-in session (cookie + CSRF header, as a browser sends them) and a new
``Idempotency-Key``; 10% are sent again later with the same key (a client retry). Sessions are written
directly into the session table: the login form is not what is measured. Rate limits are switched off
for the server (``XINSHIMIN_RATE_LIMITS_ENABLED=0``): the anonymous-API limit would answer the bare
endpoint with 429 after 120 calls; each resident sends at most 2 requests, below the redemption limit.

After each redemption phase the database is checked: redemptions ≤ stock, redemptions == certificates ==
stock − remaining, remaining ≥ 0, nobody above the per-person limit; "oversold" counts any breach. (201
answers may be a few fewer than redemptions: requests in flight when a phase ends are committed but
their answers are not read; reported as ``granted_unanswered``.)
During those phases ``pg_stat_activity`` is sampled every 10 ms: how many server backends wait on the
audit chain's advisory lock, on the offer's row lock, or on the WAL.

``--no-audit-run`` repeats ping and grant-all against a second server whose workers replace
``audit_record`` in the welfare services with a no-op: a measuring instrument only (the product never
runs without its audit trail), to show what the audit chain's global lock costs.

The load generator is ``wrk`` (Debian package ``wrk``) with a Lua script when it is installed; otherwise
a Python client with one thread per connection (which itself needs much CPU: on a small machine it
under-reports the bare endpoint). ``--json FILE`` writes every figure to a file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_REQUESTS_PER_CLIENT = 1_000_000  # a bound for the duration-based loops of the Python client

LUA = r"""
-- Redemption phase: thread i walks lines i, i+T, i+2T … of the jobs file ("<session> <key>").
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  path, csrf, nthreads = args[1], args[2], tonumber(args[3])
  jobs = {}
  local n = 0
  for line in io.lines(args[4]) do
    if n % nthreads == tid then
      local session, key = line:match("^(%S+) (%S+)$")
      table.insert(jobs, {session, key})
    end
    n = n + 1
  end
  idx, wrapped, counts = 0, 0, {}
end
function request()
  idx = idx + 1
  if idx > #jobs then idx, wrapped = 1, wrapped + 1 end
  local job = jobs[idx]
  return wrk.format("POST", path, {
    ["Cookie"] = "sessionid=" .. job[1] .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Idempotency-Key"] = job[2],
    ["Content-Length"] = "0",
  }, "")
end
function response(status, headers, body)
  local label = tostring(status)
  if status >= 400 then
    local code = body:match('"code":%s*"([%w_]+)"')
    label = label .. " " .. (code or "?")
  end
  counts[label] = (counts[label] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  local wraps = 0
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
    wraps = wraps + thread:get("wrapped")
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'WELFARE_STATS {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": %d, "wrapped": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    wraps, table.concat(parts, ", ")))
end
"""

PING_LUA = r"""
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body) counts[tostring(status)] = (counts[tostring(status)] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("counts")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'WELFARE_STATS {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": %d, "wrapped": 0, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


# --- the gunicorn app used for the no-audit comparison ---------------------------------------------------


def make_app(audit: str = "on", async_commit: str = "off") -> Any:
    """gunicorn app factory (``welfare_bench:make_app('off', 'on')``): the project's WSGI app, optionally
    with the welfare services' audit writes replaced by a no-op (to measure the audit lock's share) and
    with ``XINSHIMIN_WELFARE_ASYNC_COMMIT`` switched on."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from config.wsgi import application

    settings.XINSHIMIN_WELFARE_ASYNC_COMMIT = async_commit == "on"
    if audit == "off":
        import xinshimin.welfare.services as services

        services.audit_record = lambda **kwargs: None  # type: ignore[assignment]
    return application


# --- database and seed ---------------------------------------------------------------------------------


def prepare_database(url: str, *, wipe: bool) -> None:
    """Create the database if needed and empty its schema (only a "bench" database, or with --wipe)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name and not wipe:
        sys.exit(
            f"refusing to empty database {name!r}: use a name containing 'bench' or pass --wipe-database"
        )
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def django_setup(url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Seeded:
    sessions: list[str]
    provider_id: int
    csrf: str


def seed_residents(count: int) -> Seeded:
    """``count`` residents with logins, valid permits, points > 0 and a logged-in session each (bulk)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
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
        batch_size=2000,
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
        batch_size=2000,
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
        batch_size=2000,
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
        batch_size=2000,
    )
    sessions = {
        get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"): {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        for user in users
    }
    sessions_store(sessions, expire_in=timedelta(hours=2))
    return Seeded(sessions=list(sessions), provider_id=provider.pk, csrf=secrets.token_hex(16))


def sessions_store(sessions: dict[str, dict[str, str]], *, expire_in: timedelta) -> None:
    """Store logged-in sessions in bulk where the configured session engine keeps them: the database
    (``db``), or the cache (``cache``: Redis when REDIS_URL is set). Their data is what a login leaves;
    none of them has been refreshed yet, so each one's first request saves it (as after a login long ago)."""
    from django.conf import settings
    from django.contrib.sessions.backends.cache import KEY_PREFIX
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.utils import timezone

    engine = settings.SESSION_ENGINE
    if engine == "django.contrib.sessions.backends.cache":
        cache = caches[settings.SESSION_CACHE_ALIAS]
        keys = list(sessions)
        for start in range(0, len(keys), 2000):
            chunk = keys[start : start + 2000]
            cache.set_many({KEY_PREFIX + key: sessions[key] for key in chunk}, int(expire_in.total_seconds()))
        return
    if engine not in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"):
        sys.exit(f"the benchmark cannot seed sessions for SESSION_ENGINE={engine}")
    store = SessionStore()
    expire = timezone.now() + expire_in
    rows = [
        Session(session_key=k, session_data=store.encode(d), expire_date=expire) for k, d in sessions.items()
    ]
    Session.objects.bulk_create(rows, batch_size=2000)


def create_offer(*, provider_id: int, stock: int, opens_in: float) -> tuple[int, float]:
    """A published offer opening ``opens_in`` seconds from now; returns (id, opening as time.time())."""
    from django.utils import timezone

    from xinshimin.welfare.models import Offer

    opens = timezone.now() + timedelta(seconds=opens_in)
    offer = Offer.objects.create(
        title=f"基准测试 · {stock} 份",
        provider_id=provider_id,
        stock=stock,
        remaining=stock,
        opens_at=opens,
        closes_at=opens + timedelta(hours=1),
        status=Offer.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    return offer.pk, opens.timestamp()


def check_database(offer_id: int, *, answers_201: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count, Max, Min

    from xinshimin.welfare.models import Certificate, Offer, Redemption

    connection.close()  # a fresh view of what the server committed
    rows = Redemption.objects.filter(offer_id=offer_id)
    previous = -1
    for _ in range(120):  # wait (≤ 60 s) until requests still in flight have committed
        redemptions = rows.count()
        if redemptions == previous:
            break
        previous = redemptions
        time.sleep(0.5)
    offer = Offer.objects.get(pk=offer_id)
    redemptions = rows.count()
    certificates = Certificate.objects.filter(redemption__offer_id=offer_id).count()
    top = (
        rows.values("resident").annotate(n=Count("id")).order_by("-n").values_list("n", flat=True).first()
        or 0
    )
    span = rows.aggregate(first=Min("granted_at"), last=Max("granted_at"))
    seconds = (span["last"] - span["first"]).total_seconds() if redemptions > 1 else 0.0
    breaches = (
        max(redemptions - offer.stock, 0)
        + (offer.remaining < 0)
        + (redemptions != offer.stock - offer.remaining)
        + (certificates != redemptions)
        + max(top - offer.per_person_limit, 0)
    )
    return {
        "stock": offer.stock,
        "remaining": offer.remaining,
        "redemptions": redemptions,
        "certificates": certificates,
        "answers_201": answers_201,
        # Requests still in flight when the load generator stopped: committed, their answer not read.
        "granted_unanswered": redemptions - answers_201,
        "max_per_resident": top,
        "grants_per_second_server": round(redemptions / seconds, 1) if seconds else None,
        "oversold": int(breaches),
    }


# --- server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(
    env: dict[str, str], *, port: int, workers: int, audit: str, async_commit: str, log: Path
) -> subprocess.Popen[bytes]:
    app = f"welfare_bench:make_app('{audit}', '{async_commit}')"
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
    with log.open("ab") as sink:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=sink, start_new_session=True)
    for _ in range(300):  # up to 60 s
        try:
            if call(port, "GET", "/api/welfare/ping")[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit(f"gunicorn exited during start-up, see {log}")
        time.sleep(0.2)
    stop_server(process)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the process group this script started, nothing else
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- load generators --------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: int = 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "max_ms": round(self.max_ms, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "errors": self.errors,
        }


def jobs_file(sessions: list[str], *, retry_share: float, rng: random.Random, directory: Path) -> Path:
    """One line per request, "<session> <key>": each session once with a new key, and a share of them
    again some lines later with the same key (a client retrying)."""
    jobs = [(session, uuid.uuid4().hex) for session in sessions]
    out: list[tuple[str, str]] = []
    pending: list[tuple[int, tuple[str, str]]] = []
    for position, job in enumerate(jobs):
        out.append(job)
        if rng.random() < retry_share:
            pending.append((position + rng.randint(64, 512), job))
        while pending and pending[0][0] <= position:
            out.append(pending.pop(0)[1])
    out.extend(job for _, job in pending)
    path = directory / f"jobs-{uuid.uuid4().hex[:8]}.txt"
    path.write_text("".join(f"{s} {k}\n" for s, k in out))
    return path


def wrk_phase(
    name: str, *, port: int, path: str, clients: int, seconds: float, script: str, args: list[str]
) -> Phase:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(clients),
        "-d",
        f"{max(int(seconds), 1)}s",
        "--timeout",
        "30s",
        "-s",
        handle.name,
        f"http://{HOST}:{port}{path}",
        "--",
        *args,
    ]
    completed = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    Path(handle.name).unlink(missing_ok=True)
    match = re.search(r"^WELFARE_STATS (\{.*\})$", completed.stdout, re.M)
    if not match:
        sys.exit(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")
    stats = json.loads(match.group(1))
    if stats.get("wrapped"):
        print(
            f"warning: {name}: wrk ran out of residents and replayed jobs; use more --residents", flush=True
        )
    return Phase(
        name=name,
        requests=stats["requests"],
        seconds=stats["duration_us"] / 1e6,
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        max_ms=stats["max_us"] / 1000,
        statuses={k: int(v) for k, v in stats["statuses"].items()},
        errors=stats["errors"],
    )


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


def python_phase(
    name: str,
    *,
    port: int,
    path: str,
    clients: int,
    seconds: float,
    jobs: list[tuple[str, str]] | None,
    csrf: str,
) -> Phase:
    """The fallback load generator: ``clients`` threads, each with its own share of ``jobs``."""
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors = [0]
    start = threading.Barrier(clients + 1)
    end_at = [0.0]

    def client(index: int) -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        failed = 0
        work = jobs[index::clients] if jobs is not None else []
        start.wait()
        for n in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= end_at[0]:
                break
            try:
                if jobs is None:
                    status, latency, body = call(port, "GET", path)
                else:
                    session, key = work[n % len(work)]
                    headers = {
                        "Cookie": f"sessionid={session}; csrftoken={csrf}",
                        "X-CSRFToken": csrf,
                        "Idempotency-Key": key,
                        "Content-Length": "0",
                    }
                    status, latency, body = call(port, "POST", path, headers)
            except OSError:
                failed += 1
                continue
            label = str(status)
            if status >= 400:
                try:
                    label += " " + json.loads(body)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    label += " ?"
            mine.append(latency)
            seen[label] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    end_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return Phase(
        name=name,
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(int(0.99 * len(ordered)), len(ordered) - 1)] * 1000,
        max_ms=ordered[-1] * 1000,
        statuses=dict(statuses),
        errors=errors[0],
    )


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity of the bench database: what the server's backends are waiting on."""

    QUERY = """
        SELECT count(*) FILTER (WHERE state = 'active'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'),
               count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event IN ('tuple', 'transactionid')),
               count(*) FILTER (WHERE wait_event LIKE 'WAL%%')
        FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.samples: list[tuple[int, ...]] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for _ in range(60_000):  # bounded: at most ~10 minutes
                if self.stop.is_set():
                    return
                row = conn.execute(self.QUERY).fetchone()
                if row is not None:
                    self.samples.append(tuple(int(v) for v in row))
                time.sleep(0.01)

    def summary(self) -> dict[str, Any]:
        busy = [s for s in self.samples if s[0] > 0]
        if not busy:
            return {"samples": 0}
        return {
            "samples": len(busy),
            "active": round(statistics.mean(s[0] for s in busy), 2),
            "waiting_audit_lock": round(statistics.mean(s[1] for s in busy), 2),
            "waiting_offer_row": round(statistics.mean(s[2] for s in busy), 2),
            "waiting_wal": round(statistics.mean(s[3] for s in busy), 2),
        }


# --- phases ---------------------------------------------------------------------------------------------


class Runner:
    def __init__(self, args: argparse.Namespace, seeded: Seeded, url: str, workdir: Path) -> None:
        self.args = args
        self.seeded = seeded
        self.url = url
        self.workdir = workdir
        self.rng = random.Random(args.seed)
        self.next_session = 0
        self.use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)

    def sessions(self, count: int) -> list[str]:
        chosen = self.seeded.sessions[self.next_session : self.next_session + count]
        self.next_session += count
        if len(chosen) < count:
            sys.exit("not enough residents for the phases: raise --residents")
        return chosen

    def warm_up(self, port: int) -> None:
        """Every worker imports and compiles its code paths on its first requests: not measured."""
        if self.use_wrk:
            wrk_phase(
                "warm-up", port=port, path="/api/welfare/ping", clients=self.args.clients, seconds=2,
                script=PING_LUA, args=[],
            )  # fmt: skip
        else:
            python_phase(
                "warm-up", port=port, path="/api/welfare/ping", clients=8, seconds=2, jobs=None, csrf=""
            )  # fmt: skip
        offer_id, _ = create_offer(provider_id=self.seeded.provider_id, stock=100, opens_in=0)
        for session in self.sessions(4 * self.args.workers):
            headers = {
                "Cookie": f"sessionid={session}; csrftoken={self.seeded.csrf}",
                "X-CSRFToken": self.seeded.csrf,
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Length": "0",
            }
            call(port, "POST", f"/api/welfare/offers/{offer_id}/redeem", headers)

    def ping(self, port: int) -> Phase:
        if self.use_wrk:
            return wrk_phase(
                "ping", port=port, path="/api/welfare/ping", clients=self.args.clients,
                seconds=self.args.seconds, script=PING_LUA, args=[],
            )  # fmt: skip
        return python_phase(
            "ping", port=port, path="/api/welfare/ping", clients=self.args.clients,
            seconds=self.args.seconds, jobs=None, csrf="",
        )  # fmt: skip

    def redeem(self, name: str, port: int, *, stock: int, residents: int) -> dict[str, Any]:
        offer_id, opens_at = create_offer(provider_id=self.seeded.provider_id, stock=stock, opens_in=2.0)
        sessions = self.sessions(residents)
        jobs = jobs_file(sessions, retry_share=self.args.retry_share, rng=self.rng, directory=self.workdir)
        path = f"/api/welfare/offers/{offer_id}/redeem"
        sampler = WaitSampler(self.url)
        delay = opens_at - time.time()
        if delay > 0:
            time.sleep(delay)  # everyone fires at the opening instant
        sampler.start()
        if self.use_wrk:
            phase = wrk_phase(
                name, port=port, path=path, clients=self.args.clients, seconds=self.args.seconds, script=LUA,
                args=[path, self.seeded.csrf, "2", str(jobs)],
            )  # fmt: skip
        else:
            lines = [tuple(line.split()) for line in jobs.read_text().splitlines()]
            phase = python_phase(
                name, port=port, path=path, clients=self.args.clients, seconds=self.args.seconds,
                jobs=lines, csrf=self.seeded.csrf,  # type: ignore[arg-type]
            )  # fmt: skip
        sampler.stop.set()
        sampler.join(timeout=5)
        return {
            **phase.as_dict(),
            "database": check_database(offer_id, answers_201=phase.statuses.get("201", 0)),
            "waits": sampler.summary(),
        }


def server_round(runner: Runner, env: dict[str, str], *, audit: str, rush: bool) -> dict[str, Any]:
    args = runner.args
    port = args.port or free_port()
    server = start_server(
        env,
        port=port,
        workers=args.workers,
        audit=audit,
        async_commit=args.async_commit,
        log=runner.workdir / "gunicorn.log",
    )
    try:
        runner.warm_up(port)
        bare = runner.ping(port)
        # More units than requests: every request is a grant (or the replay of one).
        grant_all = runner.redeem(
            "grant-all", port, stock=args.grant_all_residents, residents=args.grant_all_residents
        )
        result: dict[str, Any] = {"audit": audit, "ping": bare.as_dict(), "grant_all": grant_all}
        result["grant_all"]["ratio_to_ping"] = round(grant_all["throughput_rps"] / bare.throughput, 3)
        if rush:
            rush_phase = runner.redeem("opening-rush", port, stock=args.stock, residents=args.rush_residents)
            rush_phase["ratio_to_ping"] = round(rush_phase["throughput_rps"] / bare.throughput, 3)
            result["opening_rush"] = rush_phase
    finally:
        stop_server(server)
    return result


def print_round(result: dict[str, Any]) -> None:
    print(f"\n== audit {result['audit']} ==")
    print(f"{'phase':<14}{'requests':>9}{'req/s':>9}{'ratio':>7}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for key in ("ping", "grant_all", "opening_rush"):
        row = result.get(key)
        if not row:
            continue
        ratio = row.get("ratio_to_ping", 1.0)
        print(
            f"{key:<14}{row['requests']:>9}{row['throughput_rps']:>9}{ratio:>7}{row['p50_ms']:>9}"
            f"{row['p99_ms']:>9}  {row['statuses']}"
        )
        if "database" in row:
            print(f"{'':<14}database: {row['database']}")
            print(f"{'':<14}waits (avg backends): {row['waits']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xsm_bench"),
    )
    parser.add_argument(
        "--wipe-database", action="store_true", help="allow emptying a database without 'bench'"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10, help="length of each phase")
    parser.add_argument(
        "--grant-all-residents", type=int, default=8000, help="residents for the grant-all phase"
    )
    parser.add_argument("--rush-residents", type=int, default=8000, help="residents for the opening rush")
    parser.add_argument("--stock", type=int, default=500, help="units of the opening-rush offer")
    parser.add_argument("--retry-share", type=float, default=0.1)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--port", type=int, default=0, help="0: a free port chosen at start")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-audit-run", action="store_true", help="repeat ping and grant-all without audit")
    parser.add_argument(
        "--async-commit",
        choices=["on", "off"],
        default="off",
        help="XINSHIMIN_WELFARE_ASYNC_COMMIT for the server",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="Redis for the server's cache and sessions, as in production (emptied at start); '' for none",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    url = args.database_url
    if urlparse(url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("the benchmark only runs against a database on the loopback interface")

    rounds_count = 2 if args.no_audit_run else 1
    residents = (
        args.grant_all_residents * rounds_count + args.rush_residents + 4 * args.workers * rounds_count
    )
    prepare_database(url, wipe=args.wipe_database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "XINSHIMIN_RATE_LIMITS_ENABLED": "0",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    print(f"migrating {urlparse(url).path.lstrip('/')} …", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    django_setup(url, args.redis_url)
    if args.redis_url:
        from django.core.cache import cache

        cache.clear()  # the benchmark's own Redis database (--redis-url): sessions and counters of a last run
    started = time.perf_counter()
    seeded = seed_residents(residents)
    print(f"seeded {residents} residents with sessions in {time.perf_counter() - started:.1f}s", flush=True)

    with tempfile.TemporaryDirectory(prefix="welfare-bench-") as tmp:
        runner = Runner(args, seeded, url, Path(tmp))
        print(f"load generator: {'wrk' if runner.use_wrk else 'python threads'}", flush=True)
        rounds = [server_round(runner, env, audit="on", rush=True)]
        print_round(rounds[0])
        if args.no_audit_run:
            rounds.append(server_round(runner, env, audit="off", rush=False))
            print_round(rounds[1])
        load = os.getloadavg()

    summary = {
        "cpus": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in load],
        "workers": args.workers,
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "load_generator": "wrk" if runner.use_wrk else "python",
        "async_commit": args.async_commit,
        "rounds": rounds,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print("\n" + json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
