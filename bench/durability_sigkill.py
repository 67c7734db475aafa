"""Durability under SIGKILL: no write the server acknowledged may be lost when the server is killed.

    .venv/bin/python bench/durability_sigkill.py [--writes 1000] [--kill-after 500] [--workers 4]
        [--clients 8] [--admin-url postgres://postgres@127.0.0.1:5432/postgres] [--keep] [--readme]

1. Creates a scratch PostgreSQL database (``xsm_durability_<pid>``) on the server of ``--admin-url``,
   migrates it and seeds a centre admin, a window clerk, 50 residents of the clerk's town and an API token
   for the clerk.
2. Starts gunicorn (``config.wsgi``, ``--workers`` sync workers) on 127.0.0.1 on a free port.
3. Sends ``--writes`` real HTTP requests from ``--clients`` threads to an existing audited write: the
   reveal of a resident's ID number (``POST /api/residents/{id}/reveal``), which appends one event to the
   hash-chained audit trail in the same transaction. Each request carries its own ``X-Request-ID``, which
   the audit event records; a write is *acknowledged* when the server answered 2xx.
4. When ``--kill-after`` writes are acknowledged it sends SIGKILL to gunicorn's whole process group
   (master and workers, in the middle of requests), starts a new gunicorn and sends the remaining writes.
5. Checks in the database that every acknowledged request id has its audit event, that the audit chain
   verifies (``manage.py audit_verify``), and reports the writes lost in flight (sent, never answered:
   committed or not, both are allowed) — then drops the scratch database (unless ``--keep``).

Bounded: loopback only, every request times out after 10 s, the whole run after 10 minutes. Exit code 0
when no acknowledged write is missing and the chain verifies, 1 otherwise. ``--readme`` writes the result
into bench/README-durability.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
README = ROOT / "bench" / "README-durability.md"
RESULT_START, RESULT_END = "<!-- result:start -->", "<!-- result:end -->"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0
RUN_TIMEOUT = 600.0

SEED = """
import json, sys
from xinshimin.accounts.models import Town
from xinshimin.accounts.services import api_token_issue
from xinshimin.residents.tests.factories import CentreAdminFactory, ClerkFactory, ResidentFactory
town = Town.objects.get(code="anyang")
centre, clerk = CentreAdminFactory(username="durability_centre"), ClerkFactory(username="durability_clerk", town=town)
residents = [ResidentFactory(town=town).pk for _ in range(50)]
_token, raw = api_token_issue(actor=centre, user=clerk, name="durability bench")
json.dump({"token": raw, "residents": residents}, sys.stdout)
"""


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def django_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "REDIS_URL"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "XINSHIMIN_LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": HOST,
        }
    )
    return env


@contextmanager
def scratch_database(admin_url: str, keep: bool) -> Iterator[str]:
    import psycopg

    name = f"xsm_durability_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        if keep:
            log(f"kept the scratch database: {url}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """gunicorn in its own process group, so that SIGKILL reaches the master and every worker."""

    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.env, self.port, self.workers = env, port, workers
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = request("GET", self.port, "/api/system/health", {})
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting; run it by hand to see why")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /api/system/health within 60 s")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def request(
    method: str, port: int, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    refused: dict[str, int] = field(default_factory=dict)  # request id → HTTP status (not 2xx)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run(args: argparse.Namespace) -> dict[str, object]:
    started = time.monotonic()
    run_tag = secrets.token_hex(4)
    with scratch_database(args.admin_url, args.keep) as database_url:
        env = django_env(database_url)
        log("migrating the scratch database …")
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seeded = subprocess.run(
            [str(PYTHON), "manage.py", "shell", "-c", SEED],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        token, residents = seed["token"], seed["residents"]

        server = Server(env, free_port(), args.workers)
        log(f"starting gunicorn on {HOST}:{server.port} with {args.workers} workers …")
        server.start()
        up = threading.Event()
        up.set()
        tally = Tally()
        killed_at: list[int] = []

        def write(number: int) -> None:
            request_id = f"dur-{run_tag}-{number:05d}"
            if not up.wait(timeout=120):
                raise RuntimeError("the server did not come back within 120 s")
            resident = residents[number % len(residents)]
            headers = {
                "Authorization": f"Bearer {token}",
                "X-Request-ID": request_id,
                "Content-Type": "application/json",
            }
            try:
                status, _ = request(
                    "POST",
                    server.port,
                    f"/api/residents/{resident}/reveal",
                    headers,
                    b'{"field": "id_number"}',
                )
            except OSError:
                with tally.lock:
                    tally.unanswered.add(request_id)
                return
            with tally.lock:
                if 200 <= status < 300:
                    tally.acknowledged.add(request_id)
                else:
                    tally.refused[request_id] = status
                if len(tally.acknowledged) >= args.kill_after and not killed_at:
                    killed_at.append(len(tally.acknowledged))
                    threading.Thread(target=kill_and_restart, daemon=True).start()

        def kill_and_restart() -> None:
            log(f"SIGKILL to gunicorn (master and workers) after {killed_at[0]} acknowledged writes")
            server.kill()
            up.clear()
            time.sleep(0.5)  # requests sent now find the port closed
            server.start()
            log("gunicorn restarted")
            up.set()

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            for future in [pool.submit(write, n) for n in range(args.writes)]:
                future.result(timeout=max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
        elapsed = time.monotonic() - t0
        server.stop()

        import psycopg

        with psycopg.connect(database_url) as conn:
            committed = {
                row[0]
                for row in conn.execute(
                    "SELECT request_id FROM audit_auditevent WHERE action = 'residents.reveal' AND request_id LIKE %s",
                    [f"dur-{run_tag}-%"],
                )
            }
        chain = subprocess.run(
            [str(PYTHON), "manage.py", "audit_verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lost = sorted(tally.acknowledged - committed)
        result: dict[str, object] = {
            "date": f"{datetime.now(UTC):%Y-%m-%d}",
            "writes": args.writes,
            "acknowledged": len(tally.acknowledged),
            "refused": len(tally.refused),
            "unanswered": len(tally.unanswered),
            "unanswered_but_committed": len(tally.unanswered & committed),
            "committed": len(committed),
            "lost_acknowledged": len(lost),
            "lost_examples": lost[:5],
            "killed_after_acknowledged": killed_at[0] if killed_at else None,
            "server_starts": server.starts,
            "chain": (chain.stdout or chain.stderr).strip(),
            "chain_ok": chain.returncode == 0,
            "seconds": round(elapsed, 1),
            "workers": args.workers,
            "clients": args.clients,
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        }
    return result


def markdown(result: dict[str, object]) -> str:
    verdict = "PASS" if result["lost_acknowledged"] == 0 and result["chain_ok"] else "FAIL"
    return "\n".join(
        [
            f"Run on {result['date']} ({result['machine']}; gunicorn {result['workers']} sync workers, "
            f"{result['clients']} client threads, PostgreSQL on 127.0.0.1): **{verdict}**",
            "",
            "| | |",
            "|---|---|",
            f"| writes sent | {result['writes']} |",
            f"| acknowledged (2xx) | {result['acknowledged']} |",
            f"| SIGKILL after | {result['killed_after_acknowledged']} acknowledged writes |",
            f"| unanswered (in flight at the kill, or sent while the port was closed) | {result['unanswered']} "
            f"(of which committed anyway: {result['unanswered_but_committed']}) |",
            f"| refused (non-2xx) | {result['refused']} |",
            f"| audit events in the database | {result['committed']} |",
            f"| **acknowledged writes missing** | **{result['lost_acknowledged']}** |",
            f"| audit chain | {result['chain']} |",
            f"| time for the writes (incl. restart) | {result['seconds']} s |",
        ]
    )


def write_readme(text: str) -> None:
    content = README.read_text()
    start, end = content.index(RESULT_START) + len(RESULT_START), content.index(RESULT_END)
    README.write_text(content[:start] + "\n" + text + "\n" + content[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--kill-after", type=int, default=500, help="acknowledged writes before the SIGKILL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("XINSHIMIN_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE DATABASE (the scratch database is made next to it)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database for inspection")
    parser.add_argument(
        "--readme", action="store_true", help="write the result into bench/README-durability.md"
    )
    args = parser.parse_args()
    if not 0 < args.kill_after < args.writes:
        parser.error("--kill-after must be between 1 and --writes")
    result = run(args)
    text = markdown(result)
    print(text)
    if result["lost_examples"]:
        print("missing acknowledged request ids (first 5):", ", ".join(map(str, result["lost_examples"])))
    if args.readme:
        write_readme(text)
        log(f"wrote the result into {README.relative_to(ROOT)}")
    return 0 if result["lost_acknowledged"] == 0 and result["chain_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
