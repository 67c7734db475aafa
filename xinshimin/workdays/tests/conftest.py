from __future__ import annotations

from collections.abc import Iterator

import pytest

from xinshimin.workdays.calendar import calendar_cache_clear


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Each test sees the database as it is: a year cached by an earlier (rolled back) test is forgotten."""
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def centre_admin(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user(
        username="centre-admin", password="not-used-here-1", role="centre_admin"
    )


@pytest.fixture
def clerk(django_user_model):  # type: ignore[no-untyped-def]
    from xinshimin.accounts.models import Town

    return django_user_model.objects.create_user(
        username="window-clerk", password="not-used-here-1", role="clerk", town=Town.objects.first()
    )
