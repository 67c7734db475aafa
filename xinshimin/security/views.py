"""The two-factor step after the password: enter the code, or enrol an authenticator app first."""

from __future__ import annotations

import logging

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from xinshimin.core.errors import DomainError

from .otp import (
    base32_secret,
    confirmed_device,
    needs_otp_step,
    otp_enrol_confirm,
    otp_verify,
    pending_device,
)
from .ratelimit import rate_limit

logger = logging.getLogger(__name__)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
@rate_limit("otp", key="user")
def otp_step(request: HttpRequest) -> HttpResponse:
    """Staff only pass here once per session: a code from the app, or (first login) enrol the app."""
    next_url = _next_url(request)
    if not needs_otp_step(request):
        return HttpResponseRedirect(next_url)
    user = request.user
    enrolled = confirmed_device(user) is not None
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if enrolled:
                otp_verify(request=request, code=code)
            else:
                otp_enrol_confirm(request=request, code=code)
        except DomainError as exc:
            logger.info("two-factor code refused for user %s (%s)", user.pk, exc.code)
            error = exc.message
        else:
            return HttpResponseRedirect(next_url)
    context: dict[str, object] = {"next": next_url, "error": error, "enrolled": enrolled}
    if not enrolled:
        device = pending_device(user)
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)
        context["secret"] = base32_secret(device)
    return render(request, "security/otp.html", context)
