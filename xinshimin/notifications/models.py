"""In-app notices and the SMS outbox.

A ``Notice`` is what a person sees in the app (title, body, an optional link). An ``SmsMessage`` is a text
message waiting to be sent (or sent, or failed) through the configured gateway; the phone number is stored
encrypted and masked, like every phone number on the platform.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinshimin.core import crypto
from xinshimin.residents.models import Resident


class Notice(models.Model):
    """A message for one login (``user``) or for a resident who may not have a login yet (``resident``).

    A resident's notices are shown to whoever logs in as that resident, including notices created before
    the account was linked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        constraints = [
            models.CheckConstraint(
                name="notice_has_recipient", condition=Q(user__isnull=False) | Q(resident__isnull=False)
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notice_user_unread"),
            models.Index(fields=["resident", "read_at"], name="notice_resident_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SmsMessage(models.Model):
    """One text message in the outbox. Sent by a task after the transaction that queued it commits."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    MAX_ATTEMPTS = 5

    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages"
    )
    phone_cipher = models.TextField(editable=False)
    phone_masked = models.CharField(_("手机号（脱敏）"), max_length=11, editable=False)
    body = models.CharField(_("短信内容"), max_length=500)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    gateway_id = models.CharField(_("网关消息编号"), max_length=128, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        constraints = [
            models.CheckConstraint(
                name="sms_status_valid", condition=Q(status__in=["queued", "sent", "failed"])
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="sms_outbox")]

    def __str__(self) -> str:
        return f"{self.phone_masked} ({self.get_status_display()})"

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_cipher)
