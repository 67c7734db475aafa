from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One state change, append-only and hash-chained to the event before it.

    ``hash`` = SHA-256 over the canonical JSON of every other field, including ``prev_hash``; so an
    edited, deleted, inserted or reordered event breaks the chain at that point. On PostgreSQL a trigger
    refuses UPDATE and DELETE on this table.
    """

    seq = models.BigIntegerField(unique=True, help_text="Position in the chain, from 1, without gaps.")
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="User id, empty for the system.")
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(
        max_length=64, db_index=True, help_text='"<app>.<verb>", e.g. residents.register'
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, help_text="Before/after of the changed fields (masked).")
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
