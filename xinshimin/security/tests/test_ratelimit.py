"""Rate limits: the counter, the decorator on views and ninja operations, and the default limits."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import include, path, reverse
from ninja import NinjaAPI, Schema

from xinshimin.accounts.services import api_token_issue
from xinshimin.accounts.tests.factories import (
    TEST_PASSWORD,
    CentreAdminFactory,
    ResidentUserFactory,
    ReviewerFactory,
)
from xinshimin.security import ratelimit
from xinshimin.security.ratelimit import Rate, client_ip, hit, peek, rate_limit


def test_rate_parses_and_refuses_nonsense():
    assert Rate.parse("20/600") == Rate(20, 600)
    for bad in ("0/60", "5/0", "5"):
        with pytest.raises(ValueError, match="requests"):
            Rate.parse(bad)


def test_fixed_window_allows_the_limit_then_refuses_until_the_window_ends():
    rate = Rate(3, 60)
    start = 1_700_000_080.0  # 40 s into a 60 s window (windows start at multiples of 60)
    decisions = [hit("t", "ip:1.2.3.4", rate=rate, now=start + i) for i in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 17  # window ends at +60: 1_700_000_100
    assert not peek("t", "ip:1.2.3.4", rate=rate, now=start + 5).allowed
    assert hit("t", "ip:5.6.7.8", rate=rate, now=start).allowed  # another client has its own count
    assert hit("t", "ip:1.2.3.4", rate=rate, now=start + 21).allowed  # a new window


def test_client_address_behind_a_trusted_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"
    settings.XINSHIMIN_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # what our proxy saw; the first entry could be forged


@override_settings(XINSHIMIN_RATE_LIMITS={"sms_code": "2/3600"})
def test_decorated_view_answers_429_in_chinese_with_retry_after():
    @rate_limit("sms_code", key=lambda request: request.POST.get("phone", ""))
    def send_code(request: HttpRequest) -> HttpResponse:
        return HttpResponse("sent")

    factory = RequestFactory()
    phone = {"phone": "13900001111"}
    assert send_code(factory.post("/sms/", phone)).status_code == 200
    assert send_code(factory.post("/sms/", phone)).status_code == 200
    refused = send_code(factory.post("/sms/", phone))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "操作过于频繁" in refused.content.decode()
    assert send_code(factory.get("/sms/")).status_code == 200  # only POSTs count
    assert send_code(factory.post("/sms/", {"phone": "13900002222"})).status_code == 200


def test_unknown_limit_names_and_keys_are_refused_early():
    with pytest.raises(ValueError, match="unknown rate-limit key"):
        rate_limit("login", key="session")
    with pytest.raises(KeyError, match="XINSHIMIN_RATE_LIMITS"):
        ratelimit.configured_rate("no-such-limit")


# A tiny API with a rate-limited operation, mounted only for these tests.
test_api = NinjaAPI(urls_namespace="ratelimit-test-api")


class RedeemOut(Schema):
    offer: int


@test_api.post("/offers/{offer_id}/redeem", response=RedeemOut, auth=None)
@rate_limit("redemption", key="user")
def redeem(request: HttpRequest, offer_id: int) -> RedeemOut:
    """Stands in for the welfare redemption operation."""
    return RedeemOut(offer=offer_id)


urlpatterns = [path("api/", test_api.urls), path("", include("config.urls"))]


@pytest.mark.django_db
@override_settings(
    ROOT_URLCONF=__name__, XINSHIMIN_RATE_LIMITS={"redemption": "2/60", "api_anonymous": "99/60"}
)
def test_decorated_ninja_operation_answers_json_429_and_keeps_its_signature():
    assert "offer_id" in str(test_api.get_openapi_schema()["paths"])  # ninja still sees the parameters
    client = Client()
    client.force_login(ResidentUserFactory())
    assert client.post("/api/offers/7/redeem").json() == {"offer": 7}
    assert client.post("/api/offers/7/redeem").status_code == 200
    refused = client.post("/api/offers/7/redeem")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "请在" in refused.json()["error"]["message"]
    assert refused["Retry-After"] == str(refused.json()["error"]["retry_after"])
    other = Client()
    other.force_login(ResidentUserFactory())  # per user, not per address
    assert other.post("/api/offers/7/redeem").status_code == 200


@pytest.mark.django_db
@override_settings(XINSHIMIN_RATE_LIMITS={"login": "3/600"})
def test_login_posts_are_limited_per_address():
    user = ResidentUserFactory()
    client = Client()
    for _ in range(3):
        client.post(reverse("web:login"), {"username": "nobody", "password": "wrong-password"})
    refused = client.post(reverse("web:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.content.decode()
    assert client.get(reverse("web:login")).status_code == 200  # the form still shows
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert (
        other.post(reverse("web:login"), {"username": user.username, "password": TEST_PASSWORD}).status_code
        == 302
    )


@pytest.mark.django_db
@override_settings(XINSHIMIN_RATE_LIMITS={"api_anonymous": "3/60"})
def test_anonymous_api_calls_are_limited_but_logged_in_calls_are_not():
    anonymous = Client()
    statuses = [anonymous.get("/api/system/health").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert anonymous.get("/api/system/health")["Retry-After"]
    logged_in = Client()
    logged_in.force_login(ResidentUserFactory())
    assert [logged_in.get("/api/me").status_code for _ in range(5)] == [200] * 5


@pytest.mark.django_db
@override_settings(XINSHIMIN_RATE_LIMITS={"api_anonymous": "3/60"})
def test_guessed_tokens_count_against_the_address_and_then_every_token_waits():
    _token, raw = api_token_issue(actor=CentreAdminFactory(), user=ReviewerFactory(), name="x")
    client = Client()
    for _ in range(5):  # valid tokens are not counted
        assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    for _ in range(3):
        assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer xsm_guess").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 429


@pytest.mark.django_db
@override_settings(XINSHIMIN_RATE_LIMITS_ENABLED=False, XINSHIMIN_RATE_LIMITS={"api_anonymous": "1/60"})
def test_limits_can_be_switched_off():
    client = Client()
    assert [client.get("/api/system/health").status_code for _ in range(3)] == [200] * 3
