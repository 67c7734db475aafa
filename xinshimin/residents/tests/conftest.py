from __future__ import annotations

import pytest

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import TownFactory


@pytest.fixture
def anyang(db: None) -> Town:
    return TownFactory(code="anyang")


@pytest.fixture
def tangxia(db: None) -> Town:
    return TownFactory(code="tangxia")
