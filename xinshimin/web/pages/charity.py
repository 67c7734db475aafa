"""Pages of the charity fund (爱心基金). Included by xinshimin/web/urls.py under the "web" namespace.

Public: the annual report (page and PDF). Residents: apply, my cases, the refusal letter. Window clerks:
apply on a resident's behalf. Verifiers: their assignments. The fund office: the case queue, case detail
with verification and decision, the ledger, donations and receipts.
Views are thin: selectors decide what a user may see (404 otherwise), services decide what they may do.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role, User
from xinshimin.charity import documents, ledger, selectors, services
from xinshimin.charity.access import (
    can_be_verifier,
    can_manage_fund,
    can_read_fund,
    is_applicant,
    is_assigned,
)
from xinshimin.charity.models import ZERO, Account, CaseDecision, Donation, HardshipCase, Verification
from xinshimin.charity.report import annual_report, report_years
from xinshimin.core import uploads
from xinshimin.core.charts import bar_chart_svg, line_chart_svg
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.residents.selectors import resident_find_by_id_number, resident_for_user
from xinshimin.web.actions import act_then_redirect

# --- forms (parsing only; the rules are in the services) ----------------------------------------------


class ApplyForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("困难类别"), choices=HardshipCase.Category.choices)
    amount_requested = forms.CharField(label=gettext_lazy("申请金额（元）"), max_length=20)
    description = forms.CharField(
        label=gettext_lazy("困难情况说明"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=2000,
        help_text=gettext_lazy("请说明发生了什么、目前的困难和需要的帮助（至少10个字）。"),
    )
    is_urgent = forms.BooleanField(label=gettext_lazy("情况紧急，申请急事急办"), required=False)


class WindowApplyForm(ApplyForm):
    consent = forms.BooleanField(label=gettext_lazy("申请人本人同意由窗口工作人员代为提交"), required=False)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("决定"), choices=CaseDecision.Outcome.choices)
    amount_approved = forms.CharField(label=gettext_lazy("批准金额（元）"), required=False, max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("决定理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("不予救助时，理由即为送达申请人的书面解释。"),
    )


class VerificationForm(forms.Form):
    checked = forms.CharField(label=gettext_lazy("核实了什么"), widget=forms.Textarea(attrs={"rows": 3}))
    found = forms.CharField(label=gettext_lazy("核实结果"), widget=forms.Textarea(attrs={"rows": 3}))
    finding = forms.ChoiceField(label=gettext_lazy("结论"), choices=Verification.Finding.choices)


class DonationForm(forms.Form):
    donor_kind = forms.ChoiceField(label=gettext_lazy("捐赠人类型"), choices=Donation.DonorKind.choices)
    id_number = forms.CharField(
        label=gettext_lazy("新市民身份证号"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("新市民捐赠时填写。"),
    )
    donor_name = forms.CharField(
        label=gettext_lazy("捐赠人或单位名称"),
        required=False,
        max_length=128,
        help_text=gettext_lazy("单位或其他个人捐赠时填写。"),
    )
    amount = forms.CharField(label=gettext_lazy("金额（元）"), max_length=20)
    donated_on = forms.DateField(
        label=gettext_lazy("捐赠日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    consent_to_name = forms.BooleanField(label=gettext_lazy("同意在年度报告中具名"), required=False)
    note = forms.CharField(label=gettext_lazy("备注"), required=False, max_length=200)


def _add_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _today() -> date:
    return timezone.localdate()


def _case_or_404(request: HttpRequest, pk: int) -> HardshipCase:
    try:
        return selectors.case_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


# --- public report -----------------------------------------------------------------------------------


def report_index(request: HttpRequest) -> HttpResponse:
    years = report_years()
    this_year = _today().year
    if this_year not in years:
        years = [this_year, *years]
    return render(request, "web/charity/report_index.html", {"years": years})


def report_page(request: HttpRequest, year: int) -> HttpResponse:
    if not 2012 <= year <= _today().year:
        raise Http404
    report = annual_report(year)
    charts = {
        "category": bar_chart_svg(
            [(label, max(v, ZERO)) for label, v in report.grants_by_category],
            title=_("%(y)d 年救助金按类别") % {"y": year},
            unit=_("元"),
        ),
        "month": line_chart_svg(
            [(label, max(v, ZERO)) for label, v in report.grants_by_month],
            title=_("%(y)d 年救助金按月份") % {"y": year},
            unit=_("元"),
        ),
    }
    return render(request, "web/charity/report.html", {"report": report, "charts": charts, "year": year})


def report_pdf(request: HttpRequest, year: int) -> HttpResponse:
    if not 2012 <= year <= _today().year:
        raise Http404
    return _pdf_response(documents.report_pdf(annual_report(year)), f"aixin-jijin-{year}.pdf", inline=True)


def _pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- residents and windows ---------------------------------------------------------------------------


@login_required
def case_apply(request: HttpRequest) -> HttpResponse:
    resident = resident_for_user(request.user)
    if resident is None or not is_role(request.user, Role.RESIDENT):
        raise Http404
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_submit(
                actor=request.user,
                applicant=resident,
                evidence=request.FILES.getlist("evidence"),
                **form.cleaned_data,
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("申请已提交（编号 %(n)s），我们将在 %(d)s 前答复。") % {"n": case.number, "d": case.due_on},
            )
            return redirect("web:charity_case_detail", pk=case.pk)
    return render(
        request,
        "web/charity/case_apply.html",
        {"form": form, "resident": resident, "upload_max": uploads.MAX_FILES},
    )


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    if not is_role(request.user, Role.RESIDENT):
        raise Http404
    cases = selectors.case_list(visible_to=request.user).filter(
        applicant__user_id=cast(User, request.user).pk
    )
    donations = selectors.donation_list(visible_to=request.user)
    return render(
        request,
        "web/charity/my_cases.html",
        {"cases": cases.order_by("-submitted_at"), "donations": donations},
    )


@login_required
def window_apply(request: HttpRequest) -> HttpResponse:
    """A window clerk files for a resident of their town (found by full ID number), with their consent."""
    if not is_role(request.user, Role.CLERK):
        raise Http404
    term = (request.POST.get("q") or request.GET.get("q") or "").strip()
    resident = None
    if term:
        found = resident_find_by_id_number(term)
        resident = found if found is not None and found.town_id == request.user.town_id else None  # type: ignore[union-attr]
        if resident is None:
            messages.error(request, _("本乡镇街道没有找到该身份证号的新市民，请核对后重新输入。"))
    form = WindowApplyForm(request.POST if request.method == "POST" and resident else None)
    if request.method == "POST" and resident is not None and form.is_valid():
        try:
            case = services.case_submit(
                actor=request.user,
                applicant=resident,
                evidence=request.FILES.getlist("evidence"),
                **form.cleaned_data,
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已代为提交申请，编号 %(n)s。") % {"n": case.number})
            return redirect("web:charity_case_detail", pk=case.pk)
    return render(
        request,
        "web/charity/window_apply.html",
        {"form": form, "resident": resident, "q": term, "upload_max": uploads.MAX_FILES},
    )


# --- a case ------------------------------------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    user = request.user
    today = _today()
    staff_view = can_read_fund(user) or is_assigned(user, case)
    context: dict[str, Any] = {
        "case": case,
        "today": today,
        "is_applicant": is_applicant(user, case),
        "staff_view": staff_view,
        "can_manage": can_manage_fund(user),
        "overdue": case.is_overdue(today),
    }
    if staff_view:
        context.update(
            assignments=case.assignments.select_related("verifier", "verification").order_by("pk"),
            evidence=case.evidence.all(),
            decision=CaseDecision.objects.filter(case=case).first(),
            entries=case.journal_entries.prefetch_related("lines__account").order_by("entry_on", "pk"),
            my_assignment=case.assignments.filter(verifier_id=user.pk, verification__isnull=True).first(),
            verification_form=VerificationForm(),
            permit=case.applicant.current_permit(today),
        )
    if can_manage_fund(user):
        context.update(
            candidates=selectors.verifier_candidates(case),
            decision_form=DecisionForm(initial={"amount_approved": case.amount_requested}),
            decision_ready=selectors.decision_ready(case),
            letter_methods=HardshipCase.LetterMethod.choices,
        )
    return render(request, "web/charity/case_detail.html", context)


def _act(request: HttpRequest, case: HardshipCase, action: Any, success: str) -> HttpResponse:
    return act_then_redirect(request, action, success=success, to="web:charity_case_detail", pk=case.pk)


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    ids = [v for v in request.POST.getlist("verifiers") if v.isdigit()]
    verifiers = list(User.objects.filter(pk__in=ids))
    return _act(
        request,
        case,
        lambda: services.verifiers_assign(actor=request.user, case=case, verifiers=verifiers),
        _("已指派核实人。"),
    )


@login_required
@require_POST
def case_verify(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = VerificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写核实内容、核实结果并选择结论。"))
        return redirect("web:charity_case_detail", pk=case.pk)
    return _act(
        request,
        case,
        lambda: services.verification_record(actor=request.user, case=case, **form.cleaned_data),
        _("核实情况已记录。"),
    )


@login_required
@require_POST
def case_decide(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择决定并填写理由。"))
        return redirect("web:charity_case_detail", pk=case.pk)
    data = form.cleaned_data
    return _act(
        request,
        case,
        lambda: services.case_decide(
            actor=request.user,
            case=case,
            outcome=data["outcome"],
            reason=data["reason"],
            amount_approved=data["amount_approved"] or None,
        ),
        _("决定已记录。"),
    )


@login_required
@require_POST
def case_urgent(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    value = request.POST.get("is_urgent") == "1"
    return _act(
        request,
        case,
        lambda: services.case_set_urgent(actor=request.user, case=case, is_urgent=value),
        _("已更新。"),
    )


@login_required
@require_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return _act(
        request, case, lambda: services.case_withdraw(actor=request.user, case=case), _("申请已撤回。")
    )


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    files = request.FILES.getlist("evidence")
    return _act(
        request,
        case,
        lambda: services.evidence_add(actor=request.user, case=case, files=files),
        _("证明材料已上传。"),
    )


@login_required
@require_POST
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """A verifier declares their own conflict with the applicant (from the case page)."""
    case = _case_or_404(request, pk)
    _require(can_be_verifier(request.user))
    reason = request.POST.get("reason", "")
    return _act(
        request,
        case,
        lambda: services.conflict_declare(
            actor=request.user, user=cast(User, request.user), resident=case.applicant, reason=reason
        ),
        _("利益冲突已登记，您不再担任该申请的核实人。"),
    )


@login_required
@require_POST
def letter_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        delivered_on = date.fromisoformat(request.POST.get("delivered_on", ""))
    except ValueError:
        messages.error(request, _("请填写送达日期。"))
        return redirect("web:charity_case_detail", pk=case.pk)
    method = request.POST.get("method", "")
    return _act(
        request,
        case,
        lambda: services.letter_deliver(
            actor=request.user, case=case, delivered_on=delivered_on, method=method
        ),
        _("已记录书面解释送达。"),
    )


@login_required
@require_POST
def case_disburse(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return _act(
        request,
        case,
        lambda: services.case_disburse(actor=request.user, case=case),
        _("救助金已发放并记账。"),
    )


@login_required
@require_POST
def grant_return(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    amount, note = request.POST.get("amount", ""), request.POST.get("note", "")
    return _act(
        request,
        case,
        lambda: services.grant_return_record(actor=request.user, case=case, amount=amount, note=note),
        _("救助款退回已记账。"),
    )


@login_required
def refusal_letter(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    _require(
        case.status == HardshipCase.Status.REFUSED
        and (is_applicant(request.user, case) or can_read_fund(request.user))
    )
    return render(
        request,
        "web/charity/letter.html",
        {"case": case, "issuer": documents.ISSUER, "contact": documents.OFFICE_CONTACT},
    )


@login_required
def refusal_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    _require(
        case.status == HardshipCase.Status.REFUSED
        and (is_applicant(request.user, case) or can_read_fund(request.user))
    )
    return _pdf_response(documents.refusal_letter_pdf(case), f"{case.number}-letter.pdf")


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        item = selectors.evidence_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    return uploads.private_file_response(
        item.stored_name, download_name=item.original_name, content_type=item.content_type
    )


# --- fund office -------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    _require(can_read_fund(request.user))
    only = request.GET.get("only", "open")
    if only not in ("open", "overdue", "letters", "all"):
        only = "open"
    today = _today()
    rows = selectors.case_queue(visible_to=request.user, today=today, only=only)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/charity/case_list.html",
        {"page": page, "only": only, "today": today, "counts": selectors.case_counts(today=today)},
    )


@login_required
def my_verifications(request: HttpRequest) -> HttpResponse:
    _require(can_be_verifier(request.user))
    return render(
        request,
        "web/charity/my_verifications.html",
        {"assignments": selectors.assignments_pending(user=request.user)},
    )


@login_required
def ledger_view(request: HttpRequest) -> HttpResponse:
    _require(can_read_fund(request.user))
    entries = selectors.entry_list(visible_to=request.user).order_by("-entry_on", "-pk")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/charity/ledger.html",
        {"page": page, "trial": ledger.trial_balance(), "accounts": Account.objects.order_by("pk")},
    )


@login_required
@require_POST
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        entry = selectors.entry_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    try:
        reversal = services.entry_reverse(
            actor=request.user, entry=entry, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已生成冲销凭证 %(n)s。") % {"n": reversal.number})
    return redirect("web:charity_ledger")


@login_required
def donation_list(request: HttpRequest) -> HttpResponse:
    _require(can_read_fund(request.user))
    page = Paginator(
        selectors.donation_list(visible_to=request.user).order_by("-donated_on", "-pk"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "web/charity/donation_list.html", {"page": page})


@login_required
def donation_create(request: HttpRequest) -> HttpResponse:
    _require(can_manage_fund(request.user))
    form = DonationForm(request.POST or None, initial={"donated_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = None
        if data["donor_kind"] == Donation.DonorKind.RESIDENT:
            resident = resident_find_by_id_number(data["id_number"] or "")
            if resident is None:
                form.add_error("id_number", _("没有找到该身份证号的新市民，请核对后重新输入。"))
        if form.is_valid():
            try:
                donation = services.donation_record(
                    actor=request.user,
                    donor_kind=data["donor_kind"],
                    resident=resident,
                    donor_name=data["donor_name"],
                    amount=data["amount"],
                    donated_on=data["donated_on"],
                    consent_to_name=data["consent_to_name"],
                    note=data["note"],
                )
            except DomainError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, _("已登记捐赠，收据编号 %(n)s。") % {"n": donation.receipt_number})
                return redirect("web:charity_donation_receipt", pk=donation.pk)
    return render(request, "web/charity/donation_form.html", {"form": form})


def _donation_or_404(request: HttpRequest, pk: int) -> Donation:
    try:
        return selectors.donation_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def donation_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    donation = _donation_or_404(request, pk)
    return render(request, "web/charity/receipt.html", {"donation": donation, "issuer": documents.ISSUER})


@login_required
def donation_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    donation = _donation_or_404(request, pk)
    return _pdf_response(documents.receipt_pdf(donation), f"{donation.receipt_number}.pdf")


urlpatterns = [
    path("charity/report/", report_index, name="charity_report_index"),
    path("charity/report/<int:year>/", report_page, name="charity_report"),
    path("charity/report/<int:year>.pdf", report_pdf, name="charity_report_pdf"),
    path("charity/apply/", case_apply, name="charity_case_apply"),
    path("charity/window/", window_apply, name="charity_window_apply"),
    path("charity/my/", my_cases, name="charity_my_cases"),
    path("charity/verifications/", my_verifications, name="charity_my_verifications"),
    path("charity/cases/", case_list, name="charity_case_list"),
    path("charity/cases/<int:pk>/", case_detail, name="charity_case_detail"),
    path("charity/cases/<int:pk>/assign/", case_assign, name="charity_case_assign"),
    path("charity/cases/<int:pk>/verify/", case_verify, name="charity_case_verify"),
    path("charity/cases/<int:pk>/decide/", case_decide, name="charity_case_decide"),
    path("charity/cases/<int:pk>/urgent/", case_urgent, name="charity_case_urgent"),
    path("charity/cases/<int:pk>/withdraw/", case_withdraw, name="charity_case_withdraw"),
    path("charity/cases/<int:pk>/evidence/", evidence_add, name="charity_evidence_add"),
    path("charity/cases/<int:pk>/conflict/", conflict_declare, name="charity_conflict_declare"),
    path("charity/cases/<int:pk>/letter/", refusal_letter, name="charity_refusal_letter"),
    path("charity/cases/<int:pk>/letter.pdf", refusal_letter_pdf, name="charity_refusal_letter_pdf"),
    path("charity/cases/<int:pk>/letter/deliver/", letter_deliver, name="charity_letter_deliver"),
    path("charity/cases/<int:pk>/disburse/", case_disburse, name="charity_case_disburse"),
    path("charity/cases/<int:pk>/return/", grant_return, name="charity_grant_return"),
    path("charity/evidence/<int:pk>/", evidence_download, name="charity_evidence_download"),
    path("charity/ledger/", ledger_view, name="charity_ledger"),
    path("charity/ledger/<int:pk>/reverse/", entry_reverse, name="charity_entry_reverse"),
    path("charity/donations/", donation_list, name="charity_donation_list"),
    path("charity/donations/new/", donation_create, name="charity_donation_create"),
    path("charity/donations/<int:pk>/receipt/", donation_receipt, name="charity_donation_receipt"),
    path("charity/donations/<int:pk>/receipt.pdf", donation_receipt_pdf, name="charity_donation_receipt_pdf"),
]
