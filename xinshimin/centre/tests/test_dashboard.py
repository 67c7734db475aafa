"""Dashboards: the aggregate queries, the filter, the sections (chart + table) and the XLSX exports."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from xinshimin.accounts.models import Department
from xinshimin.accounts.tests.factories import FundOfficerFactory, TownFactory
from xinshimin.centre import selectors
from xinshimin.centre.dashboard import dashboard_filter, dashboard_section, dashboard_sections
from xinshimin.centre.exports import sections_xlsx
from xinshimin.centre.selectors import Period
from xinshimin.charity.models import Donation
from xinshimin.charity.services import donation_record, entry_reverse
from xinshimin.claims.models import Claim
from xinshimin.core.errors import ValidationFailed
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scenes.models import Application

from .helpers import application, at, check, claim, offer, redemption, scene, snapshot

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def towns():
    return TownFactory(code="anyang"), TownFactory(code="tangxia")


# --- filter ------------------------------------------------------------------------------------------------------


def test_filter_defaults_to_the_current_year_and_all_towns():
    flt = dashboard_filter({}, today=TODAY)
    assert flt.town is None
    assert flt.period == YEAR
    assert flt.as_params() == {"from": "2026-01-01", "to": "2026-12-31"}


def test_filter_takes_a_year_a_town_or_dates(towns):
    assert dashboard_filter({"year": "2025"}, today=TODAY).period == Period(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    flt = dashboard_filter({"town": "tangxia", "from": "2026-03-01", "to": "2026-04-30"}, today=TODAY)
    assert flt.town == towns[1]
    assert flt.period == Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    assert "塘下镇" in flt.describe() and "2026年3月1日至4月30日" in flt.describe()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"town": "atlantis"}, "town"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"year": "26"}, "year"),
        ({"from": "2010-01-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_filter_refuses_bad_input_saying_which_field(params, field):
    with pytest.raises(ValidationFailed) as caught:
        dashboard_filter(params, today=TODAY)
    assert caught.value.field == field


def test_period_months_cover_every_month_touched():
    assert Period(dt.date(2025, 11, 15), dt.date(2026, 2, 1)).months() == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


# --- queries -----------------------------------------------------------------------------------------------------


def test_residents_by_town_counts_registered_and_scoring_permits(towns):
    anyang, tangxia = towns
    ResidentFactory(town=anyang)
    ResidentFactory(town=anyang, permit__status="expired")
    ResidentFactory(town=tangxia, permit=None)
    rows = {r.code: r for r in selectors.residents_by_town(town=None, on=TODAY)}
    assert (rows["anyang"].residents, rows["anyang"].scoring) == (2, 1)
    assert (rows["tangxia"].residents, rows["tangxia"].scoring) == (1, 0)
    assert rows["yuhai"].residents == 0  # every town is listed
    only = selectors.residents_by_town(town=tangxia, on=TODAY)
    assert [(r.code, r.residents) for r in only] == [("tangxia", 1)]


def test_score_histogram_uses_each_residents_latest_snapshot(towns):
    anyang, tangxia = towns
    a, b, c = ResidentFactory(town=anyang), ResidentFactory(town=anyang), ResidentFactory(town=tangxia)
    snapshot(a, "15", as_of=dt.date(2025, 12, 31))
    snapshot(a, "45.25", as_of=dt.date(2026, 4, 30))  # latest for a
    snapshot(b, "40", as_of=dt.date(2026, 4, 30))  # 40 is in 40–60, not 20–40
    snapshot(c, "300", as_of=dt.date(2026, 4, 30))  # the top score is in the last band
    snapshot(c, "0", as_of=dt.date(2026, 9, 30))  # after the date asked for: ignored
    bins = {b.label: b.count for b in selectors.score_histogram(town=None, on=dt.date(2026, 6, 1))}
    assert bins["0–20"] == 0
    assert bins["40–60"] == 2
    assert bins["280–300"] == 1
    assert sum(bins.values()) == 3
    in_tangxia = selectors.score_histogram(town=tangxia, on=dt.date(2026, 6, 1))
    assert [b.label for b in in_tangxia if b.count] == ["280–300"]


def test_applications_by_scene_and_town_skip_withdrawn_and_other_periods(towns):
    anyang, tangxia = towns
    housing = scene()
    old = scene(code="housing-2025", name="2025年积分住房租赁补贴", year=2025)
    application(housing, ResidentFactory(town=anyang), status=Application.Status.ELIGIBLE)
    application(housing, ResidentFactory(town=anyang), status=Application.Status.REJECTED)
    application(housing, ResidentFactory(town=tangxia))
    application(housing, ResidentFactory(town=tangxia), status=Application.Status.WITHDRAWN)
    application(old, ResidentFactory(town=anyang))
    rows = selectors.applications_by_scene_and_town(town=None, period=YEAR)
    assert [(r.scene, r.town, r.total, r.eligible, r.rejected) for r in rows] == [
        ("2026年积分住房租赁补贴", "安阳街道", 2, 1, 1),
        ("2026年积分住房租赁补贴", "塘下镇", 1, 0, 0),
    ]
    only = selectors.applications_by_scene_and_town(town=tangxia, period=YEAR)
    assert [(r.town, r.total) for r in only] == [("塘下镇", 1)]


def test_review_backlog_counts_waiting_overdue_and_decided_per_department(towns):
    anyang, tangxia = towns
    hrss = Department.objects.get(code="hrss")
    housing_dept = Department.objects.get(code="housing")
    r1, r2 = ResidentFactory(town=anyang), ResidentFactory(town=tangxia)
    claim(r1, hrss, due_on=dt.date(2026, 6, 1))  # overdue
    claim(r1, hrss, status=Claim.Status.UNDER_REVIEW, due_on=dt.date(2026, 6, 30))
    claim(r2, hrss, status=Claim.Status.EVIDENCE_REQUESTED, due_on=dt.date(2026, 6, 1))
    claim(r2, hrss, status=Claim.Status.APPROVED, due_on=dt.date(2026, 3, 1), decided_at=at(2026, 2, 20))
    claim(r2, hrss, status=Claim.Status.APPROVED, due_on=dt.date(2025, 3, 1), decided_at=at(2025, 2, 20))
    housing = scene(review_starts_on=dt.date(2026, 3, 1), review_ends_on=dt.date(2026, 6, 10))
    check(application(housing, r1), housing_dept)
    check(application(housing, r2), housing_dept, code="no_other_subsidy")
    withdrawn = application(housing, ResidentFactory(town=anyang), status=Application.Status.WITHDRAWN)
    check(withdrawn, housing_dept)
    rows = {r.code: r for r in selectors.review_backlog(town=None, period=YEAR, today=TODAY)}
    h = rows["hrss"]
    assert (h.claims_waiting, h.claims_overdue, h.claims_evidence, h.claims_decided) == (2, 1, 1, 1)
    assert (rows["housing"].checks_pending, rows["housing"].checks_overdue) == (2, 2)
    assert rows["housing"].waiting == 2 and rows["hrss"].overdue == 1
    in_tangxia = {r.code: r for r in selectors.review_backlog(town=tangxia, period=YEAR, today=TODAY)}
    assert (in_tangxia["hrss"].claims_waiting, in_tangxia["hrss"].claims_evidence) == (0, 1)
    assert in_tangxia["housing"].checks_pending == 1


def test_welfare_by_month_sums_stock_and_redemptions(towns):
    anyang, tangxia = towns
    march = offer(title="三月", stock=100, opens_at=at(2026, 3, 5), remaining=98)
    offer(title="三月二", stock=50, opens_at=at(2026, 3, 20))
    offer(title="草稿", stock=999, opens_at=at(2026, 3, 20), status="draft")
    offer(title="五月", stock=30, opens_at=at(2026, 5, 1))
    redemption(march, ResidentFactory(town=anyang), granted_at=at(2026, 3, 5, 10, 1))
    redemption(march, ResidentFactory(town=tangxia), granted_at=at(2026, 4, 1))
    months = {m.month.month: m for m in selectors.welfare_by_month(town=None, period=YEAR)}
    assert len(months) == 12
    assert (months[3].offers, months[3].stock, months[3].redeemed) == (2, 150, 1)
    assert (months[4].stock, months[4].redeemed) == (0, 1)
    assert months[5].stock == 30
    in_anyang = {m.month.month: m.redeemed for m in selectors.welfare_by_month(town=anyang, period=YEAR)}
    assert (in_anyang[3], in_anyang[4]) == (1, 0)
    rows = selectors.welfare_openings(town=tangxia, period=YEAR)
    assert [(o.title, o.stock, o.granted, o.granted_in_town) for o in rows] == [
        ("三月", 100, 2, 1),
        ("三月二", 50, 0, 0),
        ("五月", 30, 0, 0),
    ]


def test_fund_by_month_sums_money_in_and_out_of_the_bank_account():
    officer = FundOfficerFactory()
    fields = {"donor_kind": Donation.DonorKind.ORGANISATION, "donor_name": "瑞安市慈善总会"}
    donation_record(
        actor=officer, amount="1000.50", donated_on=dt.date(2025, 3, 3), today=dt.date(2025, 3, 3), **fields
    )
    second = donation_record(
        actor=officer, amount="200", donated_on=dt.date(2025, 3, 10), today=dt.date(2025, 3, 10), **fields
    )
    entry_reverse(actor=officer, entry=second.entry, reason="重复录入", on=dt.date(2025, 4, 2))
    months = {
        m.month.month: m
        for m in selectors.fund_by_month(period=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    }
    assert months[3].money_in == Decimal("1200.50")
    assert months[3].money_out == Decimal("0.00")
    assert months[4].money_out == Decimal("200.00")
    assert months[4].net == Decimal("-200.00")
    assert months[1].money_in == Decimal("0.00")


# --- sections and exports ----------------------------------------------------------------------------------------


def test_every_section_has_a_chart_and_a_table():
    flt = dashboard_filter({}, today=TODAY)
    sections = dashboard_sections(flt, today=TODAY)
    assert [s.key for s in sections] == ["residents", "scores", "applications", "backlog", "welfare", "fund"]
    for section in sections:
        assert section.charts, section.key
        assert all('role="img"' in chart for chart in section.charts)
        assert section.tables and all(t.header for t in section.tables)


def test_score_section_table_matches_the_chart(towns):
    for total in ("10", "25", "25.75"):
        snapshot(ResidentFactory(town=towns[0]), total, as_of=dt.date(2026, 1, 31))
    section = dashboard_section("scores", dashboard_filter({}, today=TODAY), today=TODAY)
    rows = {row[0]: row for row in section.tables[0].rows}
    assert rows["0–20"][1:] == (1, Decimal("33.3"))
    assert rows["20–40"][1:] == (2, Decimal("66.7"))
    assert "20–40：2人" in section.charts[0]


def test_xlsx_has_one_sheet_per_table_with_the_same_numbers(towns):
    ResidentFactory(town=towns[1])
    flt = dashboard_filter({"town": "tangxia"}, today=TODAY)
    sections = dashboard_sections(flt, today=TODAY)
    workbook = load_workbook(io.BytesIO(sections_xlsx(sections, flt)))
    assert len(workbook.sheetnames) == sum(len(s.tables) for s in sections)
    sheet = workbook[workbook.sheetnames[0]]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "各乡镇街道新市民人数"
    assert "塘下镇" in values[1][0]
    header_at = next(i for i, row in enumerate(values) if row[0] == "乡镇街道")
    assert values[header_at + 1][:3] == ["塘下镇", 1, 1]
    assert values[header_at + 2][:3] == ["合计", 1, 1]


def test_xlsx_writes_money_as_numbers_and_dates_as_dates():
    officer = FundOfficerFactory()
    donation_record(
        actor=officer,
        amount="1000.50",
        donated_on=dt.date(2026, 3, 3),
        today=dt.date(2026, 3, 3),
        donor_kind=Donation.DonorKind.ORGANISATION,
        donor_name="瑞安市慈善总会",
    )
    offer(opens_at=at(2026, 3, 5))
    flt = dashboard_filter({}, today=TODAY)
    workbook = load_workbook(
        io.BytesIO(sections_xlsx(dashboard_sections(flt, today=TODAY, only="fund"), flt))
    )
    rows = [[c.value for c in row] for row in workbook.active.iter_rows()]
    march = next(r for r in rows if r[0] == "2026年3月")
    assert march[1] == pytest.approx(1000.5)
    welfare = sections_xlsx(dashboard_sections(flt, today=TODAY, only="welfare"), flt)
    offers = load_workbook(io.BytesIO(welfare)).worksheets[1]
    row = next(r for r in offers.iter_rows(values_only=True) if r[0] == "寨寮溪景区门票")
    assert row[2] == dt.datetime(2026, 3, 5, 10, 0)  # Beijing wall time
