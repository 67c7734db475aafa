"""The JSON API under /api/: OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from xinshimin.core.errors import DomainError

from .auth import session_or_token
from .routers import (
    centre,
    charity,
    claims,
    integrity,
    me,
    residents,
    scenes,
    scoring,
    system,
    welfare,
    workdays,
)

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="xinshimin API",
    version="1",
    description=(
        "新市民积分制平台接口 — the Rui'an new-citizen points platform. "
        "Browsers use their session (with the CSRF token); department systems use `Authorization: Bearer <token>`."
    ),
    auth=session_or_token,
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, {"error": exc.as_dict()}, status=exc.http_status)
    # A refusal the service explains to the caller (sold out, not eligible, outside a window …) is an
    # answer, not a fault: no "django.request" warning for each (thousands a second at a welfare opening),
    # one DEBUG line with its code instead.
    logger.debug("refused %s %s: %s", request.method, request.path, exc.code)
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by django.utils.log.log_response
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    body = {"error": {"code": "not_found", "message": _("未找到该记录，或您无权查看。")}}
    return api.create_response(request, body, status=404)


@api.exception_handler(OverflowError)
def on_id_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # An id beyond the database's integer range (SQLite cannot even bind it): no such record.
    return on_not_found(request, Http404())


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"error": {"code": "unauthenticated", "message": _("请先登录，或在请求头中提供有效的接口令牌。")}}
    return api.create_response(request, body, status=401)


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    body = {
        "error": {
            "code": "validation_failed",
            "message": _("请求内容不符合要求，请按 details 中列出的字段修改后重试。"),
            "details": exc.errors,
        }
    }
    return api.create_response(request, body, status=422)


api.add_router("/system", system.router)
api.add_router("/me", me.router)
api.add_router("/residents", residents.router)
api.add_router("/workdays", workdays.router)
api.add_router("/scoring", scoring.router)
api.add_router("/claims", claims.router)
api.add_router("/scenes", scenes.router)
api.add_router("/welfare", welfare.router)
api.add_router("/charity", charity.router)
api.add_router("/integrity", integrity.router)
api.add_router("/centre", centre.router)
