"""What the database itself refuses, whatever code writes to it (the services check first, for the message)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from xinshimin.charity.models import (
    CaseDecision,
    ConflictDeclaration,
    HardshipCase,
    Verification,
    VerifierAssignment,
)
from xinshimin.charity.services import verification_record, verifiers_assign
from xinshimin.residents.tests.factories import FundOfficerFactory, ResidentFactory

from .conftest import D, submit, verify_twice

pytestmark = pytest.mark.django_db


def decision_row(case, a, b, *, by, outcome="approved"):
    return CaseDecision(
        case=case,
        outcome=outcome,
        verification_a=a,
        verification_b=b,
        decided_by=by,
        decided_on=D,
        reason="直接写入数据库的决定",
        amount_approved=case.amount_requested if outcome == "approved" else None,
    )


def test_a_decision_resting_on_one_verification_is_refused_by_the_database(
    applicant, officer, officer2, reviewer
):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    only = verification_record(
        actor=officer2, case=case, checked="查看病历。", found="属实。", finding="confirmed"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        decision_row(case, only, only, by=officer).save()  # the same verification twice
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseDecision.objects.create(
            case=case,
            outcome="approved",
            verification_a=only,
            decided_by=officer,
            decided_on=D,
            reason="只有一份核实",
            amount_approved=case.amount_requested,
        )
    assert not CaseDecision.objects.exists()


def test_one_verifier_can_not_verify_a_case_twice(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    first = verification_record(
        actor=officer2, case=case, checked="查看病历。", found="属实。", finding="confirmed"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Verification.objects.create(
            case=case,
            assignment=VerifierAssignment.objects.get(case=case, verifier=reviewer),
            verifier=officer2,
            checked="再核一次",
            found="属实",
            finding="confirmed",
        )
    assert Verification.objects.get() == first


def test_a_window_case_without_consent_is_refused_by_the_database(applicant, clerk):
    with pytest.raises(IntegrityError), transaction.atomic():
        HardshipCase.objects.create(
            number="AX-T-1",
            applicant=applicant,
            category="illness",
            amount_requested=1,
            description="x",
            channel="window",
            filed_by=clerk,
            consent_recorded=False,
            submitted_at="2025-03-03T10:00+08:00",
            submitted_on=D,
            due_on=D,
        )


@pytest.mark.postgres
def test_postgres_refuses_a_decided_status_without_a_decision(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    with pytest.raises(DatabaseError, match="needs a decision"), transaction.atomic():
        HardshipCase.objects.filter(pk=case.pk).update(
            status="refused", decided_on=D, decided_by=officer, letter_due_on=date(2025, 3, 17)
        )


@pytest.mark.postgres
def test_postgres_refuses_a_decision_resting_on_another_cases_verification(
    applicant, officer, officer2, reviewer
):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    other = submit(ResidentFactory(with_user=True))
    verify_twice(other, officer, officer2, reviewer)
    mine = list(case.verifications.all())
    theirs = list(other.verifications.all())
    with pytest.raises(IntegrityError), transaction.atomic():
        decision_row(case, mine[0], theirs[1], by=officer).save()


@pytest.mark.postgres
def test_postgres_refuses_a_verification_by_the_applicant(applicant, officer, officer2):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer, officer2])
    # Smuggle the applicant's own login into an assignment, bypassing the service.
    assignment = VerifierAssignment.objects.create(case=case, verifier=applicant.user, assigned_by=officer)
    with pytest.raises(DatabaseError, match="may not verify"), transaction.atomic():
        Verification.objects.create(
            case=case,
            assignment=assignment,
            verifier=applicant.user,
            checked="自己核实自己",
            found="属实",
            finding="confirmed",
        )


@pytest.mark.postgres
def test_postgres_refuses_a_verification_by_a_conflicted_verifier(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    ConflictDeclaration.objects.create(user=reviewer, resident=applicant, reason="亲属")
    with pytest.raises(DatabaseError, match="may not verify"), transaction.atomic():
        Verification.objects.create(
            case=case,
            assignment=VerifierAssignment.objects.get(case=case, verifier=reviewer),
            verifier=reviewer,
            checked="入户",
            found="属实",
            finding="confirmed",
        )


@pytest.mark.postgres
def test_postgres_refuses_a_decision_by_the_applicant(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    a, b = case.verifications.all()
    with pytest.raises(DatabaseError, match="may not decide"), transaction.atomic():
        decision_row(case, a, b, by=applicant.user).save()


@pytest.mark.postgres
def test_postgres_keeps_verifications_and_decisions_unchanged(applicant, officer, officer2, reviewer):
    from .conftest import approve

    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Verification.objects.filter(case=case).update(found="改写核实结果")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CaseDecision.objects.filter(case=case).delete()
    assert FundOfficerFactory()  # the connection is still usable after the refusals
