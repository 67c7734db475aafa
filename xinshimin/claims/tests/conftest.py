from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from xinshimin.notifications.sms import MemorySmsBackend

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.MemorySmsBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    MemorySmsBackend.outbox.clear()
    return settings.PRIVATE_MEDIA_ROOT


def at(day: dt.date, hour: int = 10) -> time_machine.travel:
    """Freeze the clock at ``hour`` o'clock of ``day`` in Rui'an."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def frozen() -> Iterator[object]:
    yield at
