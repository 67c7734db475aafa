from __future__ import annotations

import datetime as dt

import pytest

from xinshimin.audit.services import audit_verify
from xinshimin.claims.demo import build_demo_claims
from xinshimin.integrity.demo import build_demo_integrity
from xinshimin.integrity.models import AuditPlan, AuditSample, Sanction
from xinshimin.residents.demo import build_demo

from .helpers import at

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)


def test_demo_integrity_draws_from_the_approved_claims_and_leaves_a_proposal_for_the_centre():
    with at(TODAY):
        build_demo(residents=60, seed=7, today=TODAY)
        build_demo_claims(seed=7, today=TODAY)
        summary = build_demo_integrity(seed=7)
        plan = AuditPlan.objects.get()
        draw = plan.draws.get()
        assert draw.sample_size >= 1 and "sanction proposal" in summary
        assert AuditSample.objects.filter(finding=AuditSample.Finding.FRAUD_SUSPECTED).count() == 1
        sanction = Sanction.objects.get()
        assert sanction.status == Sanction.Status.PROPOSED and sanction.proposed_by.username == "auditor"
        assert build_demo_integrity(seed=7) == "integrity: plans exist already, nothing to do"
    assert audit_verify().ok


def test_demo_integrity_needs_the_population_first():
    assert build_demo_integrity(seed=1).startswith("integrity: skipped")
