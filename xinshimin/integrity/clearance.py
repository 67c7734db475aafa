"""Points cleared to zero by a fraud sanction (积分清零): what the scoring engine's snapshot path asks.

Spec §5 "Audits and fraud": "the points are cleared to zero". How this platform does it:

- A score is always derived from (facts, policy version, as-of date). A sanction does not delete facts
  (they stay as evidence; only the facts established by the fraudulent claim are reverted, see
  ``services``); instead, every snapshot whose as-of date falls inside the sanction's ban period
  ``[starts_on, ends_on]`` is **0** in every number and item, and says why in its notes:
  "因提供虚假材料，积分于 2026年3月1日清零（至 2029年2月28日不得申请积分制服务）".
  Each item keeps its original explanation followed by "因提供虚假材料，本项积分已清零", so the snapshot
  still shows what was cleared.
- Snapshots with an earlier as-of date are not touched: they stay as they were computed.
- After the ban the score is computed from the facts again (without the reverted fraudulent facts): the
  person starts afresh with what can be proven.
- The sanction is part of the snapshot's input digest (``Clearance.digest``), so a snapshot of the same
  (policy, as-of) computed before the sanction is recomputed, and recomputing twice writes nothing.

``xinshimin.scoring.services`` calls ``clearances`` in ``snapshot_resident`` and in the bulk recompute
(``snapshots_compute``, also used by scenes to fill missing snapshots before a ranking).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from xinshimin.policies import format_points, from_quarters

from .periods import chinese_date

ITEM_NOTE_ZH = "因提供虚假材料，本项积分已清零"
ITEM_NOTE_EN = "cleared to 0 for providing false material"


@dataclass(frozen=True)
class Clearance:
    """A resident's points are cleared on ``cleared_on`` by sanction ``reference`` until ``ends_on``."""

    reference: str
    cleared_on: date
    ends_on: date

    def note(self, lang: str = "zh") -> str:
        if lang == "en":
            return (
                f"Points cleared to 0 on {self.cleared_on.isoformat()} for providing false material "
                f"(no points services until {self.ends_on.isoformat()} inclusive)"
            )
        return (
            f"因提供虚假材料，积分于 {chinese_date(self.cleared_on)}清零"
            f"（至 {chinese_date(self.ends_on)}不得申请积分制服务）"
        )

    def digest(self, input_digest: str) -> str:
        """The snapshot digest with the sanction in it: a cleared snapshot never matches an uncleared one."""
        text = f"{input_digest}|cleared:{self.reference}:{self.cleared_on}:{self.ends_on}"
        return hashlib.sha256(text.encode()).hexdigest()

    def apply(self, values: dict[str, Any]) -> dict[str, Any]:
        """Snapshot values (as ``scoring.services._snapshot_values`` builds them) with every number 0."""
        zero = from_quarters(0)
        items = {
            code: {
                **item,
                "points": format_points(0),
                "zh": f"{item.get('zh', '')}；{ITEM_NOTE_ZH}",
                "en": f"{item.get('en', '')}; {ITEM_NOTE_EN}",
            }
            for code, item in dict(values.get("items") or {}).items()
        }
        return {
            **values,
            "total": zero,
            "raw_total": zero,
            "common": zero,
            "local": zero,
            "deductions": zero,
            "items": items,
            "notes": {"zh": [self.note("zh")], "en": [self.note("en")]},
        }


def clearances(resident_ids: Iterable[int], as_of: date) -> dict[int, Clearance]:
    """resident id → the clearance in force on ``as_of`` (the ban ending last), for those who have one."""
    from .models import Ban

    ids = list(resident_ids)
    if not ids:
        return {}
    found: dict[int, Clearance] = {}
    rows = (
        Ban.objects.active_on(as_of)
        .filter(resident_id__in=ids)
        .order_by("resident_id", "-ends_on", "-id")
        .values_list("resident_id", "sanction__reference", "starts_on", "ends_on")
    )
    for resident_id, reference, starts_on, ends_on in rows:
        found.setdefault(resident_id, Clearance(reference or "", starts_on, ends_on))
    return found


def clearance_for(resident_id: int, as_of: date) -> Clearance | None:
    return clearances([resident_id], as_of).get(resident_id)
