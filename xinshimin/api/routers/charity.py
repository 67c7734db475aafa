"""API endpoints of the charity fund (爱心基金), mounted at /api/charity/.

Cases are visible as in the web pages (selectors decide); every write goes through the services, whose
``DomainError`` the API maps to 403/404/409/422. The annual report is public (no login).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xinshimin.accounts.access import require
from xinshimin.accounts.models import User
from xinshimin.api.pagination import LimitOffsetPagination
from xinshimin.charity import ledger, selectors, services
from xinshimin.charity.access import can_manage_fund, can_read_fund
from xinshimin.charity.models import Account, Donation, HardshipCase, JournalEntry
from xinshimin.charity.report import annual_report
from xinshimin.core.errors import NotFound, PermissionDenied, ValidationFailed
from xinshimin.residents.selectors import resident_find_by_id_number, resident_for_user

router = Router(tags=["charity"])


class CaseOut(Schema):
    id: int
    number: str
    applicant_masked: str
    category: str
    amount_requested: Decimal
    status: str
    is_urgent: bool
    priority_employer: bool
    priority_donor: bool
    channel: str
    submitted_on: dt.date
    due_on: dt.date
    decided_on: dt.date | None
    amount_approved: Decimal | None
    letter_due_on: dt.date | None
    letter_delivered_on: dt.date | None

    @staticmethod
    def resolve_applicant_masked(obj: HardshipCase) -> str:
        return obj.applicant.masked_name


class CaseIn(Schema):
    category: Literal["illness", "accident", "disaster", "family_hardship", "other"]
    amount_requested: Decimal
    description: str
    is_urgent: bool = False


class AssignIn(Schema):
    verifier_ids: list[int]


class VerificationIn(Schema):
    checked: str
    found: str
    finding: Literal["confirmed", "partly", "not_confirmed"]


class CaseDecisionIn(Schema):
    outcome: Literal["approved", "refused"]
    reason: str
    amount_approved: Decimal | None = None


class EntryOut(Schema):
    number: str
    kind: str
    entry_on: dt.date
    memo: str


class DonationIn(Schema):
    donor_kind: Literal["resident", "employer", "organisation", "individual"]
    amount: Decimal
    donated_on: dt.date | None = None
    id_number: str = ""
    donor_name: str = ""
    consent_to_name: bool = False
    note: str = ""


class DonationOut(Schema):
    id: int
    receipt_number: str
    donor_kind: str
    amount: Decimal
    donated_on: dt.date
    consent_to_name: bool
    entry_number: str

    @staticmethod
    def resolve_entry_number(obj: Donation) -> str:
        return obj.entry.number


class BalanceOut(Schema):
    code: str
    name: str
    balance: Decimal


class LedgerOut(Schema):
    balanced: bool
    total_debit: Decimal
    total_credit: Decimal
    accounts: list[BalanceOut]


class AmountOut(Schema):
    label: str
    amount: Decimal


class CaseLineOut(Schema):
    category: str
    month: int
    amount: Decimal
    summary: str


class DonorOut(Schema):
    name: str
    kind: str
    count: int
    amount: Decimal


class ReportOut(Schema):
    year: int
    rules: list[str]
    opening_balance: Decimal
    money_raised: Decimal
    grants_paid: Decimal
    grants_returned: Decimal
    closing_balance: Decimal
    cases_received: int
    cases_approved: int
    cases_refused: int
    grants_by_category: list[AmountOut]
    grants_by_month: list[AmountOut]
    cases: list[CaseLineOut]
    donors: list[DonorOut]


def _case(request: HttpRequest, case_id: int) -> HardshipCase:
    return selectors.case_get(visible_to=request.user, pk=case_id)


@router.get("/cases", response=list[CaseOut])
@paginate(LimitOffsetPagination)
def list_cases(request: HttpRequest, status: str | None = None) -> QuerySet[HardshipCase]:
    """Cases the caller may see: the fund office all, a verifier their assignments, a resident their own."""
    return selectors.case_list(visible_to=request.user, status=status).order_by("-is_urgent", "due_on", "pk")


@router.post("/cases", response={201: CaseOut})
def submit_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    """A resident applies online (evidence files are uploaded through the web page)."""
    resident = resident_for_user(request.user)
    if resident is None:
        raise PermissionDenied(_("只有已关联居民档案的新市民可以在线申请。"))
    case = services.case_submit(actor=request.user, applicant=resident, **payload.dict())
    return Status(201, case)


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int) -> HardshipCase:
    return _case(request, case_id)


@router.post("/cases/{case_id}/verifiers", response=CaseOut)
def assign_verifiers(request: HttpRequest, case_id: int, payload: AssignIn) -> HardshipCase:
    case = _case(request, case_id)
    verifiers = list(User.objects.filter(pk__in=payload.verifier_ids))
    if len(verifiers) != len(set(payload.verifier_ids)):
        raise ValidationFailed(_("有核实人不存在，请核对用户编号。"), field="verifier_ids")
    services.verifiers_assign(actor=request.user, case=case, verifiers=verifiers)
    return _case(request, case_id)


@router.post("/cases/{case_id}/verifications", response=CaseOut)
def record_verification(request: HttpRequest, case_id: int, payload: VerificationIn) -> HardshipCase:
    case = _case(request, case_id)
    services.verification_record(actor=request.user, case=case, **payload.dict())
    return _case(request, case_id)


@router.post("/cases/{case_id}/decision", response=CaseOut)
def decide(request: HttpRequest, case_id: int, payload: CaseDecisionIn) -> HardshipCase:
    case = _case(request, case_id)
    services.case_decide(actor=request.user, case=case, **payload.dict())
    return _case(request, case_id)


@router.post("/cases/{case_id}/disbursement", response=EntryOut)
def disburse(request: HttpRequest, case_id: int) -> JournalEntry:
    return services.case_disburse(actor=request.user, case=_case(request, case_id))


@router.get("/donations", response=list[DonationOut])
@paginate(LimitOffsetPagination)
def list_donations(request: HttpRequest) -> QuerySet[Donation]:
    return selectors.donation_list(visible_to=request.user).order_by("-donated_on", "-pk")


@router.post("/donations", response={201: DonationOut})
def record_donation(request: HttpRequest, payload: DonationIn) -> Status[Any]:
    # Authorise before any lookup, so that nobody else can learn whether an ID number is registered.
    require(can_manage_fund(request.user), _("只有爱心基金办公室工作人员可以办理此项业务。"))
    resident = None
    if payload.donor_kind == "resident":
        resident = resident_find_by_id_number(payload.id_number)
        if resident is None:
            raise NotFound(_("没有找到该身份证号的新市民。"))
    donation = services.donation_record(
        actor=request.user,
        donor_kind=payload.donor_kind,
        amount=payload.amount,
        donated_on=payload.donated_on,
        resident=resident,
        donor_name=payload.donor_name,
        consent_to_name=payload.consent_to_name,
        note=payload.note,
    )
    return Status(201, donation)


@router.get("/ledger", response=LedgerOut)
def ledger_balances(request: HttpRequest) -> LedgerOut:
    if not can_read_fund(request.user):
        raise NotFound(_("未找到该记录，或您无权查看。"))
    trial = ledger.trial_balance()
    return LedgerOut(
        balanced=trial.ok,
        total_debit=trial.total_debit,
        total_credit=trial.total_credit,
        accounts=[
            BalanceOut(code=a.code, name=a.name, balance=a.balance) for a in Account.objects.order_by("pk")
        ],
    )


@router.get("/reports/{year}", response=ReportOut, auth=None)
def report(request: HttpRequest, year: int) -> ReportOut:
    """The annual public report (no login): the same figures as the public page and PDF."""
    if not 2012 <= year <= timezone.localdate().year:
        raise NotFound(_("没有该年度的报告。"))
    r = annual_report(year)
    return ReportOut(
        year=r.year,
        rules=list(r.rules),
        opening_balance=r.opening_balance,
        money_raised=r.money_raised,
        grants_paid=r.grants_paid,
        grants_returned=r.grants_returned,
        closing_balance=r.closing_balance,
        cases_received=r.cases_received,
        cases_approved=r.cases_approved,
        cases_refused=r.cases_refused,
        grants_by_category=[AmountOut(label=label, amount=v) for label, v in r.grants_by_category],
        grants_by_month=[AmountOut(label=label, amount=v) for label, v in r.grants_by_month],
        cases=[
            CaseLineOut(category=c.category, month=c.month, amount=c.amount, summary=c.summary)
            for c in r.cases
        ],
        donors=[DonorOut(name=d.name, kind=d.kind, count=d.count, amount=d.amount) for d in r.donors],
    )
