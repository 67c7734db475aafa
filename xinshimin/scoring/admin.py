"""Django admin for scoring: read-only. Policy drafts are edited and published through ``services``
(validated and audited), facts are written by imports, claims and windows, snapshots by recompute runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Fact, FactRevision, PolicyRecord, RecomputeRun, ScoreSnapshot


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PolicyRecord)
class PolicyRecordAdmin(ReadOnlyAdmin):
    list_display = ("version_id", "jurisdiction", "status", "effective_on", "published_at", "based_on")
    list_filter = ("jurisdiction", "status")
    search_fields = ("version_id", "title")


@admin.register(Fact)
class FactAdmin(ReadOnlyAdmin):
    list_display = ("resident", "kind", "source", "department", "recorded_at")
    list_filter = ("kind", "source", "department")
    list_select_related = ("resident", "department")
    raw_id_fields = ("resident",)


@admin.register(FactRevision)
class FactRevisionAdmin(ReadOnlyAdmin):
    list_display = ("resident", "kind", "source", "department", "recorded_at")
    list_filter = ("kind", "source")
    list_select_related = ("resident", "department")
    raw_id_fields = ("resident",)


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("resident", "policy", "as_of", "total", "common", "local", "deductions", "computed_at")
    list_filter = ("policy", "as_of")
    list_select_related = ("resident", "policy")
    raw_id_fields = ("resident",)


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "policy",
        "as_of",
        "status",
        "done",
        "total",
        "written",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
