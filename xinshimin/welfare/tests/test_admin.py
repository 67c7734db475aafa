"""The centre sets up offers in the Django admin; saving goes through the services (rules + audit)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from xinshimin.audit.models import AuditEvent
from xinshimin.residents.tests.factories import CentreAdminFactory, ClerkFactory, ProviderFactory
from xinshimin.welfare.models import Offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _staff_without_second_factor(settings):
    settings.XINSHIMIN_REQUIRE_STAFF_OTP = False


def centre_client() -> Client:
    client = Client()
    client.force_login(CentreAdminFactory(is_staff=True))
    return client


def form(provider, **overrides):
    data = {
        "title": "瑞安博物馆特展",
        "category": "scenic",
        "provider": provider.pk,
        "description": "",
        "stock": "50",
        "per_person_limit": "1",
        "opens_at_0": "2025-07-01",
        "opens_at_1": "10:00:00",
        "closes_at_0": "2025-07-03",
        "closes_at_1": "10:00:00",
        "instructions": "凭证明到售票处换票",
        "use_until_0": "",
        "use_until_1": "",
        "winners_visible_until_0": "",
        "winners_visible_until_1": "",
    }
    data.update(overrides)
    return data


def test_centre_creates_a_draft_offer_in_the_admin_through_the_service():
    provider = ProviderFactory()
    response = centre_client().post(reverse("admin:welfare_offer_add"), form(provider))
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get()
    assert (offer.status, offer.remaining, offer.stock) == (Offer.Status.DRAFT, 50, 50)
    assert AuditEvent.objects.filter(action="welfare.offer_create", object_id=str(offer.pk)).exists()


def test_admin_shows_the_services_message_next_to_the_field():
    provider = ProviderFactory()
    response = centre_client().post(
        reverse("admin:welfare_offer_add"), form(provider, closes_at_0="2025-06-30")
    )
    assert response.status_code == 200
    assert "截止兑换时间应晚于开放兑换时间" in response.content.decode()
    assert not Offer.objects.exists()


def test_admin_is_closed_to_other_staff():
    client = Client()
    client.force_login(ClerkFactory(is_staff=True))
    assert client.get(reverse("admin:welfare_offer_changelist")).status_code == 403


def test_service_cards_are_editable_by_the_centre():
    response = centre_client().get(reverse("admin:welfare_servicecard_changelist"))
    assert response.status_code == 200 and "就业地图" in response.content.decode()
