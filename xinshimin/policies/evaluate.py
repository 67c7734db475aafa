"""Evaluation: (facts, policy version, as-of date) → an explained score.

total = common + min(local, 200) − deductions, floored at 0 for display and ranking; the raw value is
kept. Common is capped at 100 as a sum, local at 200 as a sum; every item has its own cap. Everything
is counted in integer quarter points; the ``Decimal`` properties are for display and storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from .dates import age_on
from .facts import Facts
from .points import format_points, from_quarters, short_points
from .rules import Context, Lang, Measure
from .version import Group, Item, PolicyVersion, render


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One indicator's result. ``quarters`` is its effect on the total (negative for deductions)."""

    item: Item
    quarters: int
    raw_quarters: int  # before the item cap, as a positive amount
    measure: Measure | None

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def group(self) -> Group:
        return self.item.group

    @property
    def points(self) -> Decimal:
        return from_quarters(self.quarters)

    @property
    def has_data(self) -> bool:
        """False when no fact was available (the item may still score, e.g. education without a record)."""
        return self.measure is not None and self.measure[1]

    @property
    def capped(self) -> bool:
        return self.item.cap_q is not None and self.raw_quarters > self.item.cap_q

    def explain(self, lang: Lang) -> str:
        """One line, e.g. "浙江省内缴纳社保 48 个月 × 0.5 = 24 分"."""
        return self._explain((lang,))[0]

    def _explain(self, langs: tuple[Lang, ...]) -> list[str]:
        item = self.item
        numbers = {
            "points": short_points(abs(self.quarters)),
            "raw": short_points(self.raw_quarters),
            "cap": short_points(item.cap_q) if item.cap_q is not None else "",
        }
        has_data = self.has_data
        template = item.missing_text
        if has_data:
            template = item.explain
            if self.raw_quarters == 0 and item.explain_zero is not None:
                template = item.explain_zero
        lines = []
        for lang in langs:
            variables = {
                "label": item.label.get(lang),
                "department": item.department.name.get(lang),
                **numbers,
            }
            if not has_data:
                lines.append(render(template, lang, variables))
                continue
            assert self.measure is not None
            variables.update(item.rule.variables(self.measure[2], lang))
            line = render(template, lang, variables)
            if self.capped:
                line += render(item.capped_text, lang, variables)
            lines.append(line)
        return lines

    def explain_both(self) -> tuple[str, str]:
        """(Chinese, English)."""
        zh, en = self._explain(("zh", "en"))
        return zh, en

    @property
    def zh(self) -> str:
        return self.explain("zh")

    @property
    def en(self) -> str:
        return self.explain("en")


@dataclass(frozen=True, slots=True)
class Score:
    """An explained score. Quarter-point fields end in ``_q``; the same names without it are ``Decimal``."""

    policy: PolicyVersion
    as_of: dt.date
    items: tuple[ItemScore, ...]
    common_raw_q: int
    common_q: int
    local_raw_q: int
    local_q: int
    deductions_q: int
    raw_total_q: int
    total_q: int

    @property
    def total(self) -> Decimal:
        """For display and ranking: never below the floor (0)."""
        return from_quarters(self.total_q)

    @property
    def raw_total(self) -> Decimal:
        """common + min(local, cap) − deductions, before the floor (kept for audit; may be negative)."""
        return from_quarters(self.raw_total_q)

    @property
    def common(self) -> Decimal:
        return from_quarters(self.common_q)

    @property
    def common_raw(self) -> Decimal:
        return from_quarters(self.common_raw_q)

    @property
    def local(self) -> Decimal:
        """After the group cap (200)."""
        return from_quarters(self.local_q)

    @property
    def local_raw(self) -> Decimal:
        return from_quarters(self.local_raw_q)

    @property
    def deductions(self) -> Decimal:
        """The positive amount subtracted."""
        return from_quarters(self.deductions_q)

    @property
    def local_capped(self) -> bool:
        return self.local_q < self.local_raw_q

    @property
    def floored(self) -> bool:
        return self.total_q != self.raw_total_q

    def item(self, code: str) -> ItemScore:
        for result in self.items:
            if result.code == code:
                return result
        raise KeyError(code)

    def notes(self, lang: Lang) -> list[str]:
        """Lines about the whole score: a group cap that bit, the floor at 0."""
        policy = self.policy
        lines = []
        sums: tuple[tuple[Group, int, int], ...] = (
            ("common", self.common_raw_q, self.common_q),
            ("local", self.local_raw_q, self.local_q),
        )
        for group, raw_q, capped_q in sums:
            if capped_q < raw_q:
                spec = policy.groups[group]
                lines.append(
                    render(
                        policy.texts.group_capped,
                        lang,
                        {
                            "group": spec.label.get(lang),
                            "raw": short_points(raw_q),
                            "cap": short_points(capped_q),
                        },
                    )
                )
        if self.floored:
            lines.append(
                render(
                    policy.texts.floored,
                    lang,
                    {"raw": short_points(self.raw_total_q), "floor": short_points(policy.floor_q)},
                )
            )
        return lines

    def items_json(self) -> dict[str, dict[str, str]]:
        """code → {points, zh, en}: what a snapshot stores so that it keeps explaining itself."""
        out = {}
        for result in self.items:
            zh, en = result.explain_both()
            out[result.code] = {"points": format_points(result.quarters), "zh": zh, "en": en}
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy.version_id,
            "as_of": self.as_of.isoformat(),
            "total": format_points(self.total_q),
            "raw_total": format_points(self.raw_total_q),
            "common": format_points(self.common_q),
            "local": format_points(self.local_q),
            "local_raw": format_points(self.local_raw_q),
            "deductions": format_points(self.deductions_q),
            "items": self.items_json(),
            "notes": {"zh": self.notes("zh"), "en": self.notes("en")},
        }


