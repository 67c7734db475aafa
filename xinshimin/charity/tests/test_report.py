"""The annual public report: the story from donation to report figures, totals == ledger, no personal data."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from xinshimin.charity import ledger
from xinshimin.charity.documents import report_pdf
from xinshimin.charity.models import HardshipCase
from xinshimin.charity.report import ANONYMOUS, annual_report
from xinshimin.charity.services import case_decide, case_disburse, entry_reverse, grant_return_record
from xinshimin.residents.tests.factories import ResidentFactory, TownFactory

from .conftest import approve, fund, submit, verify_twice

pytestmark = pytest.mark.django_db

APPLICANT_ID = "522401199203154513"
APPLICANT_PHONE = "13812345678"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_story_donation_application_verification_approval_disbursement_report(
    applicant, officer, officer2, reviewer
):
    # Donations: an employer (¥120,000, named), a resident (anonymous by default), a person who consented.
    fund(
        officer,
        "120000",
        donor_kind="employer",
        donor_name="瑞安宏达鞋业有限公司",
        consent_to_name=True,
        on=date(2025, 1, 10),
    )
    donor = ResidentFactory(name="赵大勇")
    fund(officer, "500", donor_kind="resident", donor_name="", resident=donor, on=date(2025, 2, 1))
    fund(
        officer,
        "2000",
        donor_kind="individual",
        donor_name="李四海",
        consent_to_name=True,
        on=date(2025, 2, 2),
    )

    # The applicant works for the employer that gave ¥120,000: priority.
    case = submit(applicant, today=date(2025, 3, 3), amount_requested="6000")
    assert case.priority_employer
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer, "5000", today=date(2025, 3, 10))
    case_disburse(actor=officer, case=case, paid_on=date(2025, 3, 12))
    case.refresh_from_db()
    assert case.status == HardshipCase.Status.DISBURSED

    # A second case (accident), paid in June, partly returned in July.
    other = submit(
        ResidentFactory(with_user=True), category="accident", amount_requested="3000", today=date(2025, 6, 2)
    )
    verify_twice(other, officer, officer2, reviewer)
    approve(other, officer, today=date(2025, 6, 5))
    case_disburse(actor=officer, case=other, paid_on=date(2025, 6, 9))
    grant_return_record(actor=officer, case=other, amount="1000", returned_on=date(2025, 7, 1))

    # A refused case shows in the counts only.
    third = submit(
        ResidentFactory(with_user=True), category="other", amount_requested="800", today=date(2025, 8, 1)
    )
    verify_twice(third, officer, officer2, reviewer)
    case_decide(
        actor=officer,
        case=third,
        outcome="refused",
        reason="经核实，申请人已获其他救助，不符合条件。",
        today=date(2025, 8, 8),
    )

    report = annual_report(2025)
    assert report.money_raised == Decimal("122500.00")
    assert report.donations_count == 3
    assert report.grants_paid == Decimal("8000.00")
    assert report.grants_returned == Decimal("1000.00")
    assert report.opening_balance == Decimal("0")
    assert report.closing_balance == Decimal("115500.00")
    assert (report.cases_received, report.cases_approved, report.cases_refused) == (3, 2, 1)
    assert dict(report.grants_by_category)["因病"] == Decimal("5000.00")
    assert dict(report.grants_by_category)["意外事故"] == Decimal("3000.00")
    assert dict(report.grants_by_month)["3月"] == Decimal("5000.00")
    assert dict(report.grants_by_month)["6月"] == Decimal("3000.00")
    assert [(c.category, c.month, c.amount) for c in report.cases] == [
        ("因病", 3, Decimal("5000.00")),
        ("意外事故", 6, Decimal("3000.00")),
    ]
    assert [(d.name, d.amount) for d in report.donors] == [
        ("瑞安宏达鞋业有限公司", Decimal("120000.00")),
        ("李**", Decimal("2000.00")),
        (ANONYMOUS, Decimal("500.00")),
    ]
    assert_report_matches_ledger(2025)


def assert_report_matches_ledger(year: int) -> None:
    report = annual_report(year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    assert report.money_raised == ledger.account_movement(ledger.DONATIONS_INCOME, start=start, end=end)
    assert report.grants_paid == ledger.account_movement(ledger.GRANTS_EXPENSE, start=start, end=end)
    assert report.grants_returned == ledger.account_movement(ledger.GRANT_RETURNS, start=start, end=end)
    assert report.donors_total == report.money_raised
    assert report.cases_total == report.grants_paid
    assert sum(v for _, v in report.grants_by_category) == report.grants_paid
    assert sum(v for _, v in report.grants_by_month) == report.grants_paid
    assert report.closing_balance == ledger.account_balance(ledger.FUND_BANK, on=end)
    assert report.closing_balance == (
        report.opening_balance + report.money_raised - report.grants_paid + report.grants_returned
    )


def test_report_totals_equal_the_ledger_across_years_and_reversals(applicant, officer, officer2, reviewer):
    mistaken = fund(officer, "900", on=date(2024, 12, 20))
    fund(officer, "10000", on=date(2024, 12, 21), donor_kind="employer", donor_name="某某机械有限公司")
    case = submit(applicant, today=date(2024, 12, 23), amount_requested="4000")
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer, today=date(2024, 12, 24))
    grant = case_disburse(actor=officer, case=case, paid_on=date(2024, 12, 30))
    # Corrections booked in the new year: the wrong donation and the grant (paid to a wrong account).
    entry_reverse(actor=officer, entry=mistaken.entry, reason="重复登记", on=date(2025, 1, 6))
    entry_reverse(actor=officer, entry=grant, reason="银行退票", on=date(2025, 1, 7))
    case.refresh_from_db()
    case_disburse(actor=officer, case=case, paid_on=date(2025, 1, 8))
    for year in (2024, 2025):
        assert_report_matches_ledger(year)
    r2024, r2025 = annual_report(2024), annual_report(2025)
    assert r2024.money_raised == Decimal("10900.00") and r2025.money_raised == Decimal("-900.00")
    assert r2025.opening_balance == r2024.closing_balance == Decimal("6900.00")
    assert r2025.grants_paid == Decimal("0.00")  # reversed −4000 and paid again +4000 in January
    assert r2025.cases == []


def test_no_personal_data_of_applicants_in_the_public_report_page_or_pdf(officer, officer2, reviewer):
    town = TownFactory(code="tangxia")
    applicant = ResidentFactory(
        with_user=True,
        name="欧阳娜娜",
        id_number=APPLICANT_ID,
        phone=APPLICANT_PHONE,
        employer="温州某某电器有限公司",
        town=town,
    )
    fund(
        officer,
        "50000",
        donor_kind="organisation",
        donor_name="瑞安市慈善总会",
        consent_to_name=True,
        on=date(2025, 1, 5),
    )
    fund(
        officer, "20000", donor_kind="employer", donor_name="温州某某电器有限公司", on=date(2025, 1, 6)
    )  # anonymous
    case = submit(
        applicant, today=date(2025, 4, 1), description="欧阳娜娜在塘下镇的出租屋失火，联系电话13812345678。"
    )
    verify_twice(case, officer, officer2, reviewer)
    approve(case, officer, "3000", today=date(2025, 4, 7))
    case_disburse(actor=officer, case=case, paid_on=date(2025, 4, 8))

    page = Client().get(reverse("web:charity_report", args=[2025]))
    assert page.status_code == 200
    html = page.content.decode()
    pdf = Client().get(reverse("web:charity_report_pdf", args=[2025]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "¥3,000.00" in html and "¥3,000.00" in text  # the case is there …
    for secret in (
        "欧阳娜娜",
        "欧阳",
        APPLICANT_ID,
        APPLICANT_ID[-4:] + "</",
        "522401",
        APPLICANT_PHONE,
        "1381",
        "5678",
        applicant.id_number_masked,
        applicant.phone_masked,
        "温州某某电器",
        "塘下",
        case.number,
        "出租屋失火",
    ):
        assert secret not in html, secret  # … but nothing that says who
        assert secret not in text, secret
    assert ANONYMOUS in html and ANONYMOUS in text
    assert "瑞安市慈善总会" in html and "瑞安市慈善总会" in text


def test_report_page_shows_charts_with_tables_and_is_public():
    response = Client().get(reverse("web:charity_report", args=[2025]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('role="img"') == 2
    assert "<table>" in html and "救助金按类别" in html and "捐款名录" in html
    assert Client().get(reverse("web:charity_report", args=[2011])).status_code == 404
    assert Client().get(reverse("web:charity_report_index")).status_code == 200


def test_report_pdf_has_the_same_totals_as_the_page(officer):
    fund(officer, "1234.56", on=date(2025, 5, 5))
    text = pdf_text(report_pdf(annual_report(2025)))
    assert "¥1,234.56" in text
    assert "基金章程要点" in text and "捐款名录" in text
