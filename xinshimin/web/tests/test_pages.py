"""Pages: what each role may open, and that personal data stays masked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from xinshimin.accounts.tests.factories import TEST_PASSWORD
from xinshimin.audit.models import AuditEvent
from xinshimin.residents.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    ProviderUserFactory,
    ResidentFactory,
    ReviewerFactory,
    TownFactory,
)
from xinshimin.security.otp import current_code
from xinshimin.security.testing import otp_device

pytestmark = pytest.mark.django_db

ID_A = "522401199203154513"
PHONE_A = "13812345678"


@pytest.fixture
def people():
    anyang, tangxia = TownFactory(code="anyang"), TownFactory(code="tangxia")
    a = ResidentFactory(town=anyang, with_user=True, id_number=ID_A, phone=PHONE_A, name="张小三")
    b = ResidentFactory(town=tangxia, with_user=True)
    return {
        "a": a,
        "b": b,
        "clerk_a": ClerkFactory(town=anyang),
        "clerk_b": ClerkFactory(town=tangxia),
        "reviewer": ReviewerFactory(),
        "centre": CentreAdminFactory(),
        "auditor": AuditorFactory(),
        "provider": ProviderUserFactory(),
    }


def client_for(user) -> Client:
    client = Client()
    user = getattr(user, "user", user)  # a Resident logs in through its user
    if user is not None:
        client.force_login(user)
    return client


def test_home_is_public_and_chinese_by_default():
    response = Client().get("/")
    assert response.status_code == 200
    assert "新市民积分制" in response.content.decode()


def test_home_switches_to_english():
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_openapi_document_is_served():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "xinshimin API"


@pytest.mark.parametrize("url_name", ["web:workbench", "web:resident_list", "web:audit_log"])
def test_anonymous_is_sent_to_login(url_name):
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_anonymous_cannot_open_a_resident(people):
    response = Client().get(reverse("web:resident_detail", args=[people["a"].pk]))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("a", 404),  # a resident has no register
        ("provider", 404),
        ("clerk_a", 200),
        ("reviewer", 200),
        ("centre", 200),
        ("auditor", 200),
    ],
)
def test_resident_register_access(people, who, expected):
    assert client_for(people[who]).get(reverse("web:resident_list")).status_code == expected


def test_clerk_register_lists_only_their_town_and_masks(people):
    body = client_for(people["clerk_a"]).get(reverse("web:resident_list")).content.decode()
    assert "张**" in body
    assert people["b"].masked_name not in body or people["b"].id_number_masked not in body
    assert ID_A not in body and PHONE_A not in body
    assert "522401********4513" in body


@pytest.mark.parametrize(
    ("who", "target", "expected"),
    [
        ("a", "a", 200),  # a resident may open their own record
        ("a", "b", 404),  # but nobody else's
        ("clerk_a", "a", 200),
        ("clerk_b", "a", 404),  # clerk of another town
        ("reviewer", "a", 200),
        ("centre", "b", 200),
        ("provider", "a", 404),
    ],
)
def test_resident_detail_access(people, who, target, expected):
    response = client_for(people[who]).get(reverse("web:resident_detail", args=[people[target].pk]))
    assert response.status_code == expected


def test_resident_detail_never_shows_full_id_without_a_reveal(people):
    body = (
        client_for(people["clerk_a"])
        .get(reverse("web:resident_detail", args=[people["a"].pk]))
        .content.decode()
    )
    assert ID_A not in body and PHONE_A not in body


def test_clerk_reveal_shows_full_id_once_and_is_audited(people):
    client = client_for(people["clerk_a"])
    url = reverse("web:resident_reveal", args=[people["a"].pk])
    response = client.post(url, {"field": "id_number"}, follow=True)
    assert ID_A in response.content.decode()
    event = AuditEvent.objects.filter(action="residents.reveal").latest("seq")
    assert event.actor_id == people["clerk_a"].pk
    assert ID_A not in str(event.summary)
    again = client.get(reverse("web:resident_detail", args=[people["a"].pk])).content.decode()
    assert ID_A not in again


def test_reviewer_may_not_reveal(people):
    client = client_for(people["reviewer"])
    response = client.post(
        reverse("web:resident_reveal", args=[people["a"].pk]), {"field": "id_number"}, follow=True
    )
    assert ID_A not in response.content.decode()
    assert not AuditEvent.objects.filter(action="residents.reveal").exists()


def test_clerk_of_another_town_cannot_reveal(people):
    response = client_for(people["clerk_b"]).post(
        reverse("web:resident_reveal", args=[people["a"].pk]), {"field": "id_number"}
    )
    assert response.status_code == 404


def test_resident_workbench_shows_own_data_masked(people):
    body = client_for(people["a"].user).get(reverse("web:workbench")).content.decode()
    assert "张小三" in body  # their own name, in full
    assert "522401********4513" in body
    assert ID_A not in body
    assert people["b"].id_number_masked not in body


@pytest.mark.parametrize(
    ("who", "expected"), [("a", 404), ("clerk_a", 404), ("reviewer", 404), ("auditor", 200), ("centre", 200)]
)
def test_audit_log_access(people, who, expected):
    assert client_for(people[who]).get(reverse("web:audit_log")).status_code == expected


def test_audit_log_page_verifies_chain(people):
    body = client_for(people["auditor"]).get(reverse("web:audit_log") + "?verify=1").content.decode()
    assert "审计链完整" in body


def test_login_locks_one_user_after_repeated_failures_not_the_site(people):
    client = Client()
    username = people["clerk_a"].username
    for _ in range(5):
        client.post(reverse("web:login"), {"username": username, "password": "wrong-password"})
    locked = client.post(reverse("web:login"), {"username": username, "password": TEST_PASSWORD})
    assert locked.status_code == 429
    other = Client().post(
        reverse("web:login"), {"username": people["clerk_b"].username, "password": TEST_PASSWORD}
    )
    assert other.status_code == 302


def test_login_with_right_password_reaches_workbench(people):
    client = Client()
    response = client.post(
        reverse("web:login"), {"username": people["clerk_a"].username, "password": TEST_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    # Staff enter their authenticator code after the password (xinshimin/security), then the workbench opens.
    otp_step = response.redirect_chain[-1][0]
    assert otp_step.startswith(reverse("security:otp"))
    code = current_code(otp_device(people["clerk_a"]))
    response = client.post(otp_step, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:workbench")
    assert "我的工作台" in response.content.decode()
