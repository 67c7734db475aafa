"""The fund ledger: balanced after every operation, never negative, corrections by reversal, facts for points."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinshimin.charity import ledger
from xinshimin.charity.models import Account, Donation, HardshipCase, JournalEntry, JournalLine
from xinshimin.charity.services import (
    case_disburse,
    donation_fact_value,
    donation_record,
    entry_reverse,
    grant_return_record,
)
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import FundOfficerFactory, ResidentFactory, ReviewerFactory

from .conftest import D, approve, fund, submit, verify_twice

pytestmark = pytest.mark.django_db


def assert_ledger_sound() -> None:
    report = ledger.trial_balance()
    assert report.total_debit == report.total_credit
    assert report.unbalanced_entries == []
    for code, (kept, computed) in report.accounts.items():
        assert kept == computed, code
    assert Account.objects.get(code=ledger.FUND_BANK).balance >= 0
    assert report.ok


def bank() -> Decimal:
    return ledger.account_balance(ledger.FUND_BANK)


def approved_case(officer, officer2, reviewer, amount="5000", resident=None):
    resident = resident or ResidentFactory(with_user=True)
    case = submit(resident, amount_requested=amount)
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer)
    case.refresh_from_db()
    return case


def test_a_donation_is_a_balanced_entry_with_a_receipt(officer):
    donation = fund(officer, "1200.50")
    assert donation.receipt_number == "SJ2025-00001"
    lines = {(x.account.code, x.debit, x.credit) for x in donation.entry.lines.select_related("account")}
    assert lines == {
        ("fund_bank", Decimal("1200.50"), Decimal("0")),
        ("donations_income", Decimal("0"), Decimal("1200.50")),
    }
    assert donation.entry.number == "JZ2025-000001"
    assert bank() == Decimal("1200.50")
    assert_ledger_sound()


def test_grant_and_return_move_money_both_ways(officer, officer2, reviewer):
    fund(officer, "8000")
    case = approved_case(officer, officer2, reviewer, "5000")
    case_disburse(actor=officer, case=case, paid_on=D)
    assert bank() == Decimal("3000.00")
    assert ledger.account_balance(ledger.GRANTS_EXPENSE) == Decimal("5000.00")
    assert_ledger_sound()
    with pytest.raises(ValidationFailed):
        grant_return_record(actor=officer, case=case, amount="5000.01", returned_on=D)
    grant_return_record(actor=officer, case=case, amount="1000", returned_on=D, note="医保报销后退回")
    assert bank() == Decimal("4000.00")
    assert ledger.account_balance(ledger.GRANT_RETURNS) == Decimal("1000.00")
    assert_ledger_sound()


def test_the_fund_can_not_pay_more_than_it_holds(officer, officer2, reviewer):
    fund(officer, "4999.99")
    case = approved_case(officer, officer2, reviewer, "5000")
    with pytest.raises(Conflict) as refused:
        case_disburse(actor=officer, case=case, paid_on=D)
    assert refused.value.code == "insufficient_funds"
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.APPROVED
    assert not JournalEntry.objects.filter(kind="grant").exists()
    assert bank() == Decimal("4999.99")
    assert_ledger_sound()


def test_the_database_refuses_a_negative_bank_balance(officer):
    from django.db import IntegrityError, transaction

    fund(officer, "10")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(code=ledger.FUND_BANK).update(balance=Decimal("-0.01"))


def test_unbalanced_or_one_sided_postings_are_refused_by_the_service(officer):
    from django.db import transaction

    with transaction.atomic():
        with pytest.raises(ValidationFailed, match="借贷不平衡"):
            ledger.post_entry(
                kind="donation",
                entry_on=D,
                memo="x",
                actor=officer,
                lines=[
                    ledger.debit("fund_bank", Decimal("10")),
                    ledger.credit("donations_income", Decimal("9")),
                ],
            )
        with pytest.raises(ValidationFailed):
            ledger.post_entry(
                kind="donation",
                entry_on=D,
                memo="x",
                actor=officer,
                lines=[ledger.debit("fund_bank", Decimal("10"))],
            )
        with pytest.raises(ValidationFailed):
            ledger.post_entry(
                kind="donation",
                entry_on=D,
                memo="x",
                actor=officer,
                lines=[
                    ledger.Line("fund_bank", Decimal("1"), Decimal("1")),
                    ledger.credit("donations_income", Decimal("0")),
                ],
            )
    assert not JournalEntry.objects.exists()


def test_a_mistaken_donation_is_corrected_by_a_reversing_entry(officer):
    donation = fund(officer, "300")
    reversal = entry_reverse(actor=officer, entry=donation.entry, reason="金额录入错误", on=D)
    assert reversal.kind == "reversal" and reversal.reverses == donation.entry
    assert bank() == Decimal("0.00")
    assert JournalEntry.objects.count() == 2  # the original is still there
    assert_ledger_sound()
    with pytest.raises(Conflict):
        entry_reverse(actor=officer, entry=donation.entry, reason="再次冲销", on=D)
    with pytest.raises(Conflict):
        entry_reverse(actor=officer, entry=reversal, reason="冲销冲销", on=D)


def test_reversing_a_donation_already_spent_is_refused(officer, officer2, reviewer):
    donation = fund(officer, "5000")
    case = approved_case(officer, officer2, reviewer, "5000")
    case_disburse(actor=officer, case=case, paid_on=D)
    with pytest.raises(Conflict, match="余额不足"):
        entry_reverse(actor=officer, entry=donation.entry, reason="捐赠退回", on=D)
    assert_ledger_sound()


def test_reversing_a_grant_puts_the_case_back_to_approved(officer, officer2, reviewer):
    fund(officer, "5000")
    case = approved_case(officer, officer2, reviewer, "5000")
    grant = case_disburse(actor=officer, case=case, paid_on=D)
    entry_reverse(actor=officer, entry=grant, reason="银行退票，收款账号有误", on=D)
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.APPROVED
    assert bank() == Decimal("5000.00")
    case_disburse(actor=officer, case=case, paid_on=D)  # paid again to the right account
    assert bank() == Decimal("0.00")
    assert_ledger_sound()


def test_only_the_fund_office_records_money(officer):
    with pytest.raises(PermissionDenied):
        donation_record(
            actor=ReviewerFactory(),
            donor_kind="individual",
            donor_name="李四",
            amount="10",
            donated_on=D,
            today=D,
        )
    donation = fund(officer, "10")
    with pytest.raises(PermissionDenied):
        entry_reverse(actor=ReviewerFactory(), entry=donation.entry, reason="无权冲销", on=D)


def test_donation_input_is_checked(officer):
    resident = ResidentFactory()
    with pytest.raises(ValidationFailed):
        donation_record(actor=officer, donor_kind="resident", amount="10", donated_on=D, today=D)
    with pytest.raises(ValidationFailed):
        donation_record(
            actor=officer, donor_kind="employer", resident=resident, donor_name="x", amount="10", today=D
        )
    with pytest.raises(ValidationFailed):
        donation_record(actor=officer, donor_kind="employer", donor_name="  ", amount="10", today=D)
    with pytest.raises(ValidationFailed):
        donation_record(
            actor=officer,
            donor_kind="individual",
            donor_name="李四",
            amount="10",
            donated_on=date(2025, 3, 4),
            today=D,
        )


def test_a_residents_donations_become_their_points_fact(officer):
    from xinshimin.scoring.models import Fact

    resident = ResidentFactory()
    fund(officer, "3000", donor_kind="resident", donor_name="", resident=resident, on=date(2024, 12, 1))
    second = fund(officer, "150.50", donor_kind="resident", donor_name="", resident=resident, on=D)
    fact = Fact.objects.get(resident=resident, kind="charity_donations")
    assert fact.value == [{"date": "2024-12-01", "yuan": 3000}, {"date": "2025-03-03", "yuan": 150.5}]
    assert fact.source == "department_feed" and fact.department.code == "charity"
    entry_reverse(actor=officer, entry=second.entry, reason="重复登记", on=D)
    assert Fact.objects.get(resident=resident, kind="charity_donations").value == [
        {"date": "2024-12-01", "yuan": 3000}
    ]
    assert donation_fact_value(resident) == [{"date": "2024-12-01", "yuan": 3000}]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["donate", "grant", "return", "reverse"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_ledger_balances_after_every_operation(officer, officer2, reviewer, operations):
    from django.db import transaction

    with transaction.atomic():
        cases = [approved_case(officer, officer2, reviewer, "5000") for _ in range(2)]
        for kind, amount in operations:
            try:
                if kind == "donate":
                    fund(officer, str(amount))
                elif kind == "grant":
                    case = next((c for c in cases if c.status == HardshipCase.Status.APPROVED), None)
                    if case is not None:
                        case_disburse(actor=officer, case=case, paid_on=D)
                elif kind == "return":
                    case = next((c for c in cases if c.status == HardshipCase.Status.DISBURSED), None)
                    if case is not None:
                        grant_return_record(actor=officer, case=case, amount=str(amount), returned_on=D)
                else:
                    entry = (
                        JournalEntry.objects.filter(reversed_by__isnull=True).exclude(kind="reversal").last()
                    )
                    if entry is not None:
                        entry_reverse(actor=officer, entry=entry, reason="测试冲销", on=D)
            except (Conflict, ValidationFailed):
                pass  # refused operations leave the ledger as it was
            for case in cases:
                case.refresh_from_db()
            assert_ledger_sound()
        transaction.set_rollback(True)


# --- PostgreSQL: the database's own guards and real concurrency ------------------------------------------


@pytest.mark.postgres
def test_ledger_rows_can_not_be_edited_or_deleted(officer):
    from django.db import DatabaseError, transaction

    donation = fund(officer, "100")
    for statement in (
        lambda: JournalLine.objects.filter(entry=donation.entry).update(debit=Decimal("1")),
        lambda: JournalEntry.objects.filter(pk=donation.entry.pk).update(memo="改了"),
        lambda: Donation.objects.filter(pk=donation.pk).update(amount=Decimal("1")),
        lambda: JournalLine.objects.filter(entry=donation.entry).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()


@pytest.mark.postgres
def test_the_database_refuses_an_unbalanced_entry_at_commit(officer):
    from django.db import DatabaseError, transaction

    fund(officer, "100")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(number="JZ-TEST-1", kind="donation", entry_on=D, memo="bad")
        JournalLine.objects.create(
            entry=entry, account=Account.objects.get(code="fund_bank"), debit=Decimal("5")
        )
        JournalLine.objects.create(
            entry=entry, account=Account.objects.get(code="donations_income"), credit=Decimal("4")
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        JournalEntry.objects.create(number="JZ-TEST-2", kind="donation", entry_on=D, memo="no lines")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_disbursements_never_overdraw_the_fund():
    officer, officer2, reviewer = FundOfficerFactory(), FundOfficerFactory(), ReviewerFactory()
    fund(officer, "9000")
    cases = [approved_case(officer, officer2, reviewer, "5000") for _ in range(3)]
    barrier = threading.Barrier(len(cases))
    outcomes: list[str] = []

    def pay(case: HardshipCase) -> None:
        try:
            barrier.wait()
            case_disburse(actor=officer, case=case, paid_on=D)
            outcomes.append("paid")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["insufficient_funds", "insufficient_funds", "paid"]
    assert bank() == Decimal("4000.00")
    assert HardshipCase.objects.filter(status="disbursed").count() == 1
    assert_ledger_sound()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_donations_and_grants_keep_the_ledger_balanced():
    officer, officer2, reviewer = FundOfficerFactory(), FundOfficerFactory(), ReviewerFactory()
    fund(officer, "1000")
    cases = [approved_case(officer, officer2, reviewer, "600") for _ in range(3)]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except Conflict:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    actions = [lambda c=c: case_disburse(actor=officer, case=c, paid_on=D) for c in cases]
    actions += [lambda: fund(officer, "300") for _ in range(3)]
    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    paid = HardshipCase.objects.filter(status="disbursed").count()
    assert bank() == Decimal("1000") + Decimal("900") - Decimal("600") * paid
    assert paid >= 1
    numbers = list(JournalEntry.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert_ledger_sound()
