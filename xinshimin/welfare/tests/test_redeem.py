"""offer_redeem: every answer (success, replay, each refusal) and the time windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import NotFound, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import CentreAdminFactory, ResidentFactory, ResidentUserFactory
from xinshimin.scoring.models import ScoreSnapshot
from xinshimin.welfare.errors import (
    AlreadyRedeemed,
    IdempotencyKeyReused,
    NotEligible,
    OfferCancelled,
    OfferClosed,
    OfferNotOpen,
    SoldOut,
)
from xinshimin.welfare.models import Certificate, Offer, Redemption
from xinshimin.welfare.services import offer_redeem

from .helpers import T0, eligible_resident, give_points, make_offer

pytestmark = pytest.mark.django_db

KEY = "key-0001-abcdef"


def redeem(resident, offer, key=KEY, at=T0 + timedelta(minutes=1)):
    return offer_redeem(actor=resident.user, offer=offer, idempotency_key=key, at=at)


def test_redeem_grants_a_unit_with_a_certificate_and_an_audit_event():
    resident, offer = eligible_resident(), make_offer(stock=5)
    result = redeem(resident, offer)
    assert not result.replayed
    assert result.redemption.resident == resident and result.redemption.n == 1
    assert result.certificate.redemption == result.redemption
    assert len(result.certificate.code) == 10
    offer.refresh_from_db()
    assert offer.remaining == 4
    event = AuditEvent.objects.get(action="welfare.redeem")
    assert event.object_id == str(result.redemption.pk)
    assert event.summary["after"]["holder"] == resident.masked_name
    assert resident.name not in str(event.summary) or len(resident.name) == 1


def test_redeem_never_touches_points():
    resident, offer = eligible_resident(points=42), make_offer()
    before = list(ScoreSnapshot.objects.filter(resident=resident).values_list("pk", "total"))
    redeem(resident, offer)
    assert list(ScoreSnapshot.objects.filter(resident=resident).values_list("pk", "total")) == before


def test_retry_with_the_same_key_returns_the_same_certificate_and_takes_one_unit():
    resident, offer = eligible_resident(), make_offer(stock=5)
    first = redeem(resident, offer)
    again = redeem(resident, Offer.objects.get(pk=offer.pk))
    assert again.replayed
    assert again.certificate.pk == first.certificate.pk
    assert Offer.objects.get(pk=offer.pk).remaining == 4
    assert Redemption.objects.count() == 1


def test_retry_of_a_success_still_answers_after_the_window_closed():
    resident, offer = eligible_resident(), make_offer()
    first = redeem(resident, offer)
    later = redeem(resident, offer, at=offer.closes_at + timedelta(days=1))
    assert later.replayed and later.certificate.pk == first.certificate.pk


def test_second_redemption_with_a_new_key_is_refused_as_already_redeemed():
    resident, offer = eligible_resident(), make_offer()
    redeem(resident, offer)
    with pytest.raises(AlreadyRedeemed) as exc:
        redeem(resident, offer, key="key-0002-abcdef")
    assert "已兑换过" in exc.value.message and "每人限兑 1 份" in exc.value.message
    assert exc.value.http_status == 409


def test_per_person_limit_of_two_allows_two_then_refuses():
    resident, offer = eligible_resident(), make_offer(per_person_limit=2)
    first = redeem(resident, offer, key="key-a-123456")
    second = redeem(resident, offer, key="key-b-123456")
    assert (first.redemption.n, second.redemption.n) == (1, 2)
    assert first.certificate.code != second.certificate.code
    with pytest.raises(AlreadyRedeemed):
        redeem(resident, offer, key="key-c-123456")


def test_sold_out_is_refused_with_the_stock_in_the_message():
    offer = make_offer(stock=1, title="玉海楼讲解")
    redeem(eligible_resident(), offer)
    with pytest.raises(SoldOut) as exc:
        redeem(eligible_resident(), Offer.objects.get(pk=offer.pk))
    assert (
        "玉海楼讲解" in exc.value.message and "已兑完" in exc.value.message and "共 1 份" in exc.value.message
    )
    assert "不扣积分" in exc.value.message


def test_sold_out_is_decided_by_the_database_even_when_the_loaded_offer_is_stale():
    offer = make_offer(stock=1)
    stale = Offer.objects.get(pk=offer.pk)  # says remaining=1
    redeem(eligible_resident(), offer)
    with pytest.raises(SoldOut):
        redeem(eligible_resident(), stale)
    assert Redemption.objects.count() == 1 and Certificate.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).remaining == 0


def test_not_yet_open_says_when_it_opens():
    resident, offer = eligible_resident(), make_offer(opens_at=T0)
    with pytest.raises(OfferNotOpen) as exc:
        redeem(resident, offer, at=T0 - timedelta(seconds=1))
    assert "2025-06-01 10:00:00" in exc.value.message and "尚未开始" in exc.value.message
    assert exc.value.details["opens_at"] == T0.isoformat()


def test_window_opens_exactly_at_opens_at_and_closes_exactly_at_closes_at():
    offer = make_offer(stock=5, opens_at=T0, closes_at=T0 + timedelta(hours=1))
    assert not redeem(eligible_resident(), offer, at=T0).replayed
    assert not redeem(eligible_resident(), offer, at=T0 + timedelta(minutes=59, seconds=59)).replayed
    with pytest.raises(OfferClosed) as exc:
        redeem(eligible_resident(), offer, at=T0 + timedelta(hours=1))
    assert "已于 2025-06-01 11:00:00 截止" in exc.value.message


def test_window_follows_the_clock_when_no_time_is_given():
    resident, offer = eligible_resident(), make_offer(opens_at=T0, closes_at=T0 + timedelta(hours=1))
    with time_machine.travel(T0 - timedelta(minutes=5), tick=False), pytest.raises(OfferNotOpen):
        offer_redeem(actor=resident.user, offer=offer, idempotency_key=KEY)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        result = offer_redeem(actor=resident.user, offer=offer, idempotency_key=KEY)
    assert result.redemption.granted_at == T0 + timedelta(minutes=5)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False), pytest.raises(OfferClosed):
        offer_redeem(actor=eligible_resident().user, offer=offer, idempotency_key=KEY)


def test_not_eligible_gives_the_reason():
    resident = ResidentFactory(with_user=True, permit__status="expired")
    give_points(resident, 80)
    with pytest.raises(NotEligible) as exc:
        redeem(resident, make_offer())
    assert "居住证" in exc.value.message
    assert exc.value.details["reason"] == "no_valid_permit"
    assert exc.value.http_status == 403
    assert Redemption.objects.count() == 0


def test_resident_without_points_is_not_eligible():
    resident = ResidentFactory(with_user=True)
    with pytest.raises(NotEligible) as exc:
        redeem(resident, make_offer())
    assert "积分需大于 0" in exc.value.message


def test_cancelled_offer_is_refused():
    with pytest.raises(OfferCancelled) as exc:
        redeem(eligible_resident(), make_offer(status=Offer.Status.CANCELLED))
    assert "已取消" in exc.value.message


def test_draft_offer_is_not_found():
    with pytest.raises(NotFound):
        redeem(eligible_resident(), make_offer(status=Offer.Status.DRAFT))


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_key_is_refused_with_how_to_fix(key):
    with pytest.raises(ValidationFailed) as exc:
        redeem(eligible_resident(), make_offer(), key=key)
    assert "Idempotency-Key" in exc.value.message and exc.value.field == "idempotency_key"


@pytest.mark.parametrize("key", ["short", "x" * 65, "含有中文的键值12345", "bad key with spaces"])
def test_malformed_key_is_refused(key):
    with pytest.raises(ValidationFailed) as exc:
        redeem(eligible_resident(), make_offer(), key=key)
    assert "8–64" in exc.value.message


def test_a_key_used_for_another_offer_is_refused():
    resident = eligible_resident()
    redeem(resident, make_offer())
    with pytest.raises(IdempotencyKeyReused) as exc:
        redeem(resident, make_offer(title="另一项"))
    assert "新的幂等键" in exc.value.message


def test_two_residents_may_use_the_same_key():
    offer = make_offer(stock=2)
    redeem(eligible_resident(), offer)
    assert not redeem(eligible_resident(), offer).replayed


def test_only_a_resident_may_redeem():
    with pytest.raises(PermissionDenied) as exc:
        offer_redeem(actor=CentreAdminFactory(), offer=make_offer(), idempotency_key=KEY, at=T0)
    assert "新市民本人" in exc.value.message


def test_resident_login_without_a_resident_record_is_told_where_to_go():
    with pytest.raises(PermissionDenied) as exc:
        offer_redeem(actor=ResidentUserFactory(), offer=make_offer(), idempotency_key=KEY, at=T0)
    assert "窗口" in exc.value.message


def test_stock_cannot_go_negative_in_the_database():
    from django.db import IntegrityError, transaction
    from django.db.models import F

    offer = make_offer(stock=1, remaining=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(remaining=F("remaining") - 1)


def test_a_resident_cannot_hold_the_same_slot_twice_in_the_database():
    from django.db import IntegrityError, transaction

    resident, offer = eligible_resident(), make_offer()
    Redemption.objects.create(offer=offer, resident=resident, n=1, idempotency_key="a" * 10, granted_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(
            offer=offer, resident=resident, n=1, idempotency_key="b" * 10, granted_at=T0
        )


def test_redeem_with_asynchronous_commit_switched_on_still_grants_once(settings):
    settings.XINSHIMIN_WELFARE_ASYNC_COMMIT = True
    resident, offer = eligible_resident(), make_offer(stock=2)
    first = redeem(resident, offer)
    assert redeem(resident, offer).certificate.pk == first.certificate.pk
    assert Offer.objects.get(pk=offer.pk).remaining == 1
