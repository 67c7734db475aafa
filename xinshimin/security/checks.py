"""Production checks, run by ``manage.py check --deploy`` next to Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not getattr(settings, "XINSHIMIN_REQUIRE_STAFF_OTP", True):
        messages.append(
            Error(
                "Staff two-factor login is switched off.",
                hint="Unset XINSHIMIN_REQUIRE_STAFF_OTP (or set it to 1): staff see ID numbers and children's data.",
                id="xinshimin.security.E001",
            )
        )
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        messages.append(
            Warning(
                "Rate limits are counted per process: each gunicorn worker allows the full limit.",
                hint="Set REDIS_URL so that the default cache (and the rate limits) is shared by every worker.",
                id="xinshimin.security.W002",
            )
        )
    if not getattr(settings, "XINSHIMIN_RATE_LIMITS_ENABLED", True):
        messages.append(
            Error(
                "Rate limits are switched off.",
                hint="Unset XINSHIMIN_RATE_LIMITS_ENABLED (or set it to 1).",
                id="xinshimin.security.E003",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        messages.append(
            Warning(
                "The database is SQLite.",
                hint="Set DATABASE_URL to PostgreSQL: the audit trail is append-only only on PostgreSQL, "
                "and scripts/backup.sh expects it.",
                id="xinshimin.security.W004",
            )
        )
    directives = getattr(settings, "CONTENT_SECURITY_POLICY", {}).get("DIRECTIVES", {})
    unsafe = [
        f"{name} {value}"
        for name in ("default-src", "script-src")
        for value in directives.get(name, [])
        if value in ("'unsafe-inline'", "'unsafe-eval'")
    ]
    if unsafe or not directives.get("frame-ancestors"):
        messages.append(
            Error(
                f"The Content Security Policy is weakened: {', '.join(unsafe) or 'no frame-ancestors'}.",
                hint="Keep scripts in static files or give inline ones the nonce (request.csp_nonce).",
                id="xinshimin.security.E005",
            )
        )
    return messages
