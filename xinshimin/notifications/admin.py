"""Read-only admin views of notices and of the SMS outbox (numbers masked)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Notice, SmsMessage


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(_ReadOnly):
    list_display = ("title", "user", "created_at", "read_at")
    list_filter = ("read_at",)
    fields = ("title", "body", "link", "user", "created_at", "read_at")


@admin.register(SmsMessage)
class SmsMessageAdmin(_ReadOnly):
    list_display = ("phone_masked", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    fields = ("phone_masked", "body", "status", "attempts", "gateway_id", "error", "created_at", "sent_at")
