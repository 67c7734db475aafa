"""Security headers on every response, and `manage.py check --deploy` clean with production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, RequestFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("url", ["/", "/login/", "/api/system/health", "/workbench/"])
def test_every_response_carries_the_security_headers(url):
    response = Client().get(url)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_an_inline_script_runs_only_with_the_request_nonce():
    from csp.middleware import CSPMiddleware

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">go()</script>')

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(template.render({}, request))

    request = RequestFactory().get("/")
    response = CSPMiddleware(view)(request)
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in directives(response["Content-Security-Policy"])["script-src"]
    plain = CSPMiddleware(lambda r: HttpResponse("no script"))(RequestFactory().get("/"))
    assert "nonce-" not in plain["Content-Security-Policy"]  # no nonce offered when no template asks


def test_production_checks_flag_weakened_settings(settings):
    settings.XINSHIMIN_REQUIRE_STAFF_OTP = False
    settings.XINSHIMIN_RATE_LIMITS_ENABLED = False
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", "'unsafe-inline'"]}}
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {
        "xinshimin.security.E001",
        "xinshimin.security.E003",
        "xinshimin.security.E005",
    } <= ids


def production_environment() -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("XINSHIMIN_", "DJANGO_"))}
    env.update(
        {
            "XINSHIMIN_ENV": "production",
            "XINSHIMIN_SECRET_KEY": "kR7v-test-only-" + "x9Q2pL4mZ8wN3bT6yH1cV5jF0dS7aG" * 2,
            "XINSHIMIN_FIELD_KEYS": Fernet.generate_key().decode(),
            "XINSHIMIN_BLIND_INDEX_KEY": "blind-index-test-only-0123456789abcdef",
            "XINSHIMIN_CERTIFICATE_KEY": "certificate-test-only-0123456789abcdef",
            "DJANGO_ALLOWED_HOSTS": "jfx.ruian.example",
            "DATABASE_URL": "postgres://xinshimin@db.internal:5432/xinshimin",
            "REDIS_URL": "redis://cache.internal:6379/0",
        }
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
