"""How a person enters a fact value on a form, and how a value is shown back to them.

The web form for a claim asks for the value field by field (a select for a level, a number of months,
rows of date + hours for volunteer service …); ``value_from_form`` turns the posted fields into the
exchange-format value that ``services.claim_file`` validates with ``policies.parse_fact_value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinshimin.core.errors import ValidationFailed
from xinshimin.policies.facts import FieldType

from .items import ClaimableItem

DEFAULT_EMPTY_ROWS = 3
MAX_ROWS = 20


@dataclass(frozen=True)
class Column:
    name: str
    input: str  # "date", "number", "text", "select"
    label: Any
    step: str = ""
    choices: tuple[tuple[str, str], ...] = ()


# Labels of single values, by field.
SINGLE_LABELS: dict[str, Any] = {
    "education": gettext_lazy("最高学历"),
    "skill": gettext_lazy("职业技能等级或职称"),
    "zj_social_insurance_months": gettext_lazy("在浙江省内缴纳社保的月数"),
    "zj_residence_registered_on": gettext_lazy("在浙江省首次申报居住登记的日期"),
    "ruian_residence_registered_on": gettext_lazy("在瑞安市申报居住登记的日期"),
    "housing": gettext_lazy("在瑞住房情况"),
    "employed_in_ruian": gettext_lazy("是否在瑞安就业或经营"),
    "ruian_social_insurance_months": gettext_lazy("在瑞安缴纳社保的月数"),
    "provident_fund_months": gettext_lazy("在瑞安缴存住房公积金的月数"),
    "tax_paid_last_year_yuan": gettext_lazy("上一年度在瑞安纳税金额（元）"),
    "talent_tier": gettext_lazy("人才认定层次"),
    "veteran": gettext_lazy("是否退役军人"),
    "party_member": gettext_lazy("是否组织关系在瑞安的中共党员"),
    "deputy": gettext_lazy("是否瑞安市级及以上人大代表或政协委员"),
}


def columns_for(item: ClaimableItem) -> tuple[Column, ...]:
    """The columns of one row for a list field; () for a single value."""
    field = item.field
    date = gettext_lazy("日期")
    if field in ("blood_donations", "bravery", "spring_festival_stays"):
        return (Column("date", "date", date),)
    if field == "volunteer":
        return (
            Column("date", "date", date),
            Column("hours", "number", gettext_lazy("服务时长（小时）"), "0.5"),
        )
    if field == "charity_donations":
        return (
            Column("date", "date", date),
            Column("yuan", "number", gettext_lazy("捐赠金额（元）"), "0.01"),
        )
    if field == "awards":
        return (
            Column("award", "text", gettext_lazy("奖项名称")),
            Column("level", "select", gettext_lazy("级别"), choices=item.choices),
            Column("date", "date", gettext_lazy("获奖日期")),
        )
    if field == "patents":
        return (
            Column("kind", "select", gettext_lazy("专利类型"), choices=item.choices),
            Column("granted_on", "date", gettext_lazy("授权日期")),
        )
    if field == "deductions":
        if item.match_kind == "dishonest_debtor":
            return (
                Column("listed_on", "date", gettext_lazy("列入名单日期")),
                Column("delisted_on", "date", gettext_lazy("移出名单日期（如已移出）")),
            )
        return (Column("date", "date", gettext_lazy("发生日期")),)
    return ()


def single_input(item: ClaimableItem) -> Column:
    """The one input of a single-value field."""
    assert item.field is not None
    kind = item.field_type
    label = SINGLE_LABELS.get(item.field, item.label)
    if kind in (FieldType.LEVELS, FieldType.TIER):
        return Column("value", "select", label, choices=item.choices)
    if kind is FieldType.FLAG:
        return Column("value", "select", label, choices=(("true", _("是")), ("false", _("否"))))
    if kind is FieldType.COUNT:
        return Column("value", "number", label, "1")
    if kind is FieldType.AMOUNT:
        return Column("value", "number", label, "0.01")
    return Column("value", "date", label)


def rows_from_value(item: ClaimableItem, value: Any) -> list[dict[str, str]]:
    """Form rows prefilled from an exchange value (a dispute starts from the current entries)."""
    if not isinstance(value, list):
        return []
    if item.field_type is FieldType.DATES:
        return [{"date": str(v)} for v in value]
    return [{k: "" if v is None else str(v) for k, v in entry.items()} for entry in value]


def _number(text: str, *, integer: bool, what: str) -> int | Decimal:
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed(
            _("%(what)s应为数字，您填写了“%(text)s”。") % {"what": what, "text": text}, field="value"
        ) from None
    if not number.is_finite():
        raise ValidationFailed(_("%(what)s应为数字。") % {"what": what}, field="value")
    if integer:
        if number != number.to_integral_value():
            raise ValidationFailed(_("%(what)s应为整数。") % {"what": what}, field="value")
        return int(number)
    return number


def value_from_form(item: ClaimableItem, data: Mapping[str, Any]) -> Any:
    """The exchange value from posted fields: ``value`` for a single value, ``row-<i>-<column>`` for rows."""
    columns = columns_for(item)
    if not columns:
        column = single_input(item)
        text = str(data.get("value", "") or "").strip()
        if not text:
            raise ValidationFailed(_("请填写“%(label)s”。") % {"label": column.label}, field="value")
        kind = item.field_type
        if kind is FieldType.FLAG:
            return text == "true"
        if kind is FieldType.TIER:
            return int(_number(text, integer=True, what=str(column.label)))
        if kind is FieldType.COUNT:
            return _number(text, integer=True, what=str(column.label))
        if kind is FieldType.AMOUNT:
            return _number(text, integer=False, what=str(column.label))
        return text
    entries: list[Any] = []
    for index in range(MAX_ROWS):
        row = {c.name: str(data.get(f"row-{index}-{c.name}", "") or "").strip() for c in columns}
        if not any(row.values()):
            continue
        if item.field_type is FieldType.DATES:
            entries.append(row["date"])
            continue
        entry: dict[str, Any] = {}
        for column in columns:
            text = row[column.name]
            if not text:
                continue
            if column.input == "number":
                entry[column.name] = _number(text, integer=False, what=str(column.label))
            else:
                entry[column.name] = text
        if item.field == "deductions" and item.match_kind:
            entry["kind"] = item.match_kind
        entries.append(entry)
    return entries


def describe_value(item: ClaimableItem | None, value: Any) -> str:
    """A value as a short text for people ("大学本科", "2024-05-01 12.5 小时；…"); "—" when empty."""
    if value is None:
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, list):
        if not value:
            return _("（无记录）")
        return "；".join(describe_value(item, v) for v in value)
    if isinstance(value, dict):
        parts = []
        for key, part in value.items():
            if key == "kind" and item is not None and item.match_kind:
                continue
            if key == "hours":
                parts.append(_("%(n)s 小时") % {"n": part})
            elif key == "yuan":
                parts.append(_("%(n)s 元") % {"n": part})
            elif key == "delisted_on":
                parts.append(_("移出 %(d)s") % {"d": part})
            else:
                parts.append(item.choice_label(part) if item is not None else str(part))
        return " ".join(parts)
    return item.choice_label(value) if item is not None else str(value)
