"""Cases from submission to decision: who may do what, deadlines on the official calendar, priority."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    ClerkFactory,
    FundOfficerFactory,
    ProviderUserFactory,
    TownFactory,
)
from xinshimin.audit.models import AuditEvent
from xinshimin.charity import services
from xinshimin.charity.models import CaseDecision, HardshipCase, Verification, VerifierAssignment
from xinshimin.charity.services import (
    case_decide,
    case_disburse,
    case_set_urgent,
    case_submit,
    case_withdraw,
    conflict_declare,
    letter_deliver,
    verification_record,
    verifiers_assign,
)
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.workdays.calendar import NoCalendarData

from .conftest import D, approve, fund, submit, verify_twice

pytestmark = pytest.mark.django_db


def record(verifier, case, finding="confirmed"):
    return verification_record(
        actor=verifier, case=case, checked="入户走访，查看病历。", found="与申报一致。", finding=finding
    )


# --- submission --------------------------------------------------------------------------------------


def test_resident_submits_online_and_the_decision_is_due_in_ten_working_days(applicant):
    case = submit(applicant)
    assert case.status == HardshipCase.Status.SUBMITTED
    assert case.channel == HardshipCase.Channel.ONLINE
    assert case.filed_by == applicant.user
    assert case.number == "AX2025-0001"
    assert case.submitted_on == D
    assert case.due_on == date(2025, 3, 17)  # two full weeks, no holiday
    assert AuditEvent.objects.filter(action="charity.case_submit", object_id=str(case.pk)).exists()
    event = AuditEvent.objects.get(action="charity.case_submit")
    assert "王小明" not in str(event.summary) and event.summary["after"]["applicant"] == "王**"


@time_machine.travel("2025-09-26 10:00 +0800", tick=False)
def test_case_submitted_before_national_day_is_due_after_the_holiday(applicant):
    case = case_submit(
        actor=applicant.user,
        applicant=applicant,
        category="accident",
        amount_requested="3000",
        description="工地意外摔伤，需要手术治疗，暂时无法工作。",
    )
    assert case.submitted_on == date(2025, 9, 26)
    # 09-28 (Sunday, a working day), 09-29, 09-30, [10-01…10-08 holiday], 10-09, 10-10, 10-11 (Saturday,
    # a working day), 10-13, 10-14, 10-15, 10-16.
    assert case.due_on == date(2025, 10, 16)


def test_submission_refuses_to_guess_without_calendar_data(applicant):
    with pytest.raises(NoCalendarData):
        submit(applicant, today=date(2031, 5, 6))
    assert not HardshipCase.objects.exists()


def test_second_open_application_is_refused_but_allowed_after_withdrawal(applicant):
    first = submit(applicant)
    with pytest.raises(Conflict):
        submit(applicant)
    case_withdraw(actor=applicant.user, case=first, today=D)
    second = submit(applicant)
    assert second.number == "AX2025-0002"


def test_only_the_applicant_or_a_clerk_of_their_town_may_file(applicant):
    other = ResidentFactory(with_user=True)
    with pytest.raises(PermissionDenied):
        case_submit(
            actor=other.user,
            applicant=applicant,
            category="illness",
            amount_requested="1",
            description="x" * 20,
            today=D,
        )
    clerk_elsewhere = ClerkFactory(town=TownFactory(code="tangxia"))
    with pytest.raises(PermissionDenied):
        case_submit(
            actor=clerk_elsewhere,
            applicant=applicant,
            category="illness",
            amount_requested="1",
            description="x" * 20,
            today=D,
            consent=True,
        )
    with pytest.raises(PermissionDenied):
        case_submit(
            actor=FundOfficerFactory(),
            applicant=applicant,
            category="illness",
            amount_requested="1",
            description="x" * 20,
            today=D,
        )


def test_window_filing_records_the_clerk_and_needs_consent(applicant, clerk):
    with pytest.raises(ValidationFailed) as refused:
        case_submit(
            actor=clerk,
            applicant=applicant,
            category="disaster",
            amount_requested="800",
            description="台风导致出租屋进水，家具家电受损。",
            today=D,
        )
    assert refused.value.field == "consent"
    case = case_submit(
        actor=clerk,
        applicant=applicant,
        category="disaster",
        amount_requested="800",
        description="台风导致出租屋进水，家具家电受损。",
        today=D,
        consent=True,
    )
    assert case.channel == HardshipCase.Channel.WINDOW
    assert case.filed_by == clerk and case.consent_recorded


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("amount_requested", {"amount_requested": "0"}),
        ("amount_requested", {"amount_requested": "12.345"}),
        ("amount_requested", {"amount_requested": "abc"}),
        ("category", {"category": "lottery"}),
        ("description", {"description": "太短"}),
    ],
)
def test_submission_input_is_checked(applicant, field, kwargs):
    with pytest.raises(ValidationFailed) as refused:
        submit(applicant, **kwargs)
    assert refused.value.field == field


def test_priority_for_employees_of_an_employer_that_gave_100000(applicant, officer):
    fund(officer, "99999.99", donor_kind="employer", donor_name="瑞安宏达鞋业 有限公司")
    case = submit(applicant)
    assert not case.priority_employer and not case.priority_donor
    case_withdraw(actor=applicant.user, case=case, today=D)
    fund(officer, "0.01", donor_kind="employer", donor_name="瑞安宏达鞋业有限公司")
    case = submit(applicant)
    assert case.priority_employer and not case.priority_donor


def test_priority_for_donors(applicant, officer):
    fund(officer, "200", donor_kind="resident", donor_name="", resident=applicant)
    case = submit(applicant)
    assert case.priority_donor and case.has_priority


# --- verification ------------------------------------------------------------------------------------


def test_at_least_two_verifiers_are_assigned(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    with pytest.raises(ValidationFailed, match="至少需要指派2名"):
        verifiers_assign(actor=officer, case=case, verifiers=[officer2])
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.VERIFYING
    third = AuditorFactory()
    verifiers_assign(actor=officer, case=case, verifiers=[third])  # adding one more is fine now
    assert case.assignments.count() == 3


def test_only_the_fund_office_assigns(applicant, officer2, reviewer):
    case = submit(applicant)
    with pytest.raises(PermissionDenied):
        verifiers_assign(actor=reviewer, case=case, verifiers=[officer2, reviewer])


def test_the_applicant_can_never_verify_their_own_case(applicant, officer, officer2):
    # The applicant is also a member of staff (a fund officer whose own Resident record is linked).
    staff_applicant = FundOfficerFactory()
    applicant.user = staff_applicant
    applicant.save()
    case = case_submit(
        actor=ClerkFactory(town=applicant.town),
        applicant=applicant,
        category="illness",
        amount_requested="500",
        description="本人住院治疗，费用较高，申请救助。",
        today=D,
        consent=True,
    )
    with pytest.raises(ValidationFailed, match="申请人本人"):
        verifiers_assign(actor=officer, case=case, verifiers=[staff_applicant, officer2])
    with pytest.raises(PermissionDenied, match="申请人本人"):
        verifiers_assign(actor=staff_applicant, case=case, verifiers=[officer, officer2])


def test_a_verifier_with_a_declared_conflict_is_refused(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    conflict_declare(actor=reviewer, user=reviewer, resident=applicant, reason="申请人是本人的亲属")
    with pytest.raises(ValidationFailed, match="利益冲突"):
        verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    assert not VerifierAssignment.objects.exists()


def test_a_conflict_declared_after_assignment_withdraws_the_assignment(
    applicant, officer, officer2, reviewer
):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    conflict_declare(actor=officer, user=reviewer, resident=applicant, reason="与申请人同住一栋出租屋")
    assert list(case.assignments.values_list("verifier__username", flat=True)) == ["fund_b"]
    with pytest.raises(PermissionDenied):
        record(reviewer, case)


def test_a_conflict_declared_after_verifying_disqualifies_that_verification(
    applicant, officer, officer2, reviewer
):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    conflict_declare(actor=reviewer, user=reviewer, resident=applicant, reason="后来发现是老乡亲戚")
    with pytest.raises(Conflict, match="目前只有1名"):
        approve(case, officer)


def test_only_assigned_verifiers_record_and_only_once(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    with pytest.raises(PermissionDenied):
        record(officer, case)
    record(officer2, case)
    with pytest.raises(Conflict):
        record(officer2, case)
    with pytest.raises(ValidationFailed):
        verification_record(actor=reviewer, case=case, checked="看了", found="好", finding="maybe")


# --- decisions ---------------------------------------------------------------------------------------


def test_decision_with_one_verification_is_refused(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    record(officer2, case)
    with pytest.raises(Conflict) as refused:
        approve(case, officer)
    assert refused.value.code == "needs_two_verifications"
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.VERIFYING
    assert not CaseDecision.objects.exists()


def test_the_applicant_may_not_decide(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    applicant.user.role = "fund_officer"
    applicant.user.save()
    with pytest.raises(PermissionDenied, match="申请人本人"):
        approve(case, applicant.user)


def test_approval_rests_on_two_verifications_by_different_people(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    decision = approve(case, officer, "4000")
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.APPROVED
    assert case.amount_approved == Decimal("4000.00")
    assert decision.verification_a.verifier != decision.verification_b.verifier
    assert {decision.verification_a.case_id, decision.verification_b.case_id} == {case.pk}
    with pytest.raises(Conflict):
        approve(case, officer)


def test_approved_amount_may_not_exceed_the_request(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    with pytest.raises(ValidationFailed, match="不能超过"):
        approve(case, officer, "5000.01")


def test_refusal_needs_reasons_and_a_letter_is_due_in_ten_working_days(
    applicant, officer, officer2, reviewer
):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    with pytest.raises(ValidationFailed):
        case_decide(actor=officer, case=case, outcome="refused", reason="不行", today=date(2025, 9, 26))
    case_decide(
        actor=officer,
        case=case,
        outcome="refused",
        reason="经核实，申请人已获得足额商业保险赔付，不符合救助条件。",
        today=date(2025, 9, 26),
    )
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.REFUSED
    assert case.letter_due_on == date(2025, 10, 16)
    assert case.letter_is_overdue(date(2025, 10, 17)) and not case.letter_is_overdue(date(2025, 10, 16))
    assert HardshipCase.objects.letters_overdue(date(2025, 10, 17)).get() == case
    with pytest.raises(ValidationFailed):
        letter_deliver(
            actor=officer, case=case, delivered_on=date(2025, 9, 25), method="post", today=date(2025, 10, 1)
        )
    letter_deliver(
        actor=officer, case=case, delivered_on=date(2025, 9, 29), method="in_person", today=date(2025, 10, 1)
    )
    case.refresh_from_db()
    assert case.letter_delivered_on == date(2025, 9, 29)
    assert not HardshipCase.objects.letters_overdue(date(2025, 10, 17)).exists()
    with pytest.raises(Conflict):
        letter_deliver(
            actor=officer, case=case, delivered_on=date(2025, 9, 30), method="post", today=date(2025, 10, 1)
        )


@time_machine.travel("2025-03-20 09:00 +0800", tick=False)
def test_overdue_cases_and_queue_order(applicant, officer):
    from xinshimin.charity.selectors import case_counts, case_queue

    late = submit(applicant, today=date(2025, 3, 3))  # due 03-17, overdue on 03-20
    other = ResidentFactory(with_user=True)
    urgent = submit(other, today=date(2025, 3, 19))
    third = ResidentFactory(with_user=True)
    normal = submit(third, today=date(2025, 3, 18))
    case_set_urgent(actor=officer, case=urgent, is_urgent=True)
    assert list(case_queue(visible_to=officer, today=date(2025, 3, 20))) == [urgent, late, normal]
    assert list(case_queue(visible_to=officer, today=date(2025, 3, 20), only="overdue")) == [late]
    assert case_counts(today=date(2025, 3, 20))["overdue"] == 1
    late.refresh_from_db()
    assert late.is_overdue(date(2025, 3, 20)) and not normal.is_overdue(date(2025, 3, 20))


def test_withdrawal_only_by_the_applicant_and_only_while_open(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    with pytest.raises(PermissionDenied):
        case_withdraw(actor=officer, case=case)
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer)
    with pytest.raises(Conflict):
        case_withdraw(actor=applicant.user, case=case)


def test_disbursement_needs_an_approved_case(applicant, officer, officer2, reviewer):
    fund(officer)
    case = submit(applicant)
    with pytest.raises(Conflict):
        case_disburse(actor=officer, case=case, paid_on=D)
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer)
    with pytest.raises(PermissionDenied):
        case_disburse(actor=ProviderUserFactory(), case=case, paid_on=D)
    entry = case_disburse(actor=officer, case=case, paid_on=D)
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.DISBURSED
    assert entry.case == case and entry.kind == "grant"
    with pytest.raises(Conflict):
        case_disburse(actor=officer, case=case, paid_on=D)


def test_verifications_are_recorded_with_what_was_checked(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    rows = list(Verification.objects.filter(case=case).order_by("pk"))
    assert [v.verifier for v in rows] == [officer2, reviewer]
    assert all(v.checked and v.found for v in rows)
    assert services.usable_verifications(case) == rows
