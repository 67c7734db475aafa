"""Every URL pattern and API operation × every role has a declared expectation, and the app keeps it.

Declarations: tests/permission_matrix.py. People and objects: tests/permission_world.py.
Set PERMISSION_MATRIX_RECORD=1 to print, for each pattern, the row of what every role gets now.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings

from . import permission_matrix as declared
from .matrix_engine import (
    ROLES,
    SIDE,
    Pattern,
    Row,
    admin_rows,
    api_call,
    api_operations,
    classify,
    declared_rows,
    page_url,
    send_api,
    stale,
    undeclared,
    url_patterns,
)
from .permission_world import API_BODIES, MATRIX_TIME, World, build_world

RECORD = os.environ.get("PERMISSION_MATRIX_RECORD") == "1"


def test_every_url_pattern_and_api_operation_is_declared() -> None:
    patterns, operations = url_patterns(), api_operations()
    pages, ops, models = undeclared(patterns, operations)
    gone = stale(patterns, operations)
    problems = []
    if pages:
        problems.append(
            "URL patterns without a row in PAGES (or ADMIN_SITE) of tests/permission_matrix.py — add one each, "
            '"<name>": "<10 letters>" or "<name>": ("<object kind>", "<10 letters>"), '
            "'POST <name>' for a POST-only view:\n" + "\n".join(f"    {p!r}" for p in pages)
        )
    if ops:
        problems.append(
            "API operations without a row in API of tests/permission_matrix.py — add one each:\n"
            + "\n".join(f"    {o!r}" for o in ops)
        )
    if models:
        problems.append(
            "Models registered in the Django admin without an entry in ADMIN_MODELS of "
            "tests/permission_matrix.py — say what the administrator may do ('' none, 'v' view, 'vacd' all):\n"
            + "\n".join(f"    {m!r}" for m in models)
        )
    if gone:
        problems.append(
            "Declarations for URLs or operations that no longer exist — remove them:\n"
            + "\n".join(f"    {g!r}" for g in gone)
        )
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def shared_world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world for all ten roles (building it takes longer than a role's requests), in a transaction
    that is rolled back when the module is done; each role's test runs in a savepoint inside it."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            XINSHIMIN_RATE_LIMITS_ENABLED=False,  # the matrix is about permissions, not about limits
            PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private"),
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            XINSHIMIN_SMS_BACKEND="xinshimin.notifications.sms.MemorySmsBackend",
        ),
        time_machine.travel(MATRIX_TIME, tick=False),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(shared_world: World, db: None) -> Iterator[World]:
    with time_machine.travel(MATRIX_TIME, tick=False):
        yield shared_world


class RoleClient:
    """A test client logged in as one role (staff sessions OTP-verified), logged in again if a row logs
    it out."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.client = Client(raise_request_exception=False)
        self._login()

    def _login(self) -> None:
        if self.user is not None:
            self.client.force_login(self.user)

    def after_request(self) -> None:
        cookie = self.client.cookies.get("sessionid")
        if self.user is not None and (cookie is None or not cookie.value):
            self._login()


def _requests(row: Row, pattern: Pattern | None, operation: dict[str, Any] | None, world: World, role: str):
    """(side label, send function, expected letter) for each request the row needs for ``role``."""
    cell = row.cells[role]
    if row.kind is None:
        sides = [("", {}, cell)]
    elif row.kind == "admin_object":
        assert pattern is not None and pattern.admin_model is not None
        object_id = world.admin_object_id(pattern.admin_model)
        sides = [("", {"object_id": object_id, "pk": object_id, "id": object_id}, cell)]
    else:
        values = world.values(row.kind)
        if not values.sided:
            if cell == "O":
                raise ValueError(f"{row.key}: kind {row.kind!r} has no sides, so 'O' cannot apply")
            sides = [("", values.a, cell)]
        else:
            own = SIDE.get(role, "a")
            expect = {"a": cell, "b": cell}
            if cell == "O":
                expect = {own: "A", ("b" if own == "a" else "a"): "D"}
            sides = [("side A", values.a, expect["a"]), ("side B", values.b, expect["b"])]
    for label, values_for_side, expected in sides:
        if operation is not None:
            make_body = API_BODIES.get(row.key)
            body = make_body(values_for_side) if make_body else None
            call = api_call(row.key, operation, values_for_side, body)
            yield label, (lambda c, call=call: send_api(c, call)), expected, True
        else:
            assert pattern is not None
            url = page_url(row, pattern, values_for_side)
            if row.method == "POST":
                yield label, (lambda c, url=url: c.post(url, {})), expected, False
            else:
                yield label, (lambda c, url=url: c.get(url)), expected, False


def _rows(patterns: list[Pattern], world: World) -> list[Row]:
    return declared_rows() + admin_rows(patterns, has_rows=world.admin_models_with_rows.__contains__)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role: str, world: World) -> None:
    patterns = {p.key: p for p in url_patterns()}
    operations = api_operations()
    client = RoleClient(world.users[role])
    mismatches: list[str] = []
    observed: dict[str, str] = {}
    for row in _rows(list(patterns.values()), world):
        operation = operations.get(row.key)
        pattern = patterns.get(row.target)
        if operation is None and pattern is None:
            continue  # reported by test_every_url_pattern_and_api_operation_is_declared
        got_letters = []
        for label, send, expected, is_api in _requests(row, pattern, operation, world, role):
            # Every request in a savepoint rolled back afterwards: no row sees what another row changed.
            with transaction.atomic():
                outcome = classify(send(client.client), api=is_api)
                transaction.set_rollback(True)
            client.after_request()
            got_letters.append(outcome.letter or "?")
            if outcome.letter != expected:
                where = f" ({label})" if label else ""
                detail = outcome.note or ("→ " + outcome.location if outcome.location else "")
                mismatches.append(
                    f"{row.key}{where}: declared {expected}, got {outcome.letter or '?'} "
                    f"(HTTP {outcome.status} {detail})".rstrip()
                )
        observed[row.key] = "".join(got_letters)
    if RECORD:
        print(f"\n# observed for {role}")
        for key, letters in observed.items():
            print(f"{role}\t{key}\t{letters}")
    assert not mismatches, (
        f"{len(mismatches)} mismatch(es) for role {role!r} against tests/permission_matrix.py "
        f"(fix the view, or the declaration if the view is right):\n" + "\n".join(mismatches)
    )


def test_declarations_parse() -> None:
    assert declared_rows() is not None
    assert set(declared.ADMIN_MODELS.values()) <= {"", "v", "va", "vc", "vac", "vacd", "vcd", "vd"}
