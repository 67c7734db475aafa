"""The JSON API: authentication (session or bearer token), visibility and error shapes."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from xinshimin.accounts.models import ApiToken
from xinshimin.accounts.services import api_token_issue, api_token_revoke
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import PermissionDenied
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ClerkFactory,
    ResidentFactory,
    ReviewerFactory,
    TownFactory,
)

pytestmark = pytest.mark.django_db

ID_A = "522401199203154513"


@pytest.fixture
def world():
    anyang, tangxia = TownFactory(code="anyang"), TownFactory(code="tangxia")
    return {
        "a": ResidentFactory(town=anyang, with_user=True, id_number=ID_A),
        "b": ResidentFactory(town=tangxia, with_user=True),
        "clerk_a": ClerkFactory(town=anyang),
        "reviewer": ReviewerFactory(),
        "centre": CentreAdminFactory(),
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_gets_401_with_a_message():
    response = Client().get("/api/residents")
    assert response.status_code == 401
    assert "登录" in response.json()["error"]["message"]


def test_health_is_public():
    response = Client().get("/api/system/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_resident_sees_only_themself(world):
    rows = logged_in(world["a"].user).get("/api/residents").json()["items"]
    assert [r["id"] for r in rows] == [world["a"].pk]
    assert rows[0]["id_number_masked"] == "522401********4513"
    assert logged_in(world["a"].user).get(f"/api/residents/{world['b'].pk}").status_code == 404


def test_clerk_sees_only_their_town(world):
    rows = logged_in(world["clerk_a"]).get("/api/residents").json()["items"]
    assert {r["town"] for r in rows} == {"安阳街道"}
    assert logged_in(world["clerk_a"]).get(f"/api/residents/{world['b'].pk}").status_code == 404


def test_centre_sees_everyone_paginated(world):
    body = logged_in(world["centre"]).get("/api/residents?limit=1").json()
    assert body["count"] == 2
    assert len(body["items"]) == 1


def test_session_post_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["clerk_a"])
    response = client.post(
        f"/api/residents/{world['a'].pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="residents.reveal").exists()


def test_reveal_through_api_is_audited(world):
    response = logged_in(world["clerk_a"]).post(
        f"/api/residents/{world['a'].pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["value"] == ID_A
    assert AuditEvent.objects.filter(action="residents.reveal", actor_id=world["clerk_a"].pk).count() == 1


def test_reveal_refused_for_reviewer_with_403(world):
    response = logged_in(world["reviewer"]).post(
        f"/api/residents/{world['a'].pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_reveal_of_unknown_field_is_422(world):
    response = logged_in(world["clerk_a"]).post(
        f"/api/residents/{world['a'].pk}/reveal", {"field": "address"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_bearer_token_authenticates_a_department_system(world):
    token, raw = api_token_issue(actor=world["centre"], user=world["reviewer"], name="公安数据交换")
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == world["reviewer"].username
    assert ApiToken.objects.get(pk=token.pk).digest != raw  # only the digest is stored


def test_revoked_or_wrong_token_is_refused(world):
    token, raw = api_token_issue(actor=world["centre"], user=world["reviewer"], name="x")
    api_token_revoke(actor=world["centre"], token=token)
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert Client().get("/api/me", HTTP_AUTHORIZATION="Bearer xsm_not-a-token").status_code == 401


def test_tokens_are_not_issued_to_residents_or_by_non_admins(world):
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=world["centre"], user=world["a"].user, name="x")
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=world["clerk_a"], user=world["reviewer"], name="x")


def test_token_never_reaches_the_logs(world, caplog, settings):
    settings.DEBUG = True  # ninja's bearer class logs unexpected headers in DEBUG; ours must not
    caplog.set_level(logging.DEBUG)
    _, raw = api_token_issue(actor=world["centre"], user=world["reviewer"], name="x")
    Client().get("/api/me", HTTP_AUTHORIZATION=f"Token {raw}")
    Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert raw not in caplog.text


def test_working_day_deadline_endpoint_is_public():
    response = Client().get("/api/workdays/deadline?start=2025-09-26&working_days=5")
    assert response.status_code == 200
    # 2025: Sep 28 (Sun) is a working day, Oct 1–8 are holidays.
    assert response.json()["deadline"] == "2025-10-10"


def test_working_day_deadline_without_calendar_is_refused_clearly():
    response = Client().get("/api/workdays/deadline?start=2031-03-02&working_days=5")
    assert response.status_code == 409
    assert "2031" in response.json()["error"]["message"]
