"""Pages of the welfare area (积分福利兑换, 普惠服务). Included by xinshimin/web/urls.py under "web".

Residents: offers with a countdown, redeem (POST with a per-page-view idempotency key), their
certificates (printable, with a QR code). Provider staff: check and mark certificates. The centre: a
list of offers with publish/cancel (creation and editing are in the admin). Public: offers, winners lists
and the inclusive services directory.
"""

from __future__ import annotations

import contextlib
import mimetypes
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.residents.selectors import resident_for_user
from xinshimin.security.ratelimit import rate_limit
from xinshimin.welfare.access import can_check_certificates, can_manage_offers
from xinshimin.welfare.certificates import qr_svg
from xinshimin.welfare.eligibility import offer_eligibility
from xinshimin.welfare.models import Offer
from xinshimin.welfare.selectors import (
    certificate_get_for_owner,
    certificate_list_for,
    certificate_token_for,
    offer_get_public,
    offer_list_managed,
    offer_list_public,
    offer_winners,
    service_card_list,
)
from xinshimin.welfare.services import (
    certificate_check,
    certificate_use,
    offer_cancel,
    offer_publish,
    offer_redeem,
)


def _offer_or_404(request: HttpRequest, pk: int) -> Offer:
    try:
        return offer_get_public(pk=pk, user=request.user)
    except NotFound as exc:
        raise Http404 from exc


def _state(offer: Offer, now: Any) -> str:
    if offer.status == Offer.Status.CANCELLED:
        return "cancelled"
    if offer.status == Offer.Status.DRAFT:
        return "draft"
    if now < offer.opens_at:
        return "upcoming"
    if now >= offer.closes_at:
        return "closed"
    return "open" if offer.remaining > 0 else "sold_out"


def offer_list(request: HttpRequest) -> HttpResponse:
    """Upcoming openings (with a countdown), open offers, and closed ones whose winners list is up."""
    now = timezone.now()
    groups: dict[str, list[Offer]] = {"open": [], "upcoming": [], "closed": []}
    for offer in offer_list_public(at=now):
        state = _state(offer, now)
        offer.state = state  # type: ignore[attr-defined]
        offer.seconds_to_open = max(int((offer.opens_at - now).total_seconds()), 0)  # type: ignore[attr-defined]
        groups["open" if state in ("open", "sold_out") else state].append(offer)
    groups["closed"].sort(key=lambda o: o.closes_at, reverse=True)
    return render(request, "web/welfare/offer_list.html", {"groups": groups, "now": now})


def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer_or_404(request, pk)
    now = timezone.now()
    state = _state(offer, now)
    context: dict[str, Any] = {
        "offer": offer,
        "state": state,
        "seconds_to_open": max(int((offer.opens_at - now).total_seconds()), 0),
        "winners_visible": offer.winners_visible(now),
        "is_resident": is_role(request.user, Role.RESIDENT),
    }
    resident = resident_for_user(request.user) if context["is_resident"] else None
    if resident is not None and state in ("upcoming", "open"):
        context["eligibility"] = offer_eligibility(offer=offer, resident=resident, at=now)
        context["held"] = list(certificate_list_for(user=request.user).filter(redemption__offer_id=offer.pk))
        # A fresh key per page view: a double tap or a reload of the POST replays, a new visit is new.
        context["idempotency_key"] = uuid.uuid4().hex
    return render(request, "web/welfare/offer_detail.html", context)


