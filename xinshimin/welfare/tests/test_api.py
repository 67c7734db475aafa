"""The welfare API: offers, redeem with Idempotency-Key, my certificates, use by providers, ping."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from xinshimin.residents.tests.factories import ProviderFactory, ProviderUserFactory, ResidentFactory
from xinshimin.welfare.certificates import certificate_token_verify
from xinshimin.welfare.models import Offer

from .helpers import eligible_resident, give_points, make_offer

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


@pytest.fixture
def now():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def redeem(client, offer, key="api-key-000001"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/welfare/offers/{offer.pk}/redeem", headers=headers)


def test_ping_needs_no_login():
    response = Client().get("/api/welfare/ping")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_offers_are_listed_publicly(now):
    make_offer(title="公开的活动", opens_at=now - timedelta(hours=1))
    make_offer(title="草稿", status=Offer.Status.DRAFT)
    rows = Client().get("/api/welfare/offers").json()
    assert [row["title"] for row in rows] == ["公开的活动"]
    assert rows[0]["is_open"] is True


def test_redeem_answers_201_then_200_with_the_same_certificate(now):
    resident = eligible_resident()
    offer = make_offer(stock=2, opens_at=now - timedelta(minutes=1))
    client = client_for(resident)
    first = redeem(client, offer)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["replayed"] is False
    assert certificate_token_verify(body["certificate"]["token"]).code == body["certificate"]["code"]
    again = redeem(client, offer)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["certificate"]["code"] == body["certificate"]["code"]
    assert Offer.objects.get(pk=offer.pk).remaining == 1


def test_missing_idempotency_key_is_a_clear_422(now):
    response = redeem(client_for(eligible_resident()), make_offer(opens_at=now), key=None)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and error["field"] == "idempotency_key"
    assert "Idempotency-Key" in error["message"]


def test_not_open_is_409_with_the_opening_time(now):
    offer = make_offer(opens_at=now + timedelta(hours=1))
    response = redeem(client_for(eligible_resident()), offer)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_open"
    assert datetime.fromisoformat(error["details"]["opens_at"]) == offer.opens_at


def test_closed_sold_out_and_already_redeemed_are_409_with_their_codes(now):
    closed = make_offer(opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))
    assert redeem(client_for(eligible_resident()), closed).json()["error"]["code"] == "closed"
    single = make_offer(stock=1, opens_at=now - timedelta(hours=1), title="单份")
    winner = client_for(eligible_resident())
    assert redeem(winner, single).status_code == 201
    late = redeem(client_for(eligible_resident()), single)
    assert late.status_code == 409 and late.json()["error"]["code"] == "sold_out"
    twice = redeem(winner, single, key="api-key-000002")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_redeemed"


def test_not_eligible_is_403_with_the_reason(now):
    resident = ResidentFactory(with_user=True, permit=None)
    give_points(resident, 10)
    response = redeem(client_for(resident), make_offer(opens_at=now - timedelta(hours=1)))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "not_eligible" and error["details"]["reason"] == "no_valid_permit"
    assert "居住证" in error["message"]


def test_redeem_needs_a_login(now):
    assert redeem(Client(), make_offer(opens_at=now)).status_code == 401


def test_my_certificates(now):
    resident = eligible_resident()
    offer = make_offer(opens_at=now - timedelta(minutes=1))
    client = client_for(resident)
    code = redeem(client, offer).json()["certificate"]["code"]
    assert [row["code"] for row in client.get("/api/welfare/certificates").json()] == [code]
    assert client_for(eligible_resident()).get("/api/welfare/certificates").json() == []


def test_provider_uses_a_certificate_once_and_the_second_time_gets_when_and_who(now):
    provider = ProviderFactory()
    offer = make_offer(provider=provider, opens_at=now - timedelta(minutes=1))
    code = redeem(client_for(eligible_resident(name="李四")), offer).json()["certificate"]["code"]
    staff = client_for(ProviderUserFactory(provider=provider, username="gate7"))
    first = staff.post(f"/api/welfare/certificates/{code}/use")
    assert first.status_code == 200
    assert first.json()["holder"] == "李*" and first.json()["used_at"] is not None
    second = staff.post(f"/api/welfare/certificates/{code}/use")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_used" and "gate7" in error["details"]["used_by"]
    assert error["details"]["used_at"]


def test_provider_of_another_offer_gets_404(now):
    offer = make_offer(opens_at=now - timedelta(minutes=1))
    code = redeem(client_for(eligible_resident()), offer).json()["certificate"]["code"]
    response = client_for(ProviderUserFactory()).post(f"/api/welfare/certificates/{code}/use")
    assert response.status_code == 404


def test_verify_checks_a_scanned_token(now):
    provider = ProviderFactory()
    offer = make_offer(provider=provider, opens_at=now - timedelta(minutes=1))
    token = redeem(client_for(eligible_resident()), offer).json()["certificate"]["token"]
    staff = client_for(ProviderUserFactory(provider=provider))
    ok = staff.post("/api/welfare/certificates/verify", {"token": token}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["used_at"] is None
    bad = staff.post(
        "/api/welfare/certificates/verify", {"token": token + "x"}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_redemptions_are_rate_limited_per_user(now, settings):
    settings.XINSHIMIN_RATE_LIMITS = {**settings.XINSHIMIN_RATE_LIMITS, "redemption": "3/60"}
    settings.XINSHIMIN_RATE_LIMITS_ENABLED = True
    offer = make_offer(opens_at=now - timedelta(minutes=1))
    client = client_for(eligible_resident())
    answers = [redeem(client, offer).status_code for _ in range(4)]
    assert answers == [201, 200, 200, 429]
    assert redeem(client_for(eligible_resident()), offer).status_code == 201  # another user is not limited
