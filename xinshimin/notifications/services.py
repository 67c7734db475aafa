"""Notices and text messages. Other apps call ``notify`` after their transaction commits:

    transaction.on_commit(lambda: notify(resident=claim.resident, title="申报已受理",
                                         body="…", link=url, sms=True))

``notify`` writes the in-app notice (and, with ``sms=True``, an outbox row) and hands the text message to a
background task once its own write has committed. A message that cannot be sent stays in the outbox and is
retried by ``sms_outbox_flush`` (the ``sms_send_queued`` command, run by cron or the worker).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from xinshimin.core import crypto
from xinshimin.core.masking import mask_phone
from xinshimin.residents.models import Resident

from .models import Notice, SmsMessage
from .sms import SmsSendError, sms_backend

logger = logging.getLogger(__name__)

SMS_SIGNATURE = "【瑞安新居民】"
SMS_MAX_LENGTH = 300


def _sms_text(title: str, body: str) -> str:
    text = f"{SMS_SIGNATURE}{title}" + (f"：{body}" if body else "")
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"


def notify(
    *,
    resident: Resident | None = None,
    user: Any = None,
    title: str,
    body: str,
    link: str = "",
    sms: bool = False,
) -> Notice:
    """Tell one person something: an in-app notice, and with ``sms`` a text message to their phone.

    Give ``resident`` (a new citizen, with or without a login) or ``user`` (any login). Text messages go
    to residents only (staff have no phone on file); for a resident-role ``user`` the linked resident's
    phone is used.
    """
    if (resident is None) == (user is None):
        raise ValueError("notify needs exactly one of resident= or user=")
    if user is not None and resident is None and getattr(user, "role", "") == "resident":
        resident = Resident.objects.filter(user_id=user.pk).first()
    with transaction.atomic():
        notice = Notice.objects.create(
            user_id=(user.pk if user is not None else resident.user_id if resident else None),
            resident=resident,
            title=title[:120],
            body=body,
            link=link[:300],
        )
        message = None
        if sms and resident is not None:
            phone = resident.phone
            message = SmsMessage.objects.create(
                notice=notice,
                resident=resident,
                phone_cipher=crypto.encrypt(phone),
                phone_masked=mask_phone(phone),
                body=_sms_text(title, body),
            )
    if message is not None:
        message_id = message.pk
        transaction.on_commit(lambda: _enqueue_sms(message_id))
    return notice


def _enqueue_sms(message_id: int) -> None:
    try:
        sms_send_task.enqueue(message_id)
    except Exception:  # the outbox keeps the message; sms_outbox_flush retries it
        logger.exception("could not enqueue text message %s; it stays in the outbox", message_id)


def sms_send(*, message_id: int) -> SmsMessage | None:
    """Send one queued message through the configured gateway; record the outcome."""
    with transaction.atomic():
        message = (
            SmsMessage.objects.select_for_update()
            .filter(pk=message_id, status=SmsMessage.Status.QUEUED)
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        try:
            message.gateway_id = sms_backend().send(phone=message.phone, body=message.body)[:128]
        except SmsSendError as exc:
            message.error = str(exc)[:300]
            if message.attempts >= SmsMessage.MAX_ATTEMPTS:
                message.status = SmsMessage.Status.FAILED
        else:
            message.status = SmsMessage.Status.SENT
            message.sent_at = timezone.now()
            message.error = ""
        message.save(update_fields=["attempts", "gateway_id", "error", "status", "sent_at"])
    return message


@task()
def sms_send_task(message_id: int) -> str:
    """Background task: send one text message from the outbox."""
    message = sms_send(message_id=message_id)
    return message.status if message else "skipped"


def sms_outbox_flush(*, limit: int = 200) -> dict[str, int]:
    """Try every queued message (oldest first, at most ``limit``); for cron or the worker."""
    counts = {"sent": 0, "queued": 0, "failed": 0}
    ids = list(
        SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        message = sms_send(message_id=message_id)
        if message is not None:
            counts[message.status] += 1
    return counts


def _own(user: Any) -> Q:
    return Q(user_id=user.pk) | Q(resident__user_id=user.pk)


def notice_list(*, user: Any, unread_only: bool = False) -> Any:
    """The notices of a login (its own, and those of the resident it is linked to), newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notice.objects.none()
    rows = Notice.objects.filter(_own(user))
    return rows.filter(read_at__isnull=True) if unread_only else rows


def notice_unread_count(*, user: Any) -> int:
    return int(notice_list(user=user, unread_only=True).count())


def notices_mark_read(*, user: Any, notice_id: int | None = None) -> int:
    """Mark one notice (or all of them) of ``user`` as read; returns how many changed."""
    rows = notice_list(user=user, unread_only=True)
    if notice_id is not None:
        rows = rows.filter(pk=notice_id)
    return int(rows.update(read_at=timezone.now()))
