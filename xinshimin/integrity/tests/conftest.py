from __future__ import annotations

import pytest

from xinshimin.notifications.sms import MemorySmsBackend
from xinshimin.scoring.selectors import policy_cache_clear


@pytest.fixture(autouse=True)
def _integrity_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploads in a temporary folder, text messages in memory and sent at once, a fresh policy cache."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.MemorySmsBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    MemorySmsBackend.outbox.clear()
    policy_cache_clear()
    yield
    policy_cache_clear()
