"""Shared pytest setup. Tests run against DATABASE_URL (PostgreSQL in CI), SQLite otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """A calendar loaded (and rolled back) by one test must not leak into the next through the cache."""
    from xinshimin.workdays.calendar import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()


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