@login_required
@require_POST
@rate_limit("redemption", key="user")
def offer_redeem_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer_or_404(request, pk)
    try:
        result = offer_redeem(
            actor=request.user, offer=offer, idempotency_key=request.POST.get("idempotency_key")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:welfare_offer_detail", pk=offer.pk)
    if not result.replayed:
        messages.success(request, _("兑换成功！请保存好兑换成功证明，按兑换须知到提供方核销。"))
    return redirect("web:welfare_certificate_detail", code=result.certificate.code)


def offer_picture(request: HttpRequest, pk: int) -> FileResponse:
    """The offer's picture, from private storage, only for offers the user may see."""
    offer = _offer_or_404(request, pk)
    if not offer.picture:
        raise Http404
    try:
        handle = offer.picture.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(offer.picture.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        content_type = "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def offer_winners_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The public winners list (no login): masked names and ID numbers, in the order of redemption."""
    offer = _offer_or_404(request, pk)
    now = timezone.now()
    try:
        rows = offer_winners(offer=offer, at=now)
        notice = ""
    except DomainError as exc:
        rows, notice = [], exc.message
    return render(
        request, "web/welfare/winners.html", {"offer": offer, "rows": rows, "notice": notice, "now": now}
    )


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    if not is_role(request.user, Role.RESIDENT):
        raise Http404
    return render(
        request,
        "web/welfare/certificate_list.html",
        {"certificates": certificate_list_for(user=request.user)},
    )


@login_required
def certificate_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate on the phone or printed: code, QR (check URL with the signed token), instructions."""
    try:
        certificate = certificate_get_for_owner(user=request.user, code=code)
    except NotFound as exc:
        raise Http404 from exc
    token = certificate_token_for(certificate)
    check_url = request.build_absolute_uri(reverse("web:welfare_certificate_check")) + "?t=" + token
    return render(
        request,
        "web/welfare/certificate_detail.html",
        {
            "certificate": certificate,
            "offer": certificate.redemption.offer,
            "resident": certificate.redemption.resident,
            "token": token,
            "qr": qr_svg(check_url),
        },
    )


@login_required
def certificate_check_view(request: HttpRequest) -> HttpResponse:
    """Provider staff type a code or scan the QR code; the certificate is shown with a "mark used" button."""
    if not can_check_certificates(request.user):
        raise Http404
    code, token = (request.GET.get("code") or "").strip(), (request.GET.get("t") or "").strip()
    context: dict[str, Any] = {"code": code}
    if code or token:
        try:
            context["certificate"] = certificate_check(
                actor=request.user, code=code or None, token=token or None
            )
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "web/welfare/check.html", context)


@login_required
@require_POST
def certificate_use_view(request: HttpRequest) -> HttpResponse:
    if not can_check_certificates(request.user):
        raise Http404
    code = request.POST.get("code", "")
    context: dict[str, Any] = {"code": code}
    try:
        context["certificate"] = certificate_use(actor=request.user, code=code)
        context["done"] = True
    except DomainError as exc:
        context["error"] = exc.message
        with contextlib.suppress(DomainError):
            context["certificate"] = certificate_check(actor=request.user, code=code)
    return render(request, "web/welfare/check.html", context, status=200 if context.get("done") else 409)


def service_list(request: HttpRequest) -> HttpResponse:
    """The inclusive services directory (普惠服务), public."""
    return render(request, "web/welfare/services.html", {"cards": service_card_list()})


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The centre's list of offers (publish, cancel, counts); provider staff see their own offers."""
    if not (can_manage_offers(request.user) or can_check_certificates(request.user)):
        raise Http404
    now = timezone.now()
    offers = list(offer_list_managed(user=request.user))
    for offer in offers:
        offer.state = _state(offer, now)  # type: ignore[attr-defined]
    return render(
        request,
        "web/welfare/manage.html",
        {"offers": offers, "is_centre": can_manage_offers(request.user), "now": now},
    )


def _managed_offer(request: HttpRequest, pk: int) -> Offer:
    if not can_manage_offers(request.user):
        raise Http404
    try:
        return Offer.objects.get(pk=pk)
    except Offer.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_POST
def offer_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _managed_offer(request, pk)
    try:
        offer_publish(actor=request.user, offer=offer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已发布：%(t)s") % {"t": offer.title})
    return redirect("web:welfare_manage")


@login_required
@require_POST
def offer_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _managed_offer(request, pk)
    try:
        offer_cancel(actor=request.user, offer=offer, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消：%(t)s；已签发的兑换成功证明作废。") % {"t": offer.title})
    return redirect("web:welfare_manage")


urlpatterns: list[URLPattern] = [
    path("welfare/", offer_list, name="welfare_offer_list"),
    path("welfare/offers/<int:pk>/", offer_detail, name="welfare_offer_detail"),
    path("welfare/offers/<int:pk>/redeem/", offer_redeem_view, name="welfare_offer_redeem"),
    path("welfare/offers/<int:pk>/picture/", offer_picture, name="welfare_offer_picture"),
    path("welfare/offers/<int:pk>/winners/", offer_winners_view, name="welfare_offer_winners"),
    path("welfare/certificates/", certificate_list, name="welfare_certificate_list"),
    path("welfare/certificates/<str:code>/", certificate_detail, name="welfare_certificate_detail"),
    path("welfare/check/", certificate_check_view, name="welfare_certificate_check"),
    path("welfare/check/use/", certificate_use_view, name="welfare_certificate_use"),
    path("welfare/services/", service_list, name="welfare_service_list"),
    path("welfare/manage/", manage, name="welfare_manage"),
    path("welfare/manage/<int:pk>/publish/", offer_publish_view, name="welfare_offer_publish"),
    path("welfare/manage/<int:pk>/cancel/", offer_cancel_view, name="welfare_offer_cancel"),
]
