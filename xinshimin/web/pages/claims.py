"""Pages of the claims area (积分申报、异议、审核、窗口代办). Included under the "web" namespace.

Residents (``claims/…``): my claims, file a claim or a dispute, follow its timeline, supply evidence,
withdraw, ask for a recheck, my notices; anyone: look up a claim's status by reference code.
Reviewers (``review/…``): their department's queue with deadlines and filters, the review page with the
evidence and one form per decision. Window clerks (``window/…``): find a resident of their town, file on
their behalf (with consent) and print the receipt (HTML, or PDF).

Views are thin: selectors decide what the user may see (404 otherwise), services do and check the rest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.claims.entry import (
    DEFAULT_EMPTY_ROWS,
    columns_for,
    describe_value,
    rows_from_value,
    single_input,
    value_from_form,
)
from xinshimin.claims.items import ClaimableItem, claimable_item, claimable_items
from xinshimin.claims.models import Claim
from xinshimin.claims.selectors import (
    claim_get,
    claim_list,
    claim_public_status,
    claim_timeline,
    evidence_get,
    item_current_value,
    queue_counts,
)
from xinshimin.claims.selectors import review_queue as review_queue_rows
from xinshimin.claims.services import (
    EVIDENCE_DEFAULT_WORKING_DAYS,
    EVIDENCE_MAX_WORKING_DAYS,
    claim_approve,
    claim_file,
    claim_lapse_if_overdue,
    claim_recheck_deadline,
    claim_recheck_decide,
    claim_reject,
    claim_request_evidence,
    claim_request_recheck,
    claim_start_review,
    claim_supply_evidence,
    claim_withdraw,
    dispute_window_message,
    review_period_on,
)
from xinshimin.claims.throttle import lookup_blocked, lookup_failed
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.core.uploads import private_file_response
from xinshimin.notifications.services import notice_list, notices_mark_read
from xinshimin.residents.models import Resident
from xinshimin.residents.selectors import resident_for_user, resident_get, resident_list
from xinshimin.web.actions import act_then_redirect
from xinshimin.workdays.calendar import NoCalendarData

PAGE_SIZE = 50


# --- helpers -----------------------------------------------------------------------------------------


def _claim_or_404(request: HttpRequest, pk: int) -> Claim:
    try:
        claim = claim_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    return claim_lapse_if_overdue(claim=claim, today=timezone.localdate())


def _lapse_listed(rows: list[Claim], today: date) -> list[Claim]:
    """Lazily lapse the listed claims whose evidence deadline has passed (the daily task may lag)."""
    return [claim_lapse_if_overdue(claim=claim, today=today) for claim in rows]


def _item_or_none(code: str, today: date) -> ClaimableItem | None:
    try:
        return claimable_item(code, today)
    except DomainError:
        return None


def _current_points(resident: Resident, today: date) -> dict[str, Any]:
    """Points and explanation per item code for the item picker (empty if scoring is unavailable)."""
    from xinshimin.scoring.services import score_resident

    try:
        score = score_resident(resident=resident, as_of=today)
    except DomainError:
        return {}
    return {
        s.code: {"points": s.points, "explain": s.explain("zh"), "has_data": s.has_data} for s in score.items
    }


def _single_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value_inputs(item: ClaimableItem, *, value: Any = None, data: Any = None) -> dict[str, Any]:
    """The inputs of a value: one field, or rows of columns; prefilled from ``data`` (a posted form that
    failed) or else from ``value`` (an exchange value)."""
    columns = columns_for(item)
    if not columns:
        text = str(data.get("value", "")) if data is not None else _single_text(value)
        return {"single": single_input(item), "single_value": text, "columns": ()}
    if data is not None:
        count = int(data.get("rows", "") or 0) if str(data.get("rows", "")).isdigit() else 0
        rows = [{c.name: data.get(f"row-{i}-{c.name}", "") for c in columns} for i in range(min(count, 20))]
    else:
        rows = rows_from_value(item, value)
    rows += [{} for _ in range(DEFAULT_EMPTY_ROWS if data is None else 0)]
    return {
        "columns": columns,
        "rows": [
            {"index": i, "cells": [{"column": c, "value": row.get(c.name, "")} for c in columns]}
            for i, row in enumerate(rows)
        ],
        "row_count": len(rows),
    }


def _form_context(item: ClaimableItem, kind: str, current: Any, data: Any = None) -> dict[str, Any]:
    return {
        "item": item,
        "kind": kind,
        "kind_label": Claim.Kind(kind).label,
        "current_text": describe_value(item, current),
        **_value_inputs(item, value=current if kind == Claim.Kind.DISPUTE else None, data=data),
    }


def _items_context(resident: Resident, today: date) -> dict[str, Any]:
    points = _current_points(resident, today)
    period = review_period_on(today)
    rows = []
    for item in claimable_items(today):
        rows.append({"item": item, "score": points.get(item.code)})
    return {
        "resident": resident,
        "rows": rows,
        "period": period,
        "dispute_refusal": "" if period else dispute_window_message(today),
    }


def _file_claim(
    request: HttpRequest, *, resident: Resident, code: str, kind: str, window: bool
) -> HttpResponse:
    today = timezone.localdate()
    item = _item_or_none(code, today)
    if item is None or kind not in Claim.Kind.values:
        raise Http404
    current = item_current_value(resident, item, today) if item.field else None
    template = "web/claims/claim_form.html"
    base = {"resident": resident, "window": window}
    if request.method == "POST":
        try:
            value = value_from_form(item, request.POST)
            claim = claim_file(
                actor=request.user,
                resident=resident,
                kind=kind,
                item_code=item.code,
                value=value,
                statement=request.POST.get("statement", ""),
                files=request.FILES.getlist("evidence"),
                consent=request.POST.get("consent") == "on",
                today=today,
            )
        except DomainError as exc:
            context = {**base, **_form_context(item, kind, current, request.POST), "error": exc}
            context["statement"] = request.POST.get("statement", "")
            return render(request, template, context, status=422)
        messages.success(
            request,
            _("已受理，受理编号 %(reference)s，办理期限 %(due)s。")
            % {"reference": claim.reference, "due": claim.due_on},
        )
        if window:
            return redirect("web:window_receipt", pk=claim.pk)
        return redirect("web:claims_detail", pk=claim.pk)
    return render(request, template, {**base, **_form_context(item, kind, current)})


# --- residents ---------------------------------------------------------------------------------------


def _own_resident(request: HttpRequest) -> Resident:
    if not is_role(request.user, Role.RESIDENT):
        raise Http404
    resident = resident_for_user(request.user)
    if resident is None:
        raise Http404
    return resident


@login_required
def claims_my_list(request: HttpRequest) -> HttpResponse:
    """A resident's claims (newest first); staff are sent to their own lists."""
    if is_role(request.user, Role.REVIEWER):
        return redirect("web:review_queue")
    if is_role(request.user, Role.CLERK):
        return redirect("web:window_home")
    resident = resident_for_user(request.user) if is_role(request.user, Role.RESIDENT) else None
    today = timezone.localdate()
    rows = _lapse_listed(list(claim_list(visible_to=request.user, today=today)[:PAGE_SIZE]), today)
    return render(request, "web/claims/my_list.html", {"resident": resident, "claims": rows, "today": today})


