"""Security middleware: headers Django lacks, idle sessions, the staff two-factor gate, and the default
rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from . import ratelimit
from .otp import needs_otp_step

GetResponse = Callable[[HttpRequest], HttpResponse]

# Pages an unverified staff session may still open: the code step itself, logging out, the language.
OTP_EXEMPT_VIEWS = frozenset({"security:otp", "web:logout", "set_language", "admin:logout"})


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy (CSP, COOP and Referrer-Policy come from
    django-csp and Django's SecurityMiddleware)."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "XINSHIMIN_PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class SessionIdleMiddleware:
    """Idle sessions end ``SESSION_COOKIE_AGE`` (30 minutes) after the last request: each request of a
    logged-in session moves its expiry forward, but the session is written at most once every
    ``XINSHIMIN_SESSION_REFRESH_SECONDS`` (60 s), not on every request as ``SESSION_SAVE_EVERY_REQUEST``
    would (a database write and a commit per request: bench/README-welfare.md). A session therefore ends
    between 29 and 30 minutes after its last request. Sits just after ``SessionMiddleware``, which saves
    the session this marks as modified."""

    KEY = "_refreshed_at"

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.is_empty():
            return response  # anonymous visitors get no session from this
        now = int(time.time())
        every = getattr(settings, "XINSHIMIN_SESSION_REFRESH_SECONDS", 60)
        if session.modified or now - int(session.get(self.KEY, 0)) >= every:
            session[self.KEY] = now  # (marks it modified) saved with a new expiry and cookie
        return response


def _is_api(request: HttpRequest, view_name: str) -> bool:
    return view_name.startswith("api:") or request.path_info.startswith("/api/")


def _view_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


class StaffOTPMiddleware:
    """Until a staff session has entered its TOTP code, pages redirect to the code step and session API
    calls are refused with 401. Bearer-token API calls are unaffected: an unverified staff session on an
    API request is dropped so that only the token can authenticate it.

    Must come after ``django_otp.middleware.OTPMiddleware``. Switched off by
    ``XINSHIMIN_REQUIRE_STAFF_OTP = False`` (never in production: see xinshimin/security/checks.py).
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not needs_otp_step(request):
            return self.get_response(request)
        view_name = _view_name(request)
        if view_name in OTP_EXEMPT_VIEWS:
            return self.get_response(request)
        if _is_api(request, view_name):
            if request.headers.get("Authorization"):
                request.user = AnonymousUser()
                return self.get_response(request)
            body = {
                "error": {
                    "code": "otp_required",
                    "message": _("请先在网页上输入动态验证码完成两步验证，再调用接口。"),
                }
            }
            return JsonResponse(body, status=401, json_dumps_params={"ensure_ascii": False})
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('security:otp')}?{query}")


# URL names whose POSTs count against a named limit, keyed by client address.
VIEW_LIMITS: dict[str, str] = {"web:login": "login", "admin:login": "login"}


class RateLimitMiddleware:
    """The default limits: login form posts per address, and API calls that carry no login.

    API calls with neither a session nor a bearer token count against ``api_anonymous`` per address;
    calls whose bearer token is refused (401) count too, and once the address is over the limit every
    token attempt from it gets 429 until the window ends (token guessing). Other limits are applied with
    the ``rate_limit`` decorator where they belong (redemption, SMS codes).
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 401
            and ratelimit.limits_enabled()
            and request.headers.get("Authorization")
            and _is_api(request, "")
        ):
            ratelimit.hit("api_anonymous", ratelimit.key_ip(request))
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not ratelimit.limits_enabled():
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        limit = VIEW_LIMITS.get(view_name)
        if limit and request.method == "POST":
            return ratelimit.check(request, limit, key="ip")
        if not _is_api(request, view_name) or request.user.is_authenticated:
            return None
        if request.headers.get("Authorization"):
            decision = ratelimit.peek("api_anonymous", ratelimit.key_ip(request))
            return None if decision.allowed else ratelimit.rate_limited_response(request, decision)
        return ratelimit.check(request, "api_anonymous", key="ip")
