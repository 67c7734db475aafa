"""Pages of the integrity area (抽查审核、违规处理). Included by xinshimin/web/urls.py under the "web" namespace.

Auditors and the centre: audit plans, draws (with the seed and a re-check of the draw), samples with the
subject's details and evidence, findings, sanction proposals; the centre's queue of proposals made by
others, active bans, recoveries (payments, write-off). Residents: the decision letter (page and PDF).
Views are thin: selectors decide what a user may see (404 otherwise), services decide what they may do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinshimin.accounts.models import Department
from xinshimin.core import uploads
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.integrity import documents, selectors, services
from xinshimin.integrity.access import (
    can_audit,
    can_decide_sanction,
    can_manage_recoveries,
    can_read_integrity,
    is_sanctioned_resident,
)
from xinshimin.integrity.models import AuditPlan, AuditSample, Recovery, Sanction
from xinshimin.integrity.sampling import ALGORITHM
from xinshimin.scenes.models import Scene
from xinshimin.web.actions import act_then_redirect

# --- helpers -----------------------------------------------------------------------------------------

T = TypeVar("T")


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _or_404(fetch: Callable[[], T]) -> T:
    try:
        return fetch()
    except NotFound as exc:
        raise Http404 from exc


def _act(request: HttpRequest, action: Any, success: str, to: str, **kwargs: Any) -> HttpResponse:
    return act_then_redirect(request, action, success=success, to=to, **kwargs)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _value_text(value: Any) -> str:
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False)


# --- auditors: plans and draws -----------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The auditor's start page: plans (and a form for a new one), samples waiting for a finding."""
    _require(can_read_integrity(request.user))
    from xinshimin.claims.items import claimable_items

    plans = selectors.plans_visible_to(request.user)
    pending = (
        selectors.samples_visible_to(request.user)
        .filter(finding=AuditSample.Finding.PENDING)
        .order_by("draw__created_at", "position")[:50]
    )
    return render(
        request,
        "web/integrity/home.html",
        {
            "plans": Paginator(plans, 30).get_page(request.GET.get("page")),
            "pending": pending,
            "numbers": selectors.workbench_numbers(request.user),
            "may_audit": can_audit(request.user),
            "targets": AuditPlan.Target.choices,
            "items": claimable_items(timezone.localdate()),
            "departments": Department.objects.order_by("code"),
            "scenes": Scene.objects.order_by("-year", "code"),
        },
    )


