"""scripts/backup.sh and scripts/restore.sh: a dump restores into a fresh database with the same rows, an
intact audit chain and the append-only trigger still in force."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg.rows import namedtuple_row

from xinshimin.accounts.services import api_token_issue
from xinshimin.audit.chain import verify_events
from xinshimin.audit.models import AuditEvent
from xinshimin.residents.services import resident_reveal_personal_data
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ClerkFactory,
    ResidentFactory,
    ReviewerFactory,
)

ROOT = Path(__file__).resolve().parent.parent
BACKUP, RESTORE = str(ROOT / "scripts" / "backup.sh"), str(ROOT / "scripts" / "restore.sh")
AUDIT_COLUMNS = (
    "id AS pk, seq, occurred_at, actor_id, actor_label, actor_role, action, object_type, object_id, "
    "summary, request_id, prev_hash, hash"
)


def database_url(settings_dict: dict[str, Any], name: str | None = None) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{name or settings_dict['NAME']}"


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - our own scripts with fixed arguments
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_restores_into_a_fresh_database_with_rows_chain_and_trigger(tmp_path: Path) -> None:
    centre, clerk = CentreAdminFactory(), ClerkFactory()
    residents = [ResidentFactory(with_user=True) for _ in range(5)]
    for resident in residents[:3]:
        resident_reveal_personal_data(actor=clerk, resident=resident, field="id_number")
    api_token_issue(actor=centre, user=ReviewerFactory(), name="公安数据交换")
    assert AuditEvent.objects.count() >= 4

    source_url = database_url(connection.settings_dict)
    with psycopg.connect(source_url) as source:
        expected = table_counts(source)
    env = {**os.environ, "DATABASE_URL": source_url}
    dump = tmp_path / "xinshimin.dump"
    run(BACKUP, str(dump), env=env)
    assert dump.stat().st_size > 0 and (tmp_path / "xinshimin.dump.sha256").exists()

    target = f"xsm_restore_{uuid.uuid4().hex[:10]}"
    target_url = database_url(connection.settings_dict, target)
    admin_url = database_url(connection.settings_dict, "postgres")
    try:
        output = run(RESTORE, str(dump), target_url, env={**os.environ, "DATABASE_URL": ""})
        assert "audit chain intact" in output

        with psycopg.connect(target_url, row_factory=namedtuple_row) as restored:
            assert table_counts(restored) == expected
            events = restored.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_auditevent ORDER BY seq").fetchall()  # noqa: S608
            report = verify_events(events)
            assert report.ok, str(report)
            assert report.checked == expected["audit_auditevent"]

            # The append-only trigger came back with the schema.
            for statement in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
                with pytest.raises(psycopg.Error, match="append-only"), restored.transaction():
                    restored.execute(statement)
            assert restored.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == report.checked

        # A second restore into the same (now existing) database is refused.
        again = subprocess.run(  # noqa: S603
            [RESTORE, str(dump), target_url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode != 0 and "already exists" in again.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_backup_refuses_without_a_postgresql_url(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "sqlite:///var/xinshimin.sqlite3"}
    result = subprocess.run(  # noqa: S603
        [BACKUP, str(tmp_path / "x.dump")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
