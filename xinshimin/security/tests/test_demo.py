"""Demo two-factor: secrets for the demo staff logins, printed with the code valid now."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinshimin.accounts.tests.factories import ClerkFactory, ProviderUserFactory, ResidentUserFactory
from xinshimin.residents.demo import DEMO_PASSWORD, DemoRefused, build_demo
from xinshimin.security.demo import enrol_demo_devices

pytestmark = pytest.mark.django_db


def test_enrolment_covers_staff_only_and_keeps_the_secret_on_a_second_run():
    clerk, resident, provider = ClerkFactory(), ResidentUserFactory(), ProviderUserFactory()
    first = enrol_demo_devices([clerk, resident, provider])
    assert list(first) == [clerk.username]
    assert re.fullmatch(r"[A-Z2-7]{32}", first[clerk.username])
    assert enrol_demo_devices([clerk]) == first
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).count() == 1


def test_enrolment_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        enrol_demo_devices([ClerkFactory()])


def test_demo_otp_prints_codes_that_let_a_demo_clerk_in():
    build_demo(residents=3)
    out = StringIO()
    call_command("demo_otp", stdout=out)
    text = out.getvalue()
    row = next(line for line in text.splitlines() if line.startswith("clerk_anyang "))
    _username, code, secret = row.split()
    assert re.fullmatch(r"\d{6}", code) and re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert "resident1" not in text  # residents need no code

    client = Client()
    client.post(reverse("web:login"), {"username": "clerk_anyang", "password": DEMO_PASSWORD})
    response = client.post(reverse("security:otp"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("web:workbench")).status_code == 200


def test_demo_otp_without_demo_logins_says_what_to_do():
    out = StringIO()
    call_command("demo_otp", stdout=out)
    assert "xinshimin demo" in out.getvalue()


def test_demo_otp_refuses_production(settings):
    settings.PRODUCTION = True
    ClerkFactory(username="clerk_anyang")
    with pytest.raises(CommandError, match="production"):
        call_command("demo_otp", stdout=StringIO())


def test_otp_reset_command_is_audited():
    clerk = ClerkFactory()
    enrol_demo_devices([clerk])
    out = StringIO()
    call_command("otp_reset", clerk.username, "--reason", "手机遗失", stdout=out)
    assert "1 device(s) removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    with pytest.raises(CommandError, match="no user"):
        call_command("otp_reset", "nobody", "--reason", "x", stdout=StringIO())
