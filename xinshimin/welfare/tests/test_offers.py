"""Setting up offers: the centre creates, edits, publishes and cancels; each change is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import CentreAdminFactory, ProviderFactory, ProviderUserFactory
from xinshimin.welfare.models import Offer
from xinshimin.welfare.services import offer_cancel, offer_create, offer_publish, offer_update

from .helpers import T0

pytestmark = pytest.mark.django_db


def fields(**overrides):
    values = {
        "title": "  瑞安博物馆   特展门票 ",
        "provider": ProviderFactory(),
        "stock": 100,
        "opens_at": T0,
        "closes_at": T0 + timedelta(days=1),
    }
    values.update(overrides)
    return values


def test_centre_creates_a_draft_with_all_units_remaining():
    centre = CentreAdminFactory()
    offer = offer_create(actor=centre, **fields())
    assert offer.status == Offer.Status.DRAFT
    assert offer.title == "瑞安博物馆 特展门票"
    assert (offer.stock, offer.remaining, offer.per_person_limit) == (100, 100, 1)
    assert AuditEvent.objects.filter(action="welfare.offer_create", object_id=str(offer.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": " "}, "title", "名称"),
        ({"stock": 0}, "stock", "至少为 1"),
        ({"per_person_limit": 0}, "per_person_limit", "1 到 10"),
        ({"closes_at": T0}, "closes_at", "晚于开放"),
        ({"winners_visible_until": T0 + timedelta(days=3)}, "winners_visible_until", "不得少于 3 天"),
        ({"use_until": T0}, "use_until", "晚于截止"),
        ({"provider": None}, "provider", "福利提供方"),
    ],
)
def test_impossible_offers_are_refused_with_the_field(overrides, field, words):
    with pytest.raises(ValidationFailed) as exc:
        offer_create(actor=CentreAdminFactory(), **fields(**overrides))
    assert exc.value.field == field and words in exc.value.message


def test_only_the_centre_sets_up_offers():
    with pytest.raises(PermissionDenied):
        offer_create(actor=ProviderUserFactory(), **fields())


def test_publish_makes_a_draft_visible_and_is_audited():
    centre = CentreAdminFactory()
    offer = offer_create(actor=centre, **fields())
    published = offer_publish(actor=centre, offer=offer, at=T0 - timedelta(days=1))
    assert published.status == Offer.Status.PUBLISHED and published.published_at == T0 - timedelta(days=1)
    assert AuditEvent.objects.filter(action="welfare.offer_publish").count() == 1
    with pytest.raises(Conflict):
        offer_publish(actor=centre, offer=offer, at=T0 - timedelta(days=1))


def test_an_offer_whose_window_has_passed_cannot_be_published():
    centre = CentreAdminFactory()
    offer = offer_create(actor=centre, **fields())
    with pytest.raises(Conflict) as exc:
        offer_publish(actor=centre, offer=offer, at=T0 + timedelta(days=2))
    assert "截止兑换时间已过" in exc.value.message


def test_a_draft_may_change_anything_and_remaining_follows_stock():
    centre = CentreAdminFactory()
    offer = offer_create(actor=centre, **fields())
    offer = offer_update(actor=centre, offer=offer, stock=20, per_person_limit=2)
    assert (offer.stock, offer.remaining, offer.per_person_limit) == (20, 20, 2)
    event = AuditEvent.objects.get(action="welfare.offer_update")
    assert event.summary["before"]["stock"] == 100 and event.summary["after"]["stock"] == 20


def test_a_published_offer_keeps_its_stock_and_times_but_texts_may_change():
    centre = CentreAdminFactory()
    offer = offer_publish(
        actor=centre, offer=offer_create(actor=centre, **fields()), at=T0 - timedelta(days=1)
    )
    with pytest.raises(Conflict) as exc:
        offer_update(actor=centre, offer=offer, stock=200)
    assert "总数量" in exc.value.message
    offer = offer_update(actor=centre, offer=offer, instructions="凭证明到一楼服务台换票。")
    assert offer.instructions == "凭证明到一楼服务台换票。"


def test_a_published_winners_period_may_be_extended_but_not_shortened():
    centre = CentreAdminFactory()
    offer = offer_publish(
        actor=centre,
        offer=offer_create(actor=centre, **fields(winners_visible_until=T0 + timedelta(days=10))),
        at=T0 - timedelta(days=1),
    )
    with pytest.raises(Conflict):
        offer_update(actor=centre, offer=offer, winners_visible_until=T0 + timedelta(days=5))
    offer = offer_update(actor=centre, offer=offer, winners_visible_until=T0 + timedelta(days=20))
    assert offer.winners_until == T0 + timedelta(days=20)


def test_cancel_needs_a_reason_and_is_audited_once():
    centre = CentreAdminFactory()
    offer = offer_create(actor=centre, **fields())
    with pytest.raises(ValidationFailed):
        offer_cancel(actor=centre, offer=offer, reason=" ")
    offer_cancel(actor=centre, offer=offer, reason="场馆检修", at=T0)
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.CANCELLED
    assert AuditEvent.objects.get(action="welfare.offer_cancel").summary["note"] == "场馆检修"
    with pytest.raises(Conflict):
        offer_cancel(actor=centre, offer=offer, reason="again")
    with pytest.raises(Conflict):
        offer_update(actor=centre, offer=offer, title="x")


def test_winners_are_public_for_at_least_three_days_after_closing():
    offer = Offer(opens_at=T0, closes_at=T0 + timedelta(days=1), status=Offer.Status.PUBLISHED)
    assert offer.winners_until == T0 + timedelta(days=4)
    offer.winners_visible_until = T0 + timedelta(days=2)  # shorter than allowed: the minimum still holds
    assert offer.winners_until == T0 + timedelta(days=4)
    assert not offer.winners_visible(T0 + timedelta(hours=23))
    assert offer.winners_visible(T0 + timedelta(days=1))
    assert offer.winners_visible(T0 + timedelta(days=4))
    assert not offer.winners_visible(T0 + timedelta(days=4, seconds=1))
