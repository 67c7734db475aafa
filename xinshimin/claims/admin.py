"""Admin: review periods are edited here by the centre; claims are shown read-only (changes go through
the services, which check the rules and write the audit trail)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Claim, ReviewPeriod


@admin.register(ReviewPeriod)
class ReviewPeriodAdmin(admin.ModelAdmin[ReviewPeriod]):
    list_display = ("label", "year", "starts_on", "ends_on")
    list_filter = ("year",)
    ordering = ("starts_on",)


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin[Claim]):
    list_display = ("reference", "item_label", "kind", "department", "status", "submitted_on", "due_on")
    list_filter = ("status", "kind", "department", "channel")
    search_fields = ("reference",)
    exclude = ("proposed_value", "current_value", "approved_value")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
