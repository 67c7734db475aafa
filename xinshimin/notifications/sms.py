"""SMS gateways. ``settings.XINSHIMIN_SMS_BACKEND`` is the class path of the one in use.

A backend is a class with ``send(*, phone: str, body: str) -> str`` that returns the gateway's message id
and raises ``SmsSendError`` when the gateway refuses or cannot be reached. Development uses
``ConsoleSmsBackend`` (prints the message with the number masked); tests use ``MemorySmsBackend``; a
production deployment names its gateway's adapter, e.g. ``XINSHIMIN_SMS_BACKEND=ruian.sms.GovGateway``.
"""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from xinshimin.core.masking import mask_phone

DEFAULT_BACKEND = "xinshimin.notifications.sms.ConsoleSmsBackend"
logger = logging.getLogger(__name__)


class SmsSendError(Exception):
    """The gateway did not accept the message; the outbox keeps it for another attempt."""


class SmsBackend(Protocol):
    def send(self, *, phone: str, body: str) -> str: ...


class ConsoleSmsBackend:
    """Development: write the message to standard output, with the number masked."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.count = 0

    def send(self, *, phone: str, body: str) -> str:
        self.count += 1
        self.stream.write(f"[sms to {mask_phone(phone)}] {body}\n")
        return f"console-{self.count}"


class MemorySmsBackend:
    """Tests: keep sent messages in ``MemorySmsBackend.outbox`` (a class attribute, like Django's mail)."""

    outbox: ClassVar[list[dict[str, str]]] = []

    def send(self, *, phone: str, body: str) -> str:
        self.outbox.append({"phone": phone, "body": body})
        return f"memory-{len(self.outbox)}"


class FailingSmsBackend:
    """Tests: a gateway that is down."""

    def send(self, *, phone: str, body: str) -> str:
        raise SmsSendError("gateway unavailable")


@lru_cache(maxsize=4)
def _backend_class(path: str) -> type:
    return import_string(path)  # type: ignore[no-any-return]


def sms_backend() -> SmsBackend:
    """A new instance of the configured backend."""
    path = getattr(settings, "XINSHIMIN_SMS_BACKEND", "") or DEFAULT_BACKEND
    return _backend_class(path)()  # type: ignore[no-any-return]
