"""Staff two-factor login: enrolment, the code step, the gate on pages and on the session API."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinshimin.accounts.services import api_token_issue
from xinshimin.accounts.tests.factories import (
    TEST_PASSWORD,
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    FundOfficerFactory,
    ProviderUserFactory,
    ResidentUserFactory,
    ReviewerFactory,
    UserFactory,
)
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import PermissionDenied
from xinshimin.security.otp import current_code, otp_reset, requires_otp
from xinshimin.security.testing import force_login_unverified, otp_device, otp_login

pytestmark = pytest.mark.django_db

OTP_URL = reverse("security:otp")


def password_login(user) -> Client:
    client = Client()
    response = client.post(reverse("web:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("factory", "needs"),
    [
        (ClerkFactory, True),
        (ReviewerFactory, True),
        (CentreAdminFactory, True),
        (FundOfficerFactory, True),
        (AuditorFactory, True),
        (ResidentUserFactory, False),
        (ProviderUserFactory, False),
    ],
)
def test_which_roles_need_a_second_factor(factory, needs):
    assert requires_otp(factory()) is needs


def test_any_login_that_may_open_the_django_admin_needs_a_second_factor():
    assert requires_otp(UserFactory(is_staff=True))
    assert requires_otp(UserFactory(is_superuser=True))


def test_first_login_enrols_an_authenticator_then_reaches_the_page_asked_for():
    clerk = ClerkFactory()
    client = password_login(clerk)
    page = client.get(reverse("web:resident_list"))
    assert page.status_code == 302
    assert page["Location"] == f"{OTP_URL}?next={quote('/residents/', safe='')}"

    enrol = client.get(page["Location"])
    body = enrol.content.decode()
    assert enrol.status_code == 200
    assert "<svg" in body and "绑定" in body
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    assert enrol.context["secret"] in body

    wrong = client.post(OTP_URL, {"code": "000000", "next": "/residents/"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code started the back-off; wait it out
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post(OTP_URL, {"code": current_code(device), "next": "/residents/"})
    assert done.status_code == 302 and done["Location"] == "/residents/"
    assert client.get(reverse("web:resident_list")).status_code == 200
    assert TOTPDevice.objects.get(user=clerk).confirmed
    event = AuditEvent.objects.get(action="security.otp_enrol")
    assert event.actor_id == clerk.pk


def test_later_logins_ask_for_the_code_and_refuse_a_replayed_one():
    reviewer = ReviewerFactory()
    device = otp_device(reviewer)
    code = current_code(device)

    first = password_login(reviewer)
    assert first.get(reverse("web:workbench"))["Location"].startswith(OTP_URL)
    page = first.get(OTP_URL)
    assert "<svg" not in page.content.decode()  # no new QR code once enrolled
    assert first.post(OTP_URL, {"code": code})["Location"] == reverse("web:workbench")
    assert first.get(reverse("web:workbench")).status_code == 200

    second = password_login(reviewer)
    replay = second.post(OTP_URL, {"code": code})
    assert replay.status_code == 200
    assert "验证码不正确" in replay.content.decode()
    assert second.get(reverse("web:workbench")).status_code == 302


def test_the_session_key_changes_when_the_code_is_accepted():
    auditor = AuditorFactory()
    device = otp_device(auditor)
    client = password_login(auditor)
    before = client.cookies["sessionid"].value
    client.post(OTP_URL, {"code": current_code(device)})
    assert client.cookies["sessionid"].value != before


def test_next_pointing_to_another_site_is_ignored():
    clerk = ClerkFactory()
    device = otp_device(clerk)
    client = password_login(clerk)
    response = client.post(OTP_URL, {"code": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:workbench")


def test_code_format_is_explained():
    clerk = ClerkFactory()
    otp_device(clerk)
    client = password_login(clerk)
    response = client.post(OTP_URL, {"code": "12ab"})
    assert "6 位数字验证码" in response.content.decode()


def test_repeated_wrong_codes_are_slowed_down():
    clerk = ClerkFactory()
    device = otp_device(clerk)
    client = password_login(clerk)
    client.post(OTP_URL, {"code": "000000"})
    response = client.post(OTP_URL, {"code": current_code(device)})  # right code, but within the back-off
    assert "错误次数过多" in response.content.decode()
    assert client.get(reverse("web:workbench")).status_code == 302


@pytest.mark.parametrize("factory", [ResidentUserFactory, ProviderUserFactory])
def test_residents_and_provider_staff_need_only_the_password(factory):
    client = password_login(factory())
    assert client.get(reverse("web:workbench")).status_code == 200
    assert client.get(OTP_URL)["Location"] == reverse("web:workbench")


def test_unverified_staff_session_is_refused_by_the_api_with_an_explanation():
    client = Client()
    force_login_unverified(client, CentreAdminFactory())
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_required"
    assert "验证码" in response.json()["error"]["message"]


def test_bearer_tokens_are_unaffected_and_win_over_an_unverified_session():
    centre, reviewer = CentreAdminFactory(), ReviewerFactory()
    _token, raw = api_token_issue(actor=centre, user=reviewer, name="公安数据交换")
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["username"] == reviewer.username

    client = Client()
    force_login_unverified(client, centre)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == reviewer.username  # the token, not the unverified session


def test_verified_staff_session_may_use_the_api():
    client = Client()
    otp_login(client, CentreAdminFactory())
    assert client.get("/api/me").status_code == 200


def test_the_django_admin_is_behind_the_second_factor_too():
    admin = UserFactory(is_staff=True, is_superuser=True, role="centre_admin")
    client = Client()
    force_login_unverified(client, admin)
    assert client.get("/admin/")["Location"].startswith(OTP_URL)
    otp_login(client, admin)
    assert client.get("/admin/").status_code == 200


def test_logout_works_before_the_code_is_entered():
    client = Client()
    force_login_unverified(client, ClerkFactory())
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:workbench"))["Location"].startswith(reverse("web:login"))


def test_force_login_in_tests_gives_a_verified_staff_session():
    """The root conftest.py makes force_login pass the code step (documented for every area's tests)."""
    client = Client()
    client.force_login(ClerkFactory())
    assert client.get(reverse("web:workbench")).status_code == 200


def test_the_requirement_can_be_switched_off_for_development(settings):
    settings.XINSHIMIN_REQUIRE_STAFF_OTP = False
    client = Client()
    force_login_unverified(client, ClerkFactory())
    assert client.get(reverse("web:workbench")).status_code == 200


def test_centre_admin_resets_a_lost_authenticator_and_it_is_audited():
    centre, clerk = CentreAdminFactory(), ClerkFactory()
    otp_device(clerk)
    with pytest.raises(PermissionDenied):
        otp_reset(actor=ClerkFactory(), user=clerk, reason="手机遗失")
    assert otp_reset(actor=centre, user=clerk, reason="手机遗失") == 1
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    event = AuditEvent.objects.get(action="security.otp_reset")
    assert (event.actor_id, event.object_id, event.summary["note"]) == (centre.pk, str(clerk.pk), "手机遗失")
    client = password_login(clerk)
    assert "<svg" in client.get(OTP_URL).content.decode()  # enrols again


def test_idle_sessions_end_after_thirty_minutes():
    with time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = Client()
        client.force_login(ClerkFactory())
        workbench = reverse("web:workbench")
        assert client.get(workbench).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(workbench).status_code == 200  # activity moves the expiry forward
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(workbench).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(workbench)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_an_active_session_is_written_at_most_once_a_minute():
    def session_writes(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return sum(
            1 for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
        )

    with time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = Client()
        client.force_login(ClerkFactory())
        workbench = reverse("web:workbench")
        assert session_writes(client, workbench) == 1  # first request: the expiry is moved forward
        clock.shift(dt.timedelta(seconds=30))
        assert session_writes(client, workbench) == 0  # within the minute: nothing written
        clock.shift(dt.timedelta(seconds=31))
        assert session_writes(client, workbench) == 1
        expiry = client.session.get_expiry_date()
        assert expiry == dt.datetime(2025, 6, 2, 9, 31, 1, tzinfo=dt.UTC)


def test_anonymous_visitors_get_no_session():
    response = Client().get(reverse("web:home"))
    assert response.status_code == 200 and "sessionid" not in response.cookies
