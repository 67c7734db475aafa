"""Shared pytest setup. Tests run against DATABASE_URL (PostgreSQL in CI), SQLite otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

# The log scan (tests/logscan.py): the run fails if any log line carries an ID number, phone, password or token.
pytest_plugins = ["tests.logscan"]


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_reference_caches() -> Iterator[None]:
    """A calendar or policy loaded (and rolled back) by one test must not leak into the next through a cache."""
    from xinshimin.scoring.selectors import policy_cache_clear
    from xinshimin.welfare.services import sold_out_memo_clear
    from xinshimin.workdays.calendar import calendar_cache_clear

    calendar_cache_clear()
    policy_cache_clear()
    sold_out_memo_clear()
    yield
    calendar_cache_clear()
    policy_cache_clear()
    sold_out_memo_clear()


@pytest.fixture(autouse=True)
def _staff_sessions_pass_two_factor(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``client.force_login(staff)`` gives an OTP-verified session, as if the code had been entered.

    Staff must enter a TOTP code after the password (xinshimin/security). Tests of other areas log staff in
    with force_login and get past that step; to test the step itself use
    ``xinshimin.security.testing.force_login_unverified``. Rate-limit counters start empty in every test.
    """
    from django.core.cache import cache
    from django.test import Client

    from xinshimin.security.testing import verified_force_login

    monkeypatch.setattr(Client, "force_login", verified_force_login)
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connections

    for item in items:
        # A transactional test empties every table when it ends; without serialized_rollback the reference
        # data that migrations load (towns, departments, the calendar, the policy) would be gone for the
        # tests after it.
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: use @pytest.mark.django_db(transaction=True, serialized_rollback=True) "
                "so that the reference data loaded by migrations survives the test"
            )
    if connections["default"].vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