@login_required
def claims_new(request: HttpRequest) -> HttpResponse:
    """Pick the item to claim or contest, with its current points and who reviews it."""
    resident = _own_resident(request)
    return render(request, "web/claims/pick_item.html", _items_context(resident, timezone.localdate()))


@login_required
def claims_new_form(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    resident = _own_resident(request)
    return _file_claim(request, resident=resident, code=code, kind=kind, window=False)


@login_required
def claims_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A claim with its timeline: the resident's, their town's window's, the department's, the centre's."""
    claim = _claim_or_404(request, pk)
    today = timezone.localdate()
    item = _item_or_none(claim.item_code, today)
    applicant = (is_role(request.user, Role.RESIDENT) and claim.resident.user_id == request.user.pk) or (
        is_role(request.user, Role.CLERK) and claim.resident.town_id == request.user.town_id  # type: ignore[union-attr]
    )
    try:
        recheck_until = claim_recheck_deadline(claim)
    except NoCalendarData:
        recheck_until = None
    context = {
        "claim": claim,
        "timeline": claim_timeline(claim, today=today),
        "proposed_text": describe_value(item, claim.proposed_value),
        "current_text": describe_value(item, claim.current_value),
        "approved_text": describe_value(item, claim.approved_value)
        if claim.approved_value is not None
        else "",
        "evidence": list(claim.evidence.all()),
        "applicant": applicant,
        "may_supply": applicant and claim.status == Claim.Status.EVIDENCE_REQUESTED,
        "may_withdraw": applicant
        and claim.status in (*Claim.REVIEWABLE_STATUSES, Claim.Status.EVIDENCE_REQUESTED),
        "may_recheck": applicant
        and claim.status in Claim.DECIDED_STATUSES
        and claim.recheck_requested_on is None
        and recheck_until is not None
        and today <= recheck_until,
        "recheck_until": recheck_until,
        "is_reviewer": is_role(request.user, Role.REVIEWER),
        "today": today,
    }
    return render(request, "web/claims/detail.html", context)


def _after_action(request: HttpRequest, claim_pk: int, action: Any, success: str) -> HttpResponse:
    return act_then_redirect(request, action, success=success, to="web:claims_detail", pk=claim_pk)


@login_required
@require_POST
def claims_supply(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    return _after_action(
        request,
        claim.pk,
        lambda: claim_supply_evidence(
            actor=request.user,
            claim=claim,
            files=request.FILES.getlist("evidence"),
            note=request.POST.get("note", ""),
        ),
        _("补充材料已提交。"),
    )


@login_required
@require_POST
def claims_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    return _after_action(
        request, claim.pk, lambda: claim_withdraw(actor=request.user, claim=claim), _("申报已撤回。")
    )


@login_required
@require_POST
def claims_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    return _after_action(
        request,
        claim.pk,
        lambda: claim_request_recheck(
            actor=request.user,
            claim=claim,
            reason=request.POST.get("reason", ""),
            files=request.FILES.getlist("evidence"),
        ),
        _("复核申请已提交。"),
    )


@login_required
def claims_notices(request: HttpRequest) -> HttpResponse:
    """The user's notices; POST marks them read (one, or all)."""
    if request.method == "POST":
        notice_id = request.POST.get("notice")
        notices_mark_read(
            user=request.user, notice_id=int(notice_id) if notice_id and notice_id.isdigit() else None
        )
        return redirect("web:claims_notices")
    rows = list(notice_list(user=request.user)[:PAGE_SIZE])
    return render(request, "web/claims/notices.html", {"notices": rows})


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def claims_track(request: HttpRequest) -> HttpResponse:
    """Public: a claim's status by reference code + the last 4 characters of the ID number (no personal
    data shown). Failed attempts are limited per address."""
    reference = (request.GET.get("reference") or "").strip()
    last4 = (request.GET.get("id_last4") or "").strip()
    context: dict[str, Any] = {"reference": reference, "id_last4": last4}
    status = 200
    if reference or last4:
        if lookup_blocked(_client(request)):
            context["error"] = _("查询失败次数过多，请 15 分钟后再试。")
            status = 429
        else:
            try:
                context["result"] = claim_public_status(reference=reference, id_last4=last4)
            except NotFound as exc:
                lookup_failed(_client(request))
                context["error"] = exc.message
                status = 404
    return render(request, "web/claims/track.html", context, status=status)


# --- reviewers ---------------------------------------------------------------------------------------


def _require_reviewer(request: HttpRequest) -> None:
    if not is_role(request.user, Role.REVIEWER):
        raise Http404


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """The department's queue: open claims by deadline, overdue highlighted; filters status/overdue/item."""
    _require_reviewer(request)
    today = timezone.localdate()
    status = request.GET.get("status") or "open"
    if status != "open" and status not in Claim.Status.values:
        status = "open"
    overdue = request.GET.get("overdue") == "1"
    item = request.GET.get("item") or None
    rows = list(
        review_queue_rows(reviewer=request.user, status=status, overdue=overdue, item=item, today=today)[:200]
    )
    rows = _lapse_listed(rows, today)
    context = {
        "claims": rows,
        "counts": queue_counts(reviewer=request.user, today=today),
        "status": status,
        "overdue": overdue,
        "item": item or "",
        "statuses": Claim.Status.choices,
        "items": [i for i in claimable_items(today) if i.department_code == request.user.department.code],  # type: ignore[union-attr]
        "today": today,
    }
    return render(request, "web/claims/review_queue.html", context)


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reviewer(request)
    claim = _claim_or_404(request, pk)
    today = timezone.localdate()
    item = _item_or_none(claim.item_code, today)
    context = {
        "claim": claim,
        "item": item,
        "timeline": claim_timeline(claim, today=today),
        "proposed_text": describe_value(item, claim.proposed_value),
        "current_text": describe_value(item, claim.current_value),
        "approved_text": describe_value(item, claim.approved_value)
        if claim.approved_value is not None
        else "",
        "evidence": list(claim.evidence.all()),
        "reasons": Claim.RejectReason.choices,
        "evidence_days": EVIDENCE_DEFAULT_WORKING_DAYS,
        "evidence_max_days": EVIDENCE_MAX_WORKING_DAYS,
        "may_decide": claim.status in Claim.REVIEWABLE_STATUSES,
        "may_recheck": claim.status == Claim.Status.RECHECK_REQUESTED
        and claim.decided_by_id != request.user.pk,
        "own_decision": claim.status == Claim.Status.RECHECK_REQUESTED
        and claim.decided_by_id == request.user.pk,
        "today": today,
    }
    if item is not None and item.field and (context["may_decide"] or context["may_recheck"]):
        context.update(_value_inputs(item, value=claim.approved_value or claim.proposed_value))
    return render(request, "web/claims/review_detail.html", context)


@login_required
def review_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponseBase:
    """Download one evidence file: reviewers of the claim's department only; as an attachment, nosniff."""
    try:
        evidence = evidence_get(visible_to=request.user, claim_pk=pk, pk=evidence_pk)
    except NotFound as exc:
        raise Http404 from exc
    return private_file_response(
        evidence.file_path, download_name=evidence.original_name, content_type=evidence.content_type
    )


def _review_action(request: HttpRequest, pk: int, success: str, action: Any) -> HttpResponse:
    _require_reviewer(request)
    claim = _claim_or_404(request, pk)
    try:
        action(claim)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:review_detail", pk=claim.pk)
    messages.success(request, success)
    return redirect("web:review_queue")


def _reviewed_value(request: HttpRequest, claim: Claim) -> Any:
    """The value the reviewer establishes, when they changed it (None = as claimed)."""
    if request.POST.get("adjust") != "on":
        return None
    item = claimable_item(claim.item_code, timezone.localdate())
    return value_from_form(item, request.POST)


@login_required
@require_POST
def review_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(
        request, pk, _("已开始审核。"), lambda claim: claim_start_review(actor=request.user, claim=claim)
    )


@login_required
@require_POST
def review_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(
        request,
        pk,
        _("已审核通过，积分已更新。"),
        lambda claim: claim_approve(
            actor=request.user,
            claim=claim,
            value=_reviewed_value(request, claim),
            note=request.POST.get("note", ""),
        ),
    )


@login_required
@require_POST
def review_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(
        request,
        pk,
        _("已作出不通过决定。"),
        lambda claim: claim_reject(
            actor=request.user,
            claim=claim,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        ),
    )


def _working_days(request: HttpRequest) -> int:
    text = request.POST.get("working_days", "") or str(EVIDENCE_DEFAULT_WORKING_DAYS)
    return int(text) if text.isdigit() else 0


@login_required
@require_POST
def review_request_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(
        request,
        pk,
        _("已通知申请人补充材料。"),
        lambda claim: claim_request_evidence(
            actor=request.user,
            claim=claim,
            note=request.POST.get("note", ""),
            working_days=_working_days(request),
        ),
    )


@login_required
@require_POST
def review_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(
        request,
        pk,
        _("复核决定已作出。"),
        lambda claim: claim_recheck_decide(
            actor=request.user,
            claim=claim,
            approve=request.POST.get("decision") == "approve",
            value=_reviewed_value(request, claim),
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        ),
    )


# --- window ------------------------------------------------------------------------------------------


def _require_clerk(request: HttpRequest) -> None:
    if not is_role(request.user, Role.CLERK):
        raise Http404


def _window_resident(request: HttpRequest, resident_pk: int) -> Resident:
    _require_clerk(request)
    try:
        return resident_get(visible_to=request.user, pk=resident_pk)  # a clerk sees their town only
    except NotFound as exc:
        raise Http404 from exc


@login_required
def window_home(request: HttpRequest) -> HttpResponse:
    """Find a resident of the clerk's town by full ID number, phone or permit number; recent filings."""
    _require_clerk(request)
    query = (request.GET.get("q") or "").strip()
    found: list[Resident] = []
    if query:
        try:
            found = list(resident_list(visible_to=request.user, search=query)[:20])
        except DomainError as exc:
            messages.error(request, exc.message)
    today = timezone.localdate()
    recent = list(claim_list(visible_to=request.user, today=today).order_by("-filed_at")[:30])
    return render(request, "web/claims/window_home.html", {"q": query, "found": found, "recent": recent})


@login_required
def window_pick(request: HttpRequest, resident_pk: int) -> HttpResponse:
    resident = _window_resident(request, resident_pk)
    context = _items_context(resident, timezone.localdate())
    context["window"] = True
    return render(request, "web/claims/pick_item.html", context)


@login_required
def window_new_form(request: HttpRequest, resident_pk: int, code: str, kind: str) -> HttpResponse:
    resident = _window_resident(request, resident_pk)
    return _file_claim(request, resident=resident, code=code, kind=kind, window=True)


def _receipt_claim(request: HttpRequest, pk: int) -> Claim:
    _require_clerk(request)
    return _claim_or_404(request, pk)


def _receipt_lines(claim: Claim) -> list[tuple[str, str]]:
    return [
        (_("受理编号"), claim.reference or ""),
        (_("申请人"), claim.resident.masked_name),
        (_("身份证号"), claim.resident.id_number_masked),
        (_("事项"), f"{claim.item_label}（{claim.get_kind_display()}）"),
        (_("审核部门"), claim.department.name),
        (_("受理日期"), str(claim.submitted_on)),
        (_("办理期限"), _("%(due)s 前（10 个工作日）") % {"due": claim.due_on}),
        (_("提交材料"), _("%(n)d 份") % {"n": claim.evidence.count()}),
        (_("受理窗口"), str(claim.resident.town)),
        (_("本人同意"), _("已确认") if claim.consent_recorded else _("—")),
    ]


@login_required
def window_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt (回执) of a window filing."""
    claim = _receipt_claim(request, pk)
    track_url = request.build_absolute_uri(reverse("web:claims_track"))
    return render(
        request,
        "web/claims/receipt.html",
        {"claim": claim, "lines": _receipt_lines(claim), "track_url": track_url},
    )


@login_required
def window_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same receipt as a PDF (``core.pdf``)."""
    from xinshimin.core.pdf import Heading, Paragraph, Table, render_pdf

    claim = _receipt_claim(request, pk)
    track_url = request.build_absolute_uri(reverse("web:claims_track"))
    pdf = render_pdf(
        title=_("瑞安市新市民积分申报受理回执"),
        blocks=[
            Table(
                header=(_("项目"), _("内容")), rows=[(a, b) for a, b in _receipt_lines(claim)], widths=(1, 3)
            ),
            Heading(_("查询办理进度"), level=2),
            Paragraph(
                _("凭受理编号和身份证号后四位，在 %(url)s 查询办理进度；办理结果将以短信和站内通知告知。")
                % {"url": track_url}
            ),
            Paragraph(_("瑞安市新居民服务中心 · 电话 0577-66887305"), small=True),
        ],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{claim.reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path("claims/", claims_my_list, name="claims_my_list"),
    path("claims/new/", claims_new, name="claims_new"),
    path("claims/new/<str:code>/<str:kind>/", claims_new_form, name="claims_new_form"),
    path("claims/notices/", claims_notices, name="claims_notices"),
    path("claims/track/", claims_track, name="claims_track"),
    path("claims/<int:pk>/", claims_detail, name="claims_detail"),
    path("claims/<int:pk>/supply/", claims_supply, name="claims_supply"),
    path("claims/<int:pk>/withdraw/", claims_withdraw, name="claims_withdraw"),
    path("claims/<int:pk>/recheck/", claims_recheck, name="claims_recheck"),
    path("review/", review_queue, name="review_queue"),
    path("review/<int:pk>/", review_detail, name="review_detail"),
    path("review/<int:pk>/evidence/<int:evidence_pk>/", review_evidence, name="review_evidence"),
    path("review/<int:pk>/start/", review_start, name="review_start"),
    path("review/<int:pk>/approve/", review_approve, name="review_approve"),
    path("review/<int:pk>/reject/", review_reject, name="review_reject"),
    path("review/<int:pk>/request-evidence/", review_request_evidence, name="review_request_evidence"),
    path("review/<int:pk>/recheck/", review_recheck, name="review_recheck"),
    path("window/", window_home, name="window_home"),
    path("window/residents/<int:resident_pk>/", window_pick, name="window_pick"),
    path(
        "window/residents/<int:resident_pk>/new/<str:code>/<str:kind>/",
        window_new_form,
        name="window_new_form",
    ),
    path("window/claims/<int:pk>/receipt/", window_receipt, name="window_receipt"),
    path("window/claims/<int:pk>/receipt.pdf", window_receipt_pdf, name="window_receipt_pdf"),
]
