"""Writing audit events. Call ``audit_record`` inside the transaction that makes the change."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from xinshimin.core.context import current_request_id

from .chain import GENESIS_HASH, ChainReport, event_hash, verify_events
from .models import AuditEvent

# Any constant: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x58534D41  # "XSMA"


def _plain_json(value: Any) -> Any:
    """Dates, decimals and UUIDs become strings, so the stored JSON hashes the same after a round trip."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one event to the chain. ``actor`` is a user, or None for the system.

    Must run in the caller's transaction so that the change and its audit row commit together.
    Personal data in ``before``/``after`` must already be masked.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    summary: dict[str, Any] = {}
    if before is not None:
        summary["before"] = before
    if after is not None:
        summary["after"] = after
    if note:
        summary["note"] = note
    summary = _plain_json(summary)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    # No savepoint: the event belongs to the caller's transaction, and a failure here must undo the change
    # anyway. That saves two round trips while the caller may be holding hot row locks.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the lock and the last event in one round trip
                cursor.execute("SELECT seq, hash FROM audit_chain_head(%s)", [_CHAIN_LOCK_KEY])
                last = cursor.fetchall()
        else:  # SQLite serialises writers anyway
            last = list(AuditEvent.objects.order_by("-seq").values_list("seq", "hash")[:1])
        seq = (last[0][0] + 1) if last else 1
        prev_hash = last[0][1] if last else GENESIS_HASH
        fields: dict[str, Any] = {
            "seq": seq,
            "occurred_at": timezone.now(),
            "actor_id": actor.pk if is_user else None,
            "actor_label": actor.get_username() if is_user else "system",
            "actor_role": getattr(actor, "role", "") if is_user else "system",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "summary": summary,
            "request_id": current_request_id(),
            "prev_hash": prev_hash,
        }
        return AuditEvent.objects.create(hash=event_hash(**fields), **fields)


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Check the whole chain, streaming it in order."""
    return verify_events(AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size))
