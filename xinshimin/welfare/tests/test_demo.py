from __future__ import annotations

import pytest
from django.utils import timezone

from xinshimin.residents.demo import DEMO_PROVIDER_NAME, build_demo
from xinshimin.welfare.demo import build_demo_welfare
from xinshimin.welfare.models import Certificate, Offer, Redemption
from xinshimin.welfare.selectors import offer_winners

pytestmark = pytest.mark.django_db


def test_demo_creates_an_open_an_upcoming_and_a_closed_offer_with_winners():
    build_demo(residents=60, seed=7)
    line = build_demo_welfare(seed=7)
    assert "3" in line
    offers = Offer.objects.filter(provider__name=DEMO_PROVIDER_NAME)
    now = timezone.now()
    assert sum(o.is_open(now) for o in offers) == 1
    assert offers.filter(opens_at__gt=now).count() == 1
    closed = offers.get(closes_at__lt=now)
    rows = offer_winners(offer=closed, at=now)
    assert len(rows) == Redemption.objects.filter(offer=closed).count() > 0
    assert Certificate.objects.filter(redemption__offer=closed).count() == len(rows)
    assert closed.remaining == closed.stock - len(rows)
    assert all("*" in row.name for row in rows)


def test_demo_is_idempotent_and_skips_without_the_provider():
    assert "skipped" in build_demo_welfare(seed=1)
    build_demo(residents=30, seed=1)
    build_demo_welfare(seed=1)
    build_demo_welfare(seed=1)
    assert Offer.objects.count() == 3
