"""The hash chain: how an event's hash is computed and how the chain is verified."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    actor_role: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: Any,
    request_id: str,
    prev_hash: str,
) -> str:
    payload = [
        seq,
        _utc_iso(occurred_at),
        actor_id,
        actor_label,
        actor_role,
        action,
        object_type,
        object_id,
        summary,
        request_id,
        prev_hash,
    ]
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events verified"
        return f"audit chain broken at event #{self.broken_seq} (id {self.broken_id}): {self.reason}"


def verify_events(events: Iterable[Any]) -> ChainReport:
    """Walk events in ``seq`` order and report the first that does not fit the chain."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                reason = f"events #{expected_seq}..#{event.seq - 1} are missing (deleted)"
            else:
                reason = f"sequence number {event.seq} is out of order (expected {expected_seq})"
            return ChainReport(False, checked, event.seq, event.pk, reason)
        if event.prev_hash != prev_hash:
            reason = (
                "its link to the previous event does not match (an event was inserted, deleted or reordered)"
            )
            return ChainReport(False, checked, event.seq, event.pk, reason)
        recomputed = event_hash(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            actor_role=event.actor_role,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            summary=event.summary,
            request_id=event.request_id,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(
                False, checked, event.seq, event.pk, "its content was altered after it was written"
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked)