def _measure_items(
    facts: Facts, policy: PolicyVersion, as_of: dt.date, birth_date: dt.date | None
) -> tuple[list[tuple[Item, int, int, Measure | None]], list[int]]:
    """Every item measured and capped: [(item, points_q ≥ 0, raw_q, measure)], and the sums per group
    ([common, local, deductions], before the group caps)."""
    ctx = Context(as_of, age_on(birth_date, as_of) if birth_date is not None else None)
    results: list[tuple[Item, int, int, Measure | None]] = []
    sums = [0, 0, 0]
    for item, measure_fn, cap, group in policy.plan:
        measure = measure_fn(facts, ctx)
        if measure is None:
            results.append((item, 0, 0, None))
            continue
        raw = measure[0]
        points = cap if cap is not None and raw > cap else raw
        sums[group] += points
        results.append((item, points, raw, measure))
    return results, sums


def _group_cap(policy: PolicyVersion, group: Group, raw_q: int) -> int:
    cap = policy.groups[group].cap_q
    return raw_q if cap is None or raw_q <= cap else cap


def evaluate(facts: Facts, policy: PolicyVersion, *, as_of: dt.date, birth_date: dt.date | None) -> Score:
    """Score ``facts`` under ``policy`` on ``as_of``. ``birth_date`` (from the ID number) gives the age;
    without it the age item has no data."""
    results, (common_raw, local_raw, deductions_raw) = _measure_items(facts, policy, as_of, birth_date)
    common = _group_cap(policy, "common", common_raw)
    local = _group_cap(policy, "local", local_raw)
    deductions = _group_cap(policy, "deduction", deductions_raw)
    raw_total = common + local - deductions
    return Score(
        policy=policy,
        as_of=as_of,
        items=tuple(
            ItemScore(item, -points if item.group == "deduction" else points, raw, measure)
            for item, points, raw, measure in results
        ),
        common_raw_q=common_raw,
        common_q=common,
        local_raw_q=local_raw,
        local_q=local,
        deductions_q=deductions,
        raw_total_q=raw_total,
        total_q=max(raw_total, policy.floor_q),
    )


class QuarterScore(NamedTuple):
    """The numbers of a score only (no explanations), for batch work: quarter points throughout,
    ``items`` in the policy's item order, deductions negative."""

    total_q: int
    raw_total_q: int
    common_q: int
    local_q: int
    deductions_q: int
    items: list[int]


def evaluate_quarters(
    facts: Facts,
    policy: PolicyVersion,
    *,
    as_of: dt.date,
    birth_date: dt.date | None,
    present: tuple[str, ...] | None = None,
) -> QuarterScore:
    """Same numbers as ``evaluate``, without explanations: the batch command's path.

    ``present``: the names of the fields that are not ``None`` if the caller knows them (the exchange
    parser does); only their items are measured, the others keep the result of "no fact".
    """
    ctx = Context(as_of, age_on(birth_date, as_of) if birth_date is not None else None)
    plan = policy.quick_plan
    items = list(plan.absent_items)
    sums = list(plan.absent_sums)
    if present is None:
        present = tuple(name for name in plan.by_field if getattr(facts, name) is not None)
    for index, points_fn, cap, group, absent in plan.steps(present):
        points = points_fn(facts, ctx)
        if points is None:
            points = 0
        elif points > cap:
            points = cap
        sums[group] += points - absent
        items[index] = -points if group == 2 else points
    common_cap, local_cap, deductions_cap = plan.group_caps
    common = min(sums[0], common_cap)
    local = min(sums[1], local_cap)
    deductions = min(sums[2], deductions_cap)
    raw_total = common + local - deductions
    return QuarterScore(
        total_q=max(raw_total, policy.floor_q),
        raw_total_q=raw_total,
        common_q=common,
        local_q=local,
        deductions_q=deductions,
        items=items,
    )
