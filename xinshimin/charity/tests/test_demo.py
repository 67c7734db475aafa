from __future__ import annotations

from datetime import date

import pytest

from xinshimin.charity import ledger
from xinshimin.charity.demo import build_demo_charity
from xinshimin.charity.models import Donation, HardshipCase
from xinshimin.charity.services import EMPLOYER_PRIORITY_YUAN
from xinshimin.residents.demo import build_demo

pytestmark = pytest.mark.django_db


def test_demo_charity_builds_donations_and_cases_in_several_states():
    build_demo(residents=30, seed=7, today=date(2025, 11, 20))
    summary = build_demo_charity(seed=7, today=date(2025, 11, 20))
    assert summary.startswith("charity: 6 donations, 6 cases")
    assert Donation.objects.filter(donor_kind="employer", amount__gte=EMPLOYER_PRIORITY_YUAN).exists()
    states = set(HardshipCase.objects.values_list("status", flat=True))
    assert {"submitted", "verifying", "approved", "refused", "disbursed"} <= states
    assert HardshipCase.objects.filter(priority_employer=True).exists()
    assert ledger.trial_balance().ok
    assert "already present" in build_demo_charity(seed=7, today=date(2025, 11, 20))


def test_demo_charity_without_residents_adds_nothing():
    assert "nothing added" in build_demo_charity(seed=1, today=date(2025, 11, 20))
