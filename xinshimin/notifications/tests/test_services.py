"""Notices and the SMS outbox: written with the change, sent after commit, retried when the gateway fails."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from xinshimin.notifications.models import Notice, SmsMessage
from xinshimin.notifications.services import (
    notice_list,
    notice_unread_count,
    notices_mark_read,
    notify,
    sms_outbox_flush,
    sms_send,
)
from xinshimin.notifications.sms import ConsoleSmsBackend, MemorySmsBackend, sms_backend
from xinshimin.residents.tests.factories import ResidentFactory, ReviewerFactory, UserFactory

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _memory_sms(settings):  # type: ignore[no-untyped-def]
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.MemorySmsBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    MemorySmsBackend.outbox.clear()


@pytest.mark.django_db
def test_a_text_message_is_sent_only_after_the_transaction_commits(django_capture_on_commit_callbacks):
    resident = ResidentFactory(with_user=True, phone=PHONE)
    with django_capture_on_commit_callbacks() as callbacks:
        notify(resident=resident, title="申报已受理", body="编号 SB-2025-000001", link="/claims/1/", sms=True)
    assert MemorySmsBackend.outbox == []  # not before commit
    assert SmsMessage.objects.get().status == SmsMessage.Status.QUEUED
    for callback in callbacks:
        callback()
    assert MemorySmsBackend.outbox == [
        {"phone": PHONE, "body": "【瑞安新居民】申报已受理：编号 SB-2025-000001"}
    ]
    message = SmsMessage.objects.get()
    assert message.status == SmsMessage.Status.SENT and message.phone_masked == "138****5678"
    assert PHONE not in message.phone_cipher and message.attempts == 1


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    resident = ResidentFactory(with_user=True)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(resident=resident, title="x", body="y", sms=True)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert MemorySmsBackend.outbox == [] and not SmsMessage.objects.exists() and not Notice.objects.exists()


@pytest.mark.django_db
def test_a_resident_sees_notices_written_before_their_login_was_linked():
    resident = ResidentFactory()
    notify(resident=resident, title="窗口代办已受理", body="…")
    user = UserFactory(role="resident")
    assert notice_list(user=user).count() == 0
    resident.user = user
    resident.save()
    assert [n.title for n in notice_list(user=user)] == ["窗口代办已受理"]
    assert notice_unread_count(user=user) == 1
    assert notices_mark_read(user=user) == 1
    assert notice_unread_count(user=user) == 0


@pytest.mark.django_db
def test_staff_get_notices_but_no_text_messages():
    reviewer = ReviewerFactory()
    notice = notify(user=reviewer, title="新的复核申请", body="SB-2025-000002", sms=True)
    assert notice.user == reviewer and not SmsMessage.objects.exists()
    other = ReviewerFactory()
    assert notices_mark_read(user=other, notice_id=notice.pk) == 0  # not theirs


@pytest.mark.django_db
def test_notify_needs_exactly_one_recipient():
    with pytest.raises(ValueError):
        notify(title="x", body="y")


@pytest.mark.django_db
def test_a_failing_gateway_keeps_the_message_and_gives_up_after_five_attempts(settings):
    resident = ResidentFactory()
    notify(resident=resident, title="x", body="y", sms=True)  # on_commit does not run in this test
    message = SmsMessage.objects.get()
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.FailingSmsBackend"
    for _attempt in range(4):
        assert sms_send(message_id=message.pk).status == SmsMessage.Status.QUEUED
    failed = sms_send(message_id=message.pk)
    assert failed.status == SmsMessage.Status.FAILED and failed.attempts == 5
    assert failed.error == "gateway unavailable"
    assert sms_send(message_id=message.pk) is None  # no longer queued


@pytest.mark.django_db
def test_the_outbox_command_sends_what_is_queued():
    for _ in range(3):
        notify(resident=ResidentFactory(), title="提醒", body="请补充材料", sms=True)
    out = StringIO()
    call_command("sms_send_queued", stdout=out)
    assert "sent 3" in out.getvalue()
    assert len(MemorySmsBackend.outbox) == 3
    assert sms_outbox_flush() == {"sent": 0, "queued": 0, "failed": 0}


def test_the_console_backend_masks_the_number(settings):
    stream = StringIO()
    ConsoleSmsBackend(stream).send(phone=PHONE, body="您好")
    assert "138****5678" in stream.getvalue() and PHONE not in stream.getvalue()
    settings.XINSHIMIN_SMS_BACKEND = "xinshimin.notifications.sms.ConsoleSmsBackend"
    assert isinstance(sms_backend(), ConsoleSmsBackend)


@pytest.mark.django_db
def test_long_messages_are_cut_for_sms():
    notify(resident=ResidentFactory(), title="标题", body="很长" * 400, sms=True)
    assert len(SmsMessage.objects.get().body) == 300
