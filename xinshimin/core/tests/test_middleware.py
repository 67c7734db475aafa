from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from xinshimin.core.context import current_request_id
from xinshimin.core.middleware import RequestIdMiddleware


def run(headers: dict[str, str] | None = None) -> tuple[HttpResponse, str]:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_request_id())
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers=headers or {})
    response = RequestIdMiddleware(view)(request)
    return response, seen[0]


def test_a_new_request_id_is_set_for_the_request_and_returned() -> None:
    response, inside = run()
    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])
    assert inside == response["X-Request-ID"]
    assert current_request_id() == ""  # reset after the request


def test_each_request_gets_its_own_id() -> None:
    assert run()[0]["X-Request-ID"] != run()[0]["X-Request-ID"]


def test_a_sane_incoming_id_from_the_proxy_is_kept() -> None:
    response, inside = run({"X-Request-ID": "nginx-7f3a9c2e"})
    assert response["X-Request-ID"] == inside == "nginx-7f3a9c2e"


@pytest.mark.parametrize("incoming", ["short", "has space in it", "x" * 65, "<script>alert(1)</script>"])
def test_an_unusable_incoming_id_is_replaced(incoming: str) -> None:
    response, inside = run({"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{16}", inside)


@pytest.mark.django_db
def test_the_header_is_set_on_real_responses(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/admin/login/")
    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])
