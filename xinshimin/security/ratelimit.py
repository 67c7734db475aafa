"""Rate limits: a fixed-window counter in the cache, as a decorator for views and ninja operations.

Limits are named and configured in ``settings.XINSHIMIN_RATE_LIMITS`` (``"<requests>/<seconds>"``), so
an operator tunes them without touching code. The counter lives in the default cache: Redis when
``REDIS_URL`` is set (one count shared by every worker), process memory otherwise (development, tests).

    from xinshimin.security.ratelimit import rate_limit

    @router.post("/offers/{offer_id}/redeem", response=RedemptionOut)
    @rate_limit("redemption", key="user")                # ninja operation: JSON 429
    def redeem(request, offer_id: int): ...

    @rate_limit("sms_code", key=lambda request: request.POST.get("phone", ""))
    def send_sms_code(request): ...                       # Django view: HTML 429

Beyond the limit the caller gets HTTP 429 with a Chinese message saying when to try again, and a
``Retry-After`` header (seconds). The API form is ``{"error": {"code": "rate_limited", "message": …,
"retry_after": n}}`` like every other API error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

KeyFunc = Callable[[HttpRequest], str]
F = TypeVar("F", bound=Callable[..., Any])

CACHE_PREFIX = "xsm-rl"


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"20/600"`` → 20 requests per 600 seconds."""
        count, _sep, period = text.partition("/")
        rate = cls(int(count), int(period or "0"))
        if rate.requests < 1 or rate.seconds < 1:
            raise ValueError(f"rate {text!r}: use '<requests>/<seconds>' with both at least 1")
        return rate


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def configured_rate(name: str) -> Rate:
    """The rate named ``name`` in ``settings.XINSHIMIN_RATE_LIMITS``."""
    rates: dict[str, str] = getattr(settings, "XINSHIMIN_RATE_LIMITS", {})
    if name not in rates:
        raise KeyError(f"no rate limit named {name!r}: add it to XINSHIMIN_RATE_LIMITS in config/settings.py")
    return Rate.parse(rates[name])


def limits_enabled() -> bool:
    return bool(getattr(settings, "XINSHIMIN_RATE_LIMITS_ENABLED", True))


def _cache_key(name: str, ident: str, window: int) -> str:
    # Hash the identity: keys stay short and no phone number or address is stored in Redis in clear.
    digest = hashlib.sha256(f"{name}\0{ident}".encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:{name}:{digest}:{window}"


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """The index of the fixed window ``now`` falls in, and the seconds until it ends."""
    index = int(now // rate.seconds)
    ends_at = (index + 1) * rate.seconds
    return index, max(1, math.ceil(ends_at - now))


def hit(name: str, ident: str, *, rate: Rate | None = None, now: float | None = None) -> Decision:
    """Count one request of ``ident`` against the limit ``name``; say whether it may go ahead."""
    rate = rate or configured_rate(name)
    now = time.time() if now is None else now
    index, remaining = _window(rate, now)
    cache = caches["default"]
    key = _cache_key(name, ident, index)
    # add() is atomic (SET NX on Redis): the first request of a window creates the counter.
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=rate.seconds + 1)
        count = 1
    allowed = count <= rate.requests
    return Decision(allowed, count, rate.requests, 0 if allowed else remaining)


def peek(name: str, ident: str, *, rate: Rate | None = None, now: float | None = None) -> Decision:
    """Whether ``ident`` is already over the limit, without counting a request."""
    rate = rate or configured_rate(name)
    now = time.time() if now is None else now
    index, remaining = _window(rate, now)
    count = int(caches["default"].get(_cache_key(name, ident, index), 0))
    allowed = count < rate.requests
    return Decision(allowed, count, rate.requests, 0 if allowed else remaining)


# --- who is counted ----------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw (XINSHIMIN_PROXY_COUNT)."""
    proxies = int(getattr(settings, "XINSHIMIN_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return str(forwarded[-proxies])
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def key_ip(request: HttpRequest) -> str:
    return "ip:" + client_ip(request)


def key_user(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return key_ip(request)


KEYS: dict[str, KeyFunc] = {"ip": key_ip, "user": key_user, "user_or_ip": key_user}


# --- the 429 response --------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and "api" in match.namespaces:
        return True
    return request.path_info.startswith("/api/")


def rate_limited_message(retry_after: int) -> str:
    minutes, seconds = divmod(retry_after, 60)
    if minutes:
        wait = _("%(minutes)d 分 %(seconds)d 秒") % {"minutes": minutes, "seconds": seconds}
    else:
        wait = _("%(seconds)d 秒") % {"seconds": seconds}
    return _("操作过于频繁，请在 %(wait)s后再试。") % {"wait": wait}


def rate_limited_response(request: HttpRequest, decision: Decision) -> HttpResponse:
    message = rate_limited_message(decision.retry_after)
    response: HttpResponse
    if _wants_json(request):
        body = {"error": {"code": "rate_limited", "message": message, "retry_after": decision.retry_after}}
        response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        html = render_to_string("security/rate_limited.html", {"message": message}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def check(request: HttpRequest, name: str, *, key: str | KeyFunc = "user_or_ip") -> HttpResponse | None:
    """Count this request against limit ``name``: None to go ahead, or the 429 response to return."""
    if not limits_enabled():
        return None
    key_func = KEYS[key] if isinstance(key, str) else key
    decision = hit(name, key_func(request))
    if decision.allowed:
        return None
    match = getattr(request, "resolver_match", None)
    logger.warning(
        "rate limit %s exceeded (%d/%d) on %s",
        name,
        decision.count,
        decision.limit,
        match.view_name if match else "-",
    )
    return rate_limited_response(request, decision)


def rate_limit(
    name: str, *, key: str | KeyFunc = "user_or_ip", methods: Iterable[str] | None = ("POST",)
) -> Callable[[F], F]:
    """Decorate a Django view or a ninja operation (below the ``@router.…`` line) with limit ``name``.

    ``key``: ``"ip"``, ``"user"`` (the logged-in user, else the address) or a function of the request
    (e.g. the phone number an SMS code goes to). ``methods``: which methods count (None: all).
    """
    if isinstance(key, str) and key not in KEYS:
        raise ValueError(f"unknown rate-limit key {key!r}: use one of {sorted(KEYS)} or a function")
    counted = {m.upper() for m in methods} if methods is not None else None

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if counted is None or request.method in counted:
                refused = check(request, name, key=key)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorate
