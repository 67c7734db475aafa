"""Pages: residents redeem and see certificates, providers check them, the centre manages offers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xinshimin.audit.models import AuditEvent
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ClerkFactory,
    ProviderFactory,
    ProviderUserFactory,
)
from xinshimin.welfare.models import Certificate, Offer, Redemption, ServiceCard
from xinshimin.welfare.services import offer_redeem

from .helpers import eligible_resident, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _staff_without_second_factor(settings):
    """The centre's pages are tested here, not the two-factor step in front of them (security tests)."""
    settings.XINSHIMIN_REQUIRE_STAFF_OTP = False


def client_for(user) -> Client:
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


@pytest.fixture
def now():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def test_offer_list_is_public_and_groups_open_and_upcoming(now):
    make_offer(title="正在兑换的门票", opens_at=now - timedelta(hours=1))
    make_offer(title="明天开放的课程", opens_at=now + timedelta(days=1))
    make_offer(title="草稿不可见", opens_at=now - timedelta(hours=1), status=Offer.Status.DRAFT)
    html = Client().get(reverse("web:welfare_offer_list")).content.decode()
    assert "正在兑换的门票" in html and "明天开放的课程" in html and "草稿不可见" not in html
    assert f'data-countdown="{24 * 3600}"' in html


def test_detail_of_an_upcoming_offer_has_a_countdown_and_a_disabled_button(now):
    resident = eligible_resident()
    offer = make_offer(opens_at=now + timedelta(minutes=10))
    html = client_for(resident).get(reverse("web:welfare_offer_detail", args=[offer.pk])).content.decode()
    assert 'data-countdown="600"' in html
    assert re.search(r'id="redeem-button"[^>]*disabled', html)


def test_resident_redeems_from_the_page_and_a_double_tap_gives_the_same_certificate(now):
    resident = eligible_resident()
    offer = make_offer(stock=3, opens_at=now - timedelta(minutes=1))
    client = client_for(resident)
    html = client.get(reverse("web:welfare_offer_detail", args=[offer.pk])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)
    url = reverse("web:welfare_offer_redeem", args=[offer.pk])
    first = client.post(url, {"idempotency_key": key})
    second = client.post(url, {"idempotency_key": key})
    certificate = Certificate.objects.get()
    expected = reverse("web:welfare_certificate_detail", args=[certificate.code])
    assert first.status_code == 302 and first["Location"] == expected
    assert second.status_code == 302 and second["Location"] == expected
    assert Offer.objects.get(pk=offer.pk).remaining == 2


def test_a_new_page_view_after_redeeming_says_already_redeemed(now):
    resident = eligible_resident()
    offer = make_offer(opens_at=now - timedelta(minutes=1))
    offer_redeem(actor=resident.user, offer=offer, idempotency_key="first-key-1")
    client = client_for(resident)
    response = client.post(
        reverse("web:welfare_offer_redeem", args=[offer.pk]), {"idempotency_key": "second-key-2"}, follow=True
    )
    assert "已兑换过" in response.content.decode()
    assert Redemption.objects.count() == 1


def test_refusals_are_shown_on_the_offer_page(now):
    resident = eligible_resident()
    offer = make_offer(opens_at=now + timedelta(hours=1))
    response = client_for(resident).post(
        reverse("web:welfare_offer_redeem", args=[offer.pk]), {"idempotency_key": "early-key-1"}, follow=True
    )
    assert "兑换尚未开始" in response.content.decode()


def test_certificate_page_shows_code_qr_and_masked_holder_only_to_the_owner(now):
    resident = eligible_resident(name="欧阳娜娜")
    offer = make_offer(opens_at=now - timedelta(minutes=1), instructions="到一楼售票处换票")
    certificate = offer_redeem(actor=resident.user, offer=offer, idempotency_key="cert-key-1").certificate
    url = reverse("web:welfare_certificate_detail", args=[certificate.code])
    html = client_for(resident).get(url).content.decode()
    assert certificate.display_code in html and "<svg" in html and "欧阳**" in html
    assert "到一楼售票处换票" in html and "欧阳娜娜" not in html
    assert client_for(eligible_resident()).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_my_certificates_lists_mine(now):
    resident = eligible_resident()
    offer = make_offer(title="科技馆门票", opens_at=now - timedelta(minutes=1))
    certificate = offer_redeem(actor=resident.user, offer=offer, idempotency_key="mine-key-1").certificate
    html = client_for(resident).get(reverse("web:welfare_certificate_list")).content.decode()
    assert "科技馆门票" in html and certificate.display_code in html


