"""The sold-out answer at the edge: a redemption request of a logged-in resident for an offer that has
sold out is answered before the user is loaded (bench/README-welfare.md).

At the opening instant almost every request arrives after the last unit is gone. What such a request gets
— "sold out" (or "closed", or "cancelled") — is public information (the offers list shows what is left), and
once the database has said so it can never change for someone who holds no unit
(``services.sold_out_refusal``). So when the session names a login that is not among the offer's holders,
this answers exactly what the API would (409 with the same body), without the user lookup, the two-factor
and rate-limit checks and the view. Anything else — no session, a holder (replays, the per-person limit),
a missing or malformed idempotency key, an offer not known to be sold out — goes the normal way. Sits after
``LocaleMiddleware`` (the message is in the caller's language).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .services import IDEMPOTENCY_KEY_PATTERN, sold_out_refusal

REDEEM_PATH = re.compile(r"^/api/welfare/offers/(?P<offer>[0-9]{1,18})/redeem$")


class SoldOutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            match = REDEEM_PATH.match(request.path_info)
            if match is not None:
                response = self._answer(request, int(match["offer"]))
                if response is not None:
                    return response
        return self.get_response(request)

    @staticmethod
    def _answer(request: HttpRequest, offer_id: int) -> HttpResponse | None:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not IDEMPOTENCY_KEY_PATTERN.match(key):
            return None  # the API explains what is wrong with the key
        user_id = request.session.get(SESSION_KEY)
        if user_id is None:
            return None  # not logged in: the API answers 401
        try:
            user_pk = int(user_id)
        except (TypeError, ValueError):
            return None
        refusal = sold_out_refusal(offer_id=offer_id, user_id=user_pk, at=timezone.now())
        if refusal is None:
            return None
        response = JsonResponse({"error": refusal.as_dict()}, status=refusal.http_status)
        response._has_been_logged = True  # type: ignore[attr-defined]  # an answer, not a fault (api/routes.py)
        return response
