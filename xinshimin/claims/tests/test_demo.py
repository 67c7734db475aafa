from __future__ import annotations

import datetime as dt

import pytest

from xinshimin.audit.services import audit_verify
from xinshimin.claims.demo import build_demo_claims
from xinshimin.claims.models import Claim
from xinshimin.residents.demo import build_demo

from .conftest import at

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)


def test_demo_claims_cover_the_states_for_the_demo_departments():
    with at(TODAY):
        build_demo(residents=60, seed=7, today=TODAY)
        summary = build_demo_claims(seed=7, today=TODAY)
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {
        "submitted",
        "under_review",
        "evidence_requested",
        "approved",
        "recheck_requested",
        "lapsed",
    } <= statuses
    assert set(Claim.objects.values_list("department__code", flat=True)) <= {
        "hrss",
        "public_security",
        "education",
        "housing",
    }
    assert Claim.objects.filter(kind="dispute", status="approved").exists()
    assert Claim.objects.filter(channel="window", consent_recorded=True).exists()
    assert Claim.objects.filter(status="submitted", due_on__lt=TODAY).exists()  # one overdue in the queue
    assert summary.startswith(f"claims: {Claim.objects.count()} demo claims"), summary
    assert audit_verify().ok


def test_demo_claims_need_the_population_first():
    assert build_demo_claims(seed=1).startswith("claims: skipped")