def test_provider_staff_check_and_mark_a_certificate_and_a_second_time_is_refused(now):
    provider = ProviderFactory()
    offer = make_offer(provider=provider, opens_at=now - timedelta(minutes=1))
    certificate = offer_redeem(
        actor=eligible_resident().user, offer=offer, idempotency_key="check-key-1"
    ).certificate
    staff = client_for(ProviderUserFactory(provider=provider, username="gate1"))
    html = staff.get(
        reverse("web:welfare_certificate_check"), {"code": certificate.display_code}
    ).content.decode()
    assert "确认核销" in html
    ok = staff.post(reverse("web:welfare_certificate_use"), {"code": certificate.code})
    assert ok.status_code == 200 and "核销成功" in ok.content.decode()
    again = staff.post(reverse("web:welfare_certificate_use"), {"code": certificate.code})
    assert again.status_code == 409
    assert "不能重复使用" in again.content.decode() and "gate1" in again.content.decode()


def test_check_page_is_only_for_provider_staff():
    assert client_for(ClerkFactory()).get(reverse("web:welfare_certificate_check")).status_code == 404


def test_services_directory_is_public_with_the_eight_cards():
    html = Client().get(reverse("web:welfare_service_list")).content.decode()
    for title in (
        "就业地图",
        "技能培训",
        "社会保险",
        "预约挂号",
        "劳动维权",
        "图书借阅",
        "爱心基金",
        "需求调查",
    ):
        assert title in html
    assert ServiceCard.objects.filter(is_active=True).count() == 8


def test_inactive_cards_are_hidden():
    ServiceCard.objects.filter(category="library").update(is_active=False)
    assert "图书借阅" not in Client().get(reverse("web:welfare_service_list")).content.decode()


@pytest.mark.parametrize(
    ("make_user", "title"),
    [
        (lambda: eligible_resident().user, "积分福利兑换"),
        (lambda: ProviderUserFactory(), "兑换核销"),
        (lambda: CentreAdminFactory(), "福利活动管理"),
    ],
)
def test_workbench_shows_the_welfare_card_of_the_role(make_user, title):
    html = client_for(make_user()).get(reverse("web:workbench")).content.decode()
    assert title in html
    others = {"积分福利兑换", "兑换核销", "福利活动管理"} - {title}
    assert not any(f"<h2>{other}</h2>" in html for other in others)


def test_centre_publishes_and_cancels_from_the_manage_page(now):
    centre = CentreAdminFactory()
    offer = make_offer(status=Offer.Status.DRAFT, opens_at=now + timedelta(days=1))
    client = client_for(centre)
    assert offer.title in client.get(reverse("web:welfare_manage")).content.decode()
    client.post(reverse("web:welfare_offer_publish", args=[offer.pk]))
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.PUBLISHED
    client.post(reverse("web:welfare_offer_cancel", args=[offer.pk]), {"reason": "演出延期"})
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.CANCELLED
    assert (
        AuditEvent.objects.filter(action__in=["welfare.offer_publish", "welfare.offer_cancel"]).count() == 2
    )


def test_manage_page_is_not_for_residents():
    assert client_for(eligible_resident()).get(reverse("web:welfare_manage")).status_code == 404


def test_draft_offers_are_hidden_from_the_public():
    offer = make_offer(status=Offer.Status.DRAFT)
    assert Client().get(reverse("web:welfare_offer_detail", args=[offer.pk])).status_code == 404


def test_picture_is_served_from_private_storage_for_visible_offers(tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    offer = make_offer(picture=SimpleUploadedFile("../../etc/evil name.png", png, content_type="image/png"))
    assert offer.picture.name.startswith("offers/") and ".." not in offer.picture.name
    assert (tmp_path / "welfare" / offer.picture.name).exists()
    response = Client().get(reverse("web:welfare_offer_picture", args=[offer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png
    draft = make_offer(status=Offer.Status.DRAFT, picture=SimpleUploadedFile("a.png", png))
    assert Client().get(reverse("web:welfare_offer_picture", args=[draft.pk])).status_code == 404
