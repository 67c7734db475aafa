from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters() -> Iterator[None]:
    """Rate-limit counters live in the (process-local) cache; user ids repeat across tests."""
    cache.clear()
    yield
    cache.clear()
