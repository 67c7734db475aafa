"""The fund's annual public report (spec §5: policies, money raised, aid cases, donor list).

Every money figure is read from the ledger lines dated in the year, so the report's totals are the
ledger's sums by construction: money raised = the year's movement of ``donations_income``; grants = the
movement of ``grants_expense`` (split by the case's category and by month); returns = ``grant_returns``;
the donor list adds up to money raised. Reversals count in the year they are booked.

Nothing about an applicant is published: a case appears only as its category, the month of payment,
the amount and a fixed sentence for the category. Donors appear by name only with their consent; a
person's name is masked even then (published lists never show a full name), a company's is shown in full.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinshimin.core.masking import mask_name

from . import ledger
from .models import ZERO, CaseDecision, Donation, HardshipCase, JournalLine

ANONYMOUS = "爱心人士（匿名）"

FUND_RULES: tuple[Any, ...] = (
    gettext_lazy(
        "瑞安市新居民爱心基金自2012年设立，依据《瑞安市新居民爱心基金管理章程》运行，"
        "救助因病、因灾、意外事故等陷入困难的在瑞新居民。"
    ),
    gettext_lazy(
        "申请人可在“浙里新市民”平台“爱心基金困难申报”在线申请，也可到居住地乡镇街道新居民服务窗口申请。"
    ),
    gettext_lazy(
        "基金管理委员会办公室指派2人以上对申请情况进行核实，一般在10个工作日内批复，急事急办、特事特办；"
        "不符合条件的，在10个工作日内向申请人书面解释。"
    ),
    gettext_lazy(
        "捐赠者优先享受服务；捐赠十万元以上的用工单位，其员工享受救助优先资格；"
        "捐赠的新居民可按新市民积分赋分标准获得积分。"
    ),
    gettext_lazy(
        "基金每年向社会公布救助政策、基金募集、救助案例和捐款名录，接受社会公众监督。"
        "捐赠人未同意具名的，以“爱心人士（匿名）”列示；救助案例不公布受助人的任何个人信息。"
    ),
)

CASE_SENTENCES = {
    HardshipCase.Category.ILLNESS: gettext_lazy("新居民因病致困，经两人以上核实，给予医疗救助。"),
    HardshipCase.Category.ACCIDENT: gettext_lazy("新居民遭遇意外事故致困，经两人以上核实，给予救助。"),
    HardshipCase.Category.DISASTER: gettext_lazy("新居民因灾受损，经两人以上核实，给予救助。"),
    HardshipCase.Category.FAMILY_HARDSHIP: gettext_lazy("新居民家庭生活困难，经两人以上核实，给予临时救助。"),
    HardshipCase.Category.OTHER: gettext_lazy("新居民遭遇其他特殊困难，经两人以上核实，给予救助。"),
}

PERSON_KINDS = (Donation.DonorKind.RESIDENT, Donation.DonorKind.INDIVIDUAL)


@dataclass(frozen=True)
class CaseLine:
    category: str
    month: int
    amount: Decimal
    summary: str


@dataclass(frozen=True)
class DonorLine:
    name: str
    kind: str
    amount: Decimal
    count: int


@dataclass(frozen=True)
class AnnualReport:
    year: int
    rules: tuple[str, ...]
    opening_balance: Decimal
    money_raised: Decimal
    grants_paid: Decimal
    grants_returned: Decimal
    closing_balance: Decimal
    donations_count: int
    cases_received: int
    cases_approved: int
    cases_refused: int
    grants_by_category: list[tuple[str, Decimal]]
    grants_by_month: list[tuple[str, Decimal]]
    cases: list[CaseLine]
    donors: list[DonorLine]

    @property
    def donors_total(self) -> Decimal:
        return sum((d.amount for d in self.donors), ZERO)

    @property
    def cases_total(self) -> Decimal:
        return sum((c.amount for c in self.cases), ZERO)


def _year_lines(code: str, year: int) -> list[JournalLine]:
    return list(
        JournalLine.objects.filter(
            account__code=code, entry__entry_on__gte=date(year, 1, 1), entry__entry_on__lte=date(year, 12, 31)
        )
        .select_related("entry", "entry__case", "entry__reverses")
        .order_by("entry__entry_on", "entry_id", "pk")
    )


def _donation_of_line(line: JournalLine, donations: dict[int, Donation]) -> Donation | None:
    entry = line.entry
    return donations.get(entry.pk) or (donations.get(entry.reverses_id) if entry.reverses_id else None)


def _donor_lines(year: int) -> tuple[list[DonorLine], int]:
    lines = _year_lines(ledger.DONATIONS_INCOME, year)
    entry_ids = {line.entry_id for line in lines} | {
        line.entry.reverses_id for line in lines if line.entry.reverses_id
    }
    donations = {d.entry_id: d for d in Donation.objects.filter(entry_id__in=entry_ids)}
    named: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    anonymous: list[Decimal] = []
    counted = 0
    for line in lines:
        amount = line.credit - line.debit
        donation = _donation_of_line(line, donations)
        if amount > 0:
            counted += 1
        if donation is None or not donation.consent_to_name:
            anonymous.append(amount)
            continue
        name = mask_name(donation.donor_name) if donation.donor_kind in PERSON_KINDS else donation.donor_name
        named[(name, str(donation.get_donor_kind_display()))].append(amount)
    result = [
        DonorLine(name=name, kind=kind, amount=sum(amounts, ZERO), count=sum(1 for a in amounts if a > 0))
        for (name, kind), amounts in named.items()
    ]
    result = [d for d in result if d.amount != 0]
    result.sort(key=lambda d: (-d.amount, d.name))
    anonymous_total = sum(anonymous, ZERO)
    if anonymous_total != 0:
        result.append(
            DonorLine(
                name=ANONYMOUS, kind="", amount=anonymous_total, count=sum(1 for a in anonymous if a > 0)
            )
        )
    return result, counted


def annual_report(year: int) -> AnnualReport:
    start, end = date(year, 1, 1), date(year, 12, 31)
    grant_lines = _year_lines(ledger.GRANTS_EXPENSE, year)
    by_category: dict[str, Decimal] = {c: ZERO for c in HardshipCase.Category.values}
    by_month: dict[int, Decimal] = dict.fromkeys(range(1, 13), ZERO)
    per_case: dict[int, tuple[HardshipCase, int, Decimal]] = {}
    for line in grant_lines:
        amount = line.debit - line.credit
        case = line.entry.case
        assert case is not None  # grants and their reversals always carry the case
        by_category[case.category] += amount
        by_month[line.entry.entry_on.month] += amount
        _case, month, so_far = per_case.get(case.pk, (case, line.entry.entry_on.month, ZERO))
        per_case[case.pk] = (case, month, so_far + amount)
    cases = [
        CaseLine(
            category=str(HardshipCase.Category(case.category).label),
            month=month,
            amount=amount,
            summary=str(CASE_SENTENCES[HardshipCase.Category(case.category)]),
        )
        for case, month, amount in sorted(per_case.values(), key=lambda t: (t[1], t[0].pk))
        if amount != 0
    ]
    donors, donations_count = _donor_lines(year)
    decisions = CaseDecision.objects.filter(decided_on__gte=start, decided_on__lte=end).aggregate(
        approved=Count("pk", filter=Q(outcome=CaseDecision.Outcome.APPROVED)),
        refused=Count("pk", filter=Q(outcome=CaseDecision.Outcome.REFUSED)),
    )
    opening = ledger.account_balance(ledger.FUND_BANK, on=date(year - 1, 12, 31)) if year > 1 else ZERO
    return AnnualReport(
        year=year,
        rules=tuple(str(rule) for rule in FUND_RULES),
        opening_balance=opening,
        money_raised=ledger.account_movement(ledger.DONATIONS_INCOME, start=start, end=end),
        grants_paid=ledger.account_movement(ledger.GRANTS_EXPENSE, start=start, end=end),
        grants_returned=ledger.account_movement(ledger.GRANT_RETURNS, start=start, end=end),
        closing_balance=ledger.account_balance(ledger.FUND_BANK, on=end),
        donations_count=donations_count,
        cases_received=HardshipCase.objects.filter(submitted_on__gte=start, submitted_on__lte=end).count(),
        cases_approved=decisions["approved"] or 0,
        cases_refused=decisions["refused"] or 0,
        grants_by_category=[(str(HardshipCase.Category(c).label), v) for c, v in by_category.items()],
        grants_by_month=[(_("%(m)d月") % {"m": m}, v) for m, v in by_month.items()],
        cases=cases,
        donors=donors,
    )


def report_years() -> list[int]:
    """Years with any ledger entry, newest first."""
    years = {d.year for d in JournalLine.objects.values_list("entry__entry_on", flat=True).distinct()}
    return sorted(years, reverse=True)
