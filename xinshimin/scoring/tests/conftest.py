from __future__ import annotations

from collections.abc import Iterator

import pytest

from xinshimin.accounts.models import User
from xinshimin.residents.tests.factories import CentreAdminFactory
from xinshimin.scoring.models import PolicyRecord
from xinshimin.scoring.selectors import policy_cache_clear


@pytest.fixture(autouse=True)
def _fresh_policy_cache() -> Iterator[None]:
    """Versions created by one test are rolled back: the next must not see them through the caches."""
    policy_cache_clear()
    yield
    policy_cache_clear()


@pytest.fixture
def centre(db: None) -> User:
    return CentreAdminFactory(username="centre_admin")


@pytest.fixture
def seed_record(db: None) -> PolicyRecord:
    """The published ruian-2025.1 loaded by the data migration."""
    return PolicyRecord.objects.get(version_id="ruian-2025.1")
