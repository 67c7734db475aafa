"""schemathesis against /api/openapi.json, in process through the WSGI app, as each role.

For every operation, hypothesis generates requests from the schema; each request is sent as anonymous,
resident, clerk, reviewer and centre administrator (session + CSRF token, staff OTP-verified). No answer
may be a server error, and every documented answer must match its schema. The objects of the permission
matrix's world are in the database, so path parameters sometimes hit real rows (ids are small integers).

EXAMPLES examples per operation keep the run to well under a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .permission_world import MATRIX_TIME, World, build_world

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
ROLES = ("anonymous", "resident", "clerk_a", "reviewer_x", "admin")
CSRF = "matrixcsrftokenmatrixcsrftoken32"  # any 32 letters: cookie and header must match


@pytest.fixture
def world(db: None, settings: Any, tmp_path: Any) -> Iterator[World]:
    settings.XINSHIMIN_RATE_LIMITS_ENABLED = False  # hundreds of anonymous calls a second
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.MemorySmsBackend"
    with time_machine.travel(MATRIX_TIME, tick=True):
        yield build_world()


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Requests go through the bare WSGI handler, which closes "old" database connections when a request
    ends — on PostgreSQL that would be the test's own connection, in the middle of its transaction. The
    test client avoids this the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _session_cookies(user: Any) -> dict[str, str]:
    cookies = {"csrftoken": CSRF}
    if user is not None:
        client = Client()
        client.force_login(user)  # staff sessions come out OTP-verified (root conftest.py)
        cookies["sessionid"] = client.cookies["sessionid"].value
    return cookies


def test_api_answers_every_role_without_server_errors_and_as_documented(
    world: World, keep_test_connection: None
) -> None:
    # The WSGI handler itself (config.wsgi would run django.setup() again, which resets logging).
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    sessions = {role: _session_cookies(world.users[role]) for role in ROLES}
    failures: dict[str, str] = {}  # the first failure of each operation
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            if case.operation.label in failures:
                return
            for role, cookies in sessions.items():
                response = case.call(cookies=cookies, headers={"X-CSRFToken": CSRF})
                try:
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                except (Exception, BaseExceptionGroup) as exc:
                    failures[case.operation.label] = (
                        f"{case.operation.label} as {role}: {str(exc).strip()[:2000]}"
                    )
                    return

        run()
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures.values())


def test_api_schema_class_names_are_unique_across_routers() -> None:
    """ninja names OpenAPI components after the class: two routers' ``ItemOut`` become one component, and
    one of the two operations is then documented with the other's schema."""
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import xinshimin.api.routers as routers

    seen: dict[str, str] = {}
    clashes = []
    for info in pkgutil.iter_modules(routers.__path__):
        module = importlib.import_module(f"{routers.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == module.__name__:
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {module.__name__}")
                seen.setdefault(name, module.__name__)
    assert not clashes, (
        "rename one of each pair (OpenAPI components are named after the class):\n" + "\n".join(clashes)
    )
