"""API authentication and CSRF: bearer tokens need no CSRF token, browser sessions do."""

from __future__ import annotations

import pytest
from django.test import Client

from xinshimin.accounts.services import api_token_issue
from xinshimin.accounts.tests.factories import CentreAdminFactory, ClerkFactory
from xinshimin.audit.models import AuditEvent
from xinshimin.residents.tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_token():
    clerk = ClerkFactory()
    _token, raw = api_token_issue(actor=CentreAdminFactory(), user=clerk, name="窗口系统")
    return clerk, raw


def test_a_department_system_posts_with_its_token_and_no_csrf_token(clerk_token):
    clerk, raw = clerk_token
    resident = ResidentFactory(town=clerk.town)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/residents/{resident.pk}/reveal",
        {"field": "id_number"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_X_REQUEST_ID="system-call-0001",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="residents.reveal")
    assert (event.actor_id, event.request_id) == (clerk.pk, "system-call-0001")


def test_a_browser_session_post_still_needs_the_csrf_token():
    clerk = ClerkFactory()
    resident = ResidentFactory(town=clerk.town)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post(
        f"/api/residents/{resident.pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="residents.reveal").exists()


def test_a_wrong_token_is_refused_as_unauthenticated_not_as_csrf(clerk_token):
    response = Client(enforce_csrf_checks=True).post(
        "/api/residents/1/reveal",
        {"field": "id_number"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer xsm_wrong",
    )
    assert response.status_code == 401