@login_required
@require_POST
def plan_create(request: HttpRequest) -> HttpResponse:
    _require(can_audit(request.user))
    post = request.POST
    department_id, scene_id = post.get("department", ""), post.get("scene", "")
    department = Department.objects.filter(pk=int(department_id)).first() if department_id.isdigit() else None
    scene = Scene.objects.filter(pk=int(scene_id)).first() if scene_id.isdigit() else None
    try:
        plan = services.audit_plan_create(
            actor=request.user,
            name=post.get("name", ""),
            target=post.get("target", ""),
            rate=post.get("rate", ""),
            item_code=post.get("item_code", ""),
            department=department,
            period_from=_date(post.get("period_from", "")),
            period_to=_date(post.get("period_to", "")),
            scene=scene,
            note=post.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:integrity_home")
    messages.success(request, _("抽查计划已创建。"))
    return redirect("web:integrity_plan_detail", pk=plan.pk)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _or_404(lambda: selectors.plan_get(visible_to=request.user, pk=pk))
    return render(
        request,
        "web/integrity/plan_detail.html",
        {
            "plan": plan,
            "draws": plan.draws.select_related("created_by").order_by("-created_at"),
            "population": len(services.plan_population(plan)),
            "may_audit": can_audit(request.user),
        },
    )


@login_required
@require_POST
def plan_draw(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _or_404(lambda: selectors.plan_get(visible_to=request.user, pk=pk))
    try:
        draw = services.audit_draw_create(actor=request.user, plan=plan)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:integrity_plan_detail", pk=plan.pk)
    messages.success(
        request,
        _("已抽取 %(n)d 件（总体 %(total)d 件）。") % {"n": draw.sample_size, "total": draw.population_count},
    )
    return redirect("web:integrity_draw_detail", pk=draw.pk)


@login_required
@require_POST
def plan_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _or_404(lambda: selectors.plan_get(visible_to=request.user, pk=pk))
    active = request.POST.get("active") == "1"
    return _act(
        request,
        lambda: services.audit_plan_set_active(actor=request.user, plan=plan, active=active),
        _("计划已启用。") if active else _("计划已停用。"),
        "web:integrity_plan_detail",
        pk=plan.pk,
    )


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draw = _or_404(lambda: selectors.draw_get(visible_to=request.user, pk=pk))
    return render(
        request,
        "web/integrity/draw_detail.html",
        {
            "draw": draw,
            "samples": selectors.draw_samples(draw),
            "reproduces": selectors.draw_reproduces(draw),
            "algorithm": ALGORITHM,
        },
    )


# --- samples and findings ----------------------------------------------------------------------------


@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _or_404(lambda: selectors.sample_get(visible_to=request.user, pk=pk))
    claim = sample.claim
    context: dict[str, Any] = {
        "sample": sample,
        "claim": claim,
        "application": sample.application,
        "evidence": list(sample.evidence.order_by("uploaded_at")),
        "claim_evidence": list(claim.evidence.order_by("uploaded_at")) if claim is not None else [],
        "findings": [c for c in AuditSample.Finding.choices if c[0] != AuditSample.Finding.PENDING],
        "sanctions": list(
            sample.sanctions.select_related("proposed_by", "decided_by").order_by("-proposed_at")
        ),
        "may_audit": can_audit(request.user),
    }
    if claim is not None:
        context["proposed_text"] = _value_text(claim.proposed_value)
        context["approved_text"] = _value_text(claim.approved_value)
        context["current_text"] = _value_text(claim.current_value)
    context["may_propose"] = (
        can_audit(request.user)
        and sample.finding == AuditSample.Finding.FRAUD_SUSPECTED
        and not any(s.status != Sanction.Status.REJECTED for s in context["sanctions"])
    )
    return render(request, "web/integrity/sample_detail.html", context)


@login_required
@require_POST
def sample_finding(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _or_404(lambda: selectors.sample_get(visible_to=request.user, pk=pk))
    return _act(
        request,
        lambda: services.sample_record_finding(
            actor=request.user,
            sample=sample,
            finding=request.POST.get("finding", ""),
            note=request.POST.get("note", ""),
            files=uploads.check_upload_count(request.FILES.getlist("evidence")),
        ),
        _("核查结论已记录。"),
        "web:integrity_sample_detail",
        pk=sample.pk,
    )


@login_required
@require_POST
def sample_propose(request: HttpRequest, pk: int) -> HttpResponse:
    sample = _or_404(lambda: selectors.sample_get(visible_to=request.user, pk=pk))
    try:
        sanction = services.sanction_propose(
            actor=request.user, sample=sample, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:integrity_sample_detail", pk=sample.pk)
    messages.success(request, _("违规处理建议已提出，须由另一名服务中心管理员或审计员审批。"))
    return redirect("web:integrity_sanction_detail", pk=sanction.pk)


@login_required
def sample_claim_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponseBase:
    sample = _or_404(lambda: selectors.sample_get(visible_to=request.user, pk=pk))
    item = _or_404(
        lambda: selectors.sample_claim_evidence_get(visible_to=request.user, sample=sample, pk=evidence_pk)
    )
    return uploads.private_file_response(
        item.file_path, download_name=item.original_name, content_type=item.content_type
    )


@login_required
def finding_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = _or_404(lambda: selectors.finding_evidence_get(visible_to=request.user, pk=pk))
    return uploads.private_file_response(
        item.file_path, download_name=item.original_name, content_type=item.content_type
    )


# --- sanctions ---------------------------------------------------------------------------------------


@login_required
def sanction_list(request: HttpRequest) -> HttpResponse:
    _require(can_read_integrity(request.user))
    status = request.GET.get("status", "")
    rows = selectors.sanctions_visible_to(request.user)
    if status in Sanction.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "web/integrity/sanction_list.html",
        {
            "to_decide": selectors.sanctions_to_decide(user=request.user),
            "page": Paginator(rows, 30).get_page(request.GET.get("page")),
            "status": status,
            "statuses": Sanction.Status.choices,
        },
    )


@login_required
def sanction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _or_404(lambda: selectors.sanction_get(visible_to=request.user, pk=pk))
    _require(can_read_integrity(request.user))
    return render(
        request,
        "web/integrity/sanction_detail.html",
        {
            "sanction": sanction,
            "ban": getattr(sanction, "ban", None) if sanction.status == Sanction.Status.APPROVED else None,
            "recoveries": list(sanction.recoveries.order_by("pk")),
            "may_decide": sanction.status == Sanction.Status.PROPOSED
            and can_decide_sanction(request.user, sanction),
            "own_proposal": sanction.proposed_by_id == request.user.pk,
            "may_add_recovery": sanction.status == Sanction.Status.APPROVED
            and can_manage_recoveries(request.user),
        },
    )


@login_required
@require_POST
def sanction_approve(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _or_404(lambda: selectors.sanction_get(visible_to=request.user, pk=pk))
    _require(can_read_integrity(request.user))
    return _act(
        request,
        lambda: services.sanction_approve(
            actor=request.user, sanction=sanction, note=request.POST.get("note", "")
        ),
        _("违规处理已生效，已书面告知当事人。"),
        "web:integrity_sanction_detail",
        pk=sanction.pk,
    )


@login_required
@require_POST
def sanction_reject(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _or_404(lambda: selectors.sanction_get(visible_to=request.user, pk=pk))
    _require(can_read_integrity(request.user))
    return _act(
        request,
        lambda: services.sanction_reject(
            actor=request.user, sanction=sanction, note=request.POST.get("note", "")
        ),
        _("已不予批准。"),
        "web:integrity_sanction_detail",
        pk=sanction.pk,
    )


def _letter_sanction(request: HttpRequest, pk: int) -> Sanction:
    sanction = _or_404(lambda: selectors.sanction_get(visible_to=request.user, pk=pk))
    _require(
        sanction.status == Sanction.Status.APPROVED
        and (can_read_integrity(request.user) or is_sanctioned_resident(request.user, sanction))
    )
    return sanction


@login_required
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _letter_sanction(request, pk)
    return render(
        request,
        "web/integrity/letter.html",
        {"sanction": sanction, "letter": documents.sanction_letter(sanction)},
    )


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _letter_sanction(request, pk)
    response = HttpResponse(documents.sanction_letter_pdf(sanction), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sanction.reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def ban_list(request: HttpRequest) -> HttpResponse:
    _require(can_read_integrity(request.user))
    rows = selectors.bans_active(visible_to=request.user)
    return render(
        request,
        "web/integrity/ban_list.html",
        {"page": Paginator(rows, 50).get_page(request.GET.get("page")), "today": timezone.localdate()},
    )


# --- recoveries --------------------------------------------------------------------------------------


@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    _require(can_read_integrity(request.user))
    status = request.GET.get("status", "")
    rows = selectors.recoveries_visible_to(request.user)
    if status in Recovery.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "web/integrity/recovery_list.html",
        {
            "page": Paginator(rows, 30).get_page(request.GET.get("page")),
            "status": status,
            "statuses": Recovery.Status.choices,
        },
    )


@login_required
def recovery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_read_integrity(request.user))
    recovery = _or_404(lambda: selectors.recovery_get(visible_to=request.user, pk=pk))
    return render(
        request,
        "web/integrity/recovery_detail.html",
        {
            "recovery": recovery,
            "payments": recovery.payments.select_related("recorded_by").order_by("received_on", "pk"),
            "may_manage": can_manage_recoveries(request.user) and recovery.status == Recovery.Status.OPEN,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def recovery_payment(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_read_integrity(request.user))
    recovery = _or_404(lambda: selectors.recovery_get(visible_to=request.user, pk=pk))
    received_on = _date(request.POST.get("received_on", ""))
    if received_on is None:
        messages.error(request, _("请填写到账日期。"))
        return redirect("web:integrity_recovery_detail", pk=recovery.pk)
    return _act(
        request,
        lambda: services.recovery_payment_record(
            actor=request.user,
            recovery=recovery,
            amount=request.POST.get("amount", ""),
            received_on=received_on,
            reference=request.POST.get("reference", ""),
            note=request.POST.get("note", ""),
        ),
        _("到账已登记。"),
        "web:integrity_recovery_detail",
        pk=recovery.pk,
    )


@login_required
@require_POST
def recovery_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_read_integrity(request.user))
    recovery = _or_404(lambda: selectors.recovery_get(visible_to=request.user, pk=pk))
    return _act(
        request,
        lambda: services.recovery_write_off(
            actor=request.user, recovery=recovery, reason=request.POST.get("reason", "")
        ),
        _("已核销。"),
        "web:integrity_recovery_detail",
        pk=recovery.pk,
    )


@login_required
@require_POST
def recovery_create(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _or_404(lambda: selectors.sanction_get(visible_to=request.user, pk=pk))
    _require(can_read_integrity(request.user))
    return _act(
        request,
        lambda: services.recovery_create(
            actor=request.user,
            sanction=sanction,
            amount_due=request.POST.get("amount_due", ""),
            basis=request.POST.get("basis", ""),
        ),
        _("追回事项已登记。"),
        "web:integrity_sanction_detail",
        pk=sanction.pk,
    )


urlpatterns = [
    path("integrity/", home, name="integrity_home"),
    path("integrity/plans/new/", plan_create, name="integrity_plan_create"),
    path("integrity/plans/<int:pk>/", plan_detail, name="integrity_plan_detail"),
    path("integrity/plans/<int:pk>/draw/", plan_draw, name="integrity_plan_draw"),
    path("integrity/plans/<int:pk>/active/", plan_toggle, name="integrity_plan_toggle"),
    path("integrity/draws/<int:pk>/", draw_detail, name="integrity_draw_detail"),
    path("integrity/samples/<int:pk>/", sample_detail, name="integrity_sample_detail"),
    path("integrity/samples/<int:pk>/finding/", sample_finding, name="integrity_sample_finding"),
    path("integrity/samples/<int:pk>/propose/", sample_propose, name="integrity_sample_propose"),
    path(
        "integrity/samples/<int:pk>/claim-evidence/<int:evidence_pk>/",
        sample_claim_evidence,
        name="integrity_sample_claim_evidence",
    ),
    path("integrity/evidence/<int:pk>/", finding_evidence, name="integrity_finding_evidence"),
    path("integrity/sanctions/", sanction_list, name="integrity_sanction_list"),
    path("integrity/sanctions/<int:pk>/", sanction_detail, name="integrity_sanction_detail"),
    path("integrity/sanctions/<int:pk>/approve/", sanction_approve, name="integrity_sanction_approve"),
    path("integrity/sanctions/<int:pk>/reject/", sanction_reject, name="integrity_sanction_reject"),
    path("integrity/sanctions/<int:pk>/recoveries/new/", recovery_create, name="integrity_recovery_create"),
    path("integrity/sanctions/<int:pk>/letter/", letter, name="integrity_letter"),
    path("integrity/sanctions/<int:pk>/letter.pdf", letter_pdf, name="integrity_letter_pdf"),
    path("integrity/bans/", ban_list, name="integrity_ban_list"),
    path("integrity/recoveries/", recovery_list, name="integrity_recovery_list"),
    path("integrity/recoveries/<int:pk>/", recovery_detail, name="integrity_recovery_detail"),
    path("integrity/recoveries/<int:pk>/payment/", recovery_payment, name="integrity_recovery_payment"),
    path("integrity/recoveries/<int:pk>/write-off/", recovery_write_off, name="integrity_recovery_write_off"),
]
