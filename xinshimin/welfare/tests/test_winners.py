"""The public winners list: after closing, at least 3 days, masked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from xinshimin.core.errors import NotFound
from xinshimin.welfare.errors import OfferNotOpen
from xinshimin.welfare.models import Offer
from xinshimin.welfare.selectors import offer_winners
from xinshimin.welfare.services import offer_redeem

from .helpers import T0, eligible_resident, make_offer

pytestmark = pytest.mark.django_db

ID_A = "522401199203154513"


@pytest.fixture
def closed_offer():
    offer = make_offer(stock=5, opens_at=T0, closes_at=T0 + timedelta(hours=2))
    a = eligible_resident(name="欧阳娜娜", id_number=ID_A)
    b = eligible_resident(name="张三")
    offer_redeem(actor=b.user, offer=offer, idempotency_key="key-b-00001", at=T0 + timedelta(seconds=5))
    offer_redeem(actor=a.user, offer=offer, idempotency_key="key-a-00001", at=T0 + timedelta(seconds=9))
    return Offer.objects.get(pk=offer.pk)


def test_list_is_masked_and_in_the_order_of_redemption(closed_offer):
    rows = offer_winners(offer=closed_offer, at=T0 + timedelta(hours=3))
    assert [(r.order, r.name) for r in rows] == [(1, "张*"), (2, "欧阳**")]
    assert rows[1].id_number == "522401********4513"


def test_list_is_not_published_before_closing(closed_offer):
    with pytest.raises(OfferNotOpen) as exc:
        offer_winners(offer=closed_offer, at=T0 + timedelta(hours=1))
    assert "截止后" in exc.value.message


def test_list_stays_up_three_days_then_ends(closed_offer):
    closes = closed_offer.closes_at
    assert len(offer_winners(offer=closed_offer, at=closes + timedelta(days=3))) == 2
    with pytest.raises(NotFound):
        offer_winners(offer=closed_offer, at=closes + timedelta(days=3, seconds=1))


def test_centre_may_keep_it_up_longer(closed_offer):
    Offer.objects.filter(pk=closed_offer.pk).update(
        winners_visible_until=closed_offer.closes_at + timedelta(days=10)
    )
    offer = Offer.objects.get(pk=closed_offer.pk)
    assert len(offer_winners(offer=offer, at=offer.closes_at + timedelta(days=9))) == 2


def test_public_page_needs_no_login_and_shows_no_full_personal_data(closed_offer, settings):
    import time_machine

    with time_machine.travel(closed_offer.closes_at + timedelta(hours=1), tick=False):
        response = Client().get(reverse("web:welfare_offer_winners", args=[closed_offer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "欧阳**" in html and "522401********4513" in html
    assert "欧阳娜娜" not in html and ID_A not in html and "张三" not in html
    for certificate_code in closed_offer.redemptions.values_list("certificate__code", flat=True):
        assert certificate_code not in html
