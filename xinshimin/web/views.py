"""Server-rendered pages. Views are thin: they ask selectors for what the user may see, and services to act."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import can_verify_audit, can_view_resident_register
from xinshimin.accounts.models import Role, Town
from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_verify
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.residents.selectors import resident_for_user, resident_get, resident_list
from xinshimin.residents.services import resident_reveal_personal_data


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """One start page per role: what this person can do, and over which scope."""
    user = request.user
    context: dict[str, object] = {"role": user.role}  # type: ignore[union-attr]
    if user.role == Role.RESIDENT:  # type: ignore[union-attr]
        context["resident"] = resident_for_user(user)
    return render(request, "web/workbench.html", context)


@login_required
def resident_register(request: HttpRequest) -> HttpResponse:
    """The register of residents, filtered to what the user may see (a clerk: their town)."""
    if not can_view_resident_register(request.user):
        raise Http404
    town = request.GET.get("town") or None
    search = (request.GET.get("q") or "").strip() or None
    try:
        rows = resident_list(visible_to=request.user, town=town, search=search)
    except DomainError as exc:
        messages.error(request, exc.message)
        rows = resident_list(visible_to=request.user)
    page = Paginator(rows.select_related("town").order_by("pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/resident_list.html",
        {"page": page, "towns": Town.objects.all(), "town": town, "q": search or ""},
    )


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        resident = resident_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    permits = resident.permits.select_related("issuing_town").order_by("-issued_on")
    household = resident.household.order_by("relation", "birth_date")
    revealed = request.session.pop("revealed", None)
    if revealed and revealed.get("resident") != resident.pk:
        revealed = None
    return render(
        request,
        "web/resident_detail.html",
        {"resident": resident, "permits": permits, "household": household, "revealed": revealed},
    )


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a full ID number or phone once, to staff whose role needs it; the reveal is audited."""
    try:
        resident = resident_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    field = request.POST.get("field", "")
    try:
        value = resident_reveal_personal_data(actor=request.user, resident=resident, field=field)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session["revealed"] = {"resident": resident.pk, "field": field, "value": value}
    return redirect("web:resident_detail", pk=resident.pk)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not can_verify_audit(request.user):
        raise Http404
    events = AuditEvent.objects.order_by("-seq")
    action = request.GET.get("action")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    report = audit_verify() if request.GET.get("verify") else None
    return render(request, "web/audit_log.html", {"page": page, "report": report, "action": action or ""})
