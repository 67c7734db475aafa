"""After an offer sells out, other residents are answered from the cache (services.sold_out_refusal and
middleware.SoldOutMiddleware) exactly as the database path would answer them; holders still get their
replay; cancelling or changing the offer is seen at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinshimin.core.compiled import CompiledQuery
from xinshimin.residents.tests.factories import CentreAdminFactory
from xinshimin.welfare.models import Offer
from xinshimin.welfare.services import offer_cancel, offer_update

from .helpers import eligible_resident, make_offer

pytestmark = pytest.mark.django_db
cache_on = override_settings(XINSHIMIN_WELFARE_SOLD_OUT_CACHE=True)


@pytest.fixture
def now():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def client_for(resident) -> Client:
    client = Client()
    client.force_login(resident.user)
    return client


def redeem(client: Client, offer: Offer, key: str):
    return client.post(f"/api/welfare/offers/{offer.pk}/redeem", headers={"Idempotency-Key": key})


def tables_read(queries) -> set[str]:
    return {
        t
        for q in queries.captured_queries
        for t in ("welfare_", "accounts_user", "residents_")
        if t in q["sql"]
    }


@cache_on
def test_after_the_sell_out_others_are_answered_without_the_database_and_holders_still_replay(now):
    offer = make_offer(stock=1, opens_at=now - timedelta(minutes=1))
    winner, late, later = (client_for(eligible_resident()) for _ in range(3))
    granted = redeem(winner, offer, "winner-key-0001")
    assert granted.status_code == 201

    first_refusal = redeem(late, offer, "late-key-00001")  # the database says 0 and fills the cache
    assert first_refusal.status_code == 409 and first_refusal.json()["error"]["code"] == "sold_out"
    with CaptureQueriesContext(connection) as queries:
        refusal = redeem(later, offer, "later-key-0001")
    assert refusal.status_code == 409 and refusal.json() == first_refusal.json()
    assert tables_read(queries) == set()  # no offer, redemption, user or resident read (only the session)

    replay = redeem(winner, offer, "winner-key-0001")  # a holder: the database answers, with the certificate
    assert replay.status_code == 200
    assert replay.json()["certificate"]["code"] == granted.json()["certificate"]["code"]
    again = redeem(winner, offer, "winner-key-0002")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_redeemed"


@cache_on
def test_closing_cancelling_and_changing_the_offer_are_seen_at_once(now, django_capture_on_commit_callbacks):
    offer = make_offer(stock=1, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(minutes=10))
    redeem(client_for(eligible_resident()), offer, "winner-key-0001")
    client = client_for(eligible_resident())
    assert redeem(client, offer, "key-000000001").json()["error"]["code"] == "sold_out"

    with time_machine.travel(now + timedelta(minutes=10, seconds=1), tick=False):
        assert redeem(client, offer, "key-000000002").json()["error"]["code"] == "closed"

    centre = CentreAdminFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the cache is told once the change commits
        offer_update(actor=centre, offer=offer, description="场馆地址已更新")
    assert (
        cache.get(f"welfare:sold-out:{offer.pk}") is None
    )  # dropped: the next answer comes from the database
    assert redeem(client, offer, "key-000000003").json()["error"]["code"] == "sold_out"

    with django_capture_on_commit_callbacks(execute=True):
        offer_cancel(actor=centre, offer=offer, reason="场馆临时闭馆")
    with CaptureQueriesContext(connection) as queries:
        response = redeem(client, offer, "key-000000004")
    assert response.status_code == 409 and response.json()["error"]["code"] == "cancelled"
    assert tables_read(queries) == set()


@cache_on
def test_requests_the_cache_cannot_answer_go_the_normal_way(now):
    offer = make_offer(stock=1, opens_at=now - timedelta(minutes=1))
    redeem(client_for(eligible_resident()), offer, "winner-key-0001")
    redeem(client_for(eligible_resident()), offer, "fill-cache-0001")
    anonymous = Client().post(
        f"/api/welfare/offers/{offer.pk}/redeem", headers={"Idempotency-Key": "anon-key-001"}
    )
    assert anonymous.status_code == 401
    no_key = client_for(eligible_resident()).post(f"/api/welfare/offers/{offer.pk}/redeem")
    assert no_key.status_code == 422 and no_key.json()["error"]["field"] == "idempotency_key"


def test_without_a_shared_cache_nothing_is_kept(now):
    offer = make_offer(stock=1, opens_at=now - timedelta(minutes=1))
    redeem(client_for(eligible_resident()), offer, "winner-key-0001")
    assert redeem(client_for(eligible_resident()), offer, "late-key-00001").status_code == 409
    assert cache.get(f"welfare:sold-out:{offer.pk}") is None


def test_a_compiled_query_needs_every_placeholder_and_gives_what_the_orm_gives(now):
    offers = [make_offer(stock=n + 1, opens_at=now) for n in range(3)]
    by_stock = CompiledQuery(
        lambda n: Offer.objects.filter(stock__gte=n).order_by("pk").values_list("pk"), [987_654]
    )
    assert by_stock.rows(2) == list(Offer.objects.filter(stock__gte=2).order_by("pk").values_list("pk"))
    assert [row[0] for row in by_stock.rows(3)] == [offers[2].pk]
    unused = CompiledQuery(lambda n: Offer.objects.values_list("pk"), [987_654])
    with pytest.raises(ValueError, match="do not occur"):
        unused.rows(1)
