"""The data-exchange format (spec §4): one JSON object per person per line.

``{"id_number": "…", "name": "…", "as_of": "YYYY-MM-DD", "facts": {…}}`` — facts in, points out.

Parsing is strict: an unknown field, a wrong type, an impossible date, an unknown enumeration value or a
negative number is an ``ExchangeError`` naming the field (``volunteer[0].hours``) and the problem, in
Chinese. A missing field, or ``null``, means "no fact". The ID number is checked by a function passed
in (``parse_id``), so that this module stays free of Django: the platform passes
``xinshimin.residents.idnumber.parse_id_number``.

Level fields (``education``, ``skill``, ``housing``) take one value or a list of values (several records;
the highest counts). Numbers with a fraction are read as exact decimals (``decode_line`` decodes them
as ``Decimal``; a ``float`` from an already-decoded document is read through its shortest text).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from xinshimin.core.errors import DomainError

from .errors import ExchangeError
from .facts import (
    FIELD_SPECS,
    LISTING_DEDUCTION_KINDS,
    Award,
    CharityDonation,
    Deduction,
    Facts,
    FieldType,
    Patent,
    VolunteerEntry,
)
from .points import format_points

TOP_LEVEL_FIELDS = ("id_number", "name", "as_of", "facts")


class IdInfo(Protocol):
    """What ``parse_id`` returns: the normalised number and the birth date it carries."""

    @property
    def value(self) -> str: ...

    @property
    def birth_date(self) -> dt.date: ...


IdParser = Callable[[str], IdInfo]


class ExchangeRecord(NamedTuple):
    """One parsed line. ``present`` names the facts fields the line gave (not null)."""

    id_number: str
    name: str
    as_of: dt.date | None
    facts: Facts
    birth_date: dt.date
    present: tuple[str, ...] = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是有效的数字")


# One decoder for every line: exact decimals for numbers with a fraction, NaN/Infinity refused.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


# ----------------------------------------------------------------------------------- value parsers


# Valid date texts seen so far (a batch file repeats the same few thousand dates millions of times).
_DATE_CACHE: dict[str, dt.date] = {}
_DATE_CACHE_LIMIT = 100_000


def parse_date(field: str, value: Any) -> dt.date:
    cached = _DATE_CACHE.get(value) if type(value) is str else None
    if cached is not None:
        return cached
    if type(value) is not str:
        raise ExchangeError(field, f"应为 YYYY-MM-DD 格式的日期字符串，收到 {_show(value)}")
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ExchangeError(field, f"{_show(value)} 不是 YYYY-MM-DD 格式的日期")
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise ExchangeError(field, f"{value} 不是有效日期") from None
    if len(_DATE_CACHE) >= _DATE_CACHE_LIMIT:
        _DATE_CACHE.clear()
    _DATE_CACHE[value] = parsed
    return parsed


def _count(field: str, value: Any) -> int:
    if type(value) is not int:
        raise ExchangeError(field, f"应为非负整数，收到 {_show(value)}")
    if value < 0:
        raise ExchangeError(field, f"不能为负数：{value}")
    return value


def _amount(field: str, value: Any) -> Decimal:
    kind = type(value)
    if kind is int:
        number = Decimal(value)
    elif kind is Decimal:
        number = value
    elif kind is float and math.isfinite(value):
        # A float from an already-decoded document (e.g. a JSON column): its shortest text is the decimal
        # that was written, so read that, never the binary value.
        number = Decimal(repr(value))
    else:
        raise ExchangeError(field, f"应为非负数，收到 {_show(value)}")
    if number < 0:
        raise ExchangeError(field, f"不能为负数：{value}")
    return number


def _flag(field: str, value: Any) -> bool:
    if type(value) is not bool:
        raise ExchangeError(field, f"应为 true 或 false，收到 {_show(value)}")
    return value


def _choice(field: str, value: Any, choices: tuple[Any, ...]) -> Any:
    if value not in choices or type(value) is bool:
        allowed = ", ".join(str(c) for c in choices)
        raise ExchangeError(field, f"未知取值 {_show(value)}，可选：{allowed}")
    return value


def _list(field: str, value: Any) -> list[Any]:
    if type(value) is not list:
        raise ExchangeError(field, f"应为列表，收到 {_show(value)}")
    return value


def _record(
    field: str, value: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if type(value) is not dict:
        raise ExchangeError(field, f"应为 JSON 对象，收到 {_show(value)}")
    for key in value:
        if key not in required and key not in optional:
            allowed = ", ".join((*required, *optional))
            raise ExchangeError(f"{field}.{key}", f"未知字段，允许的字段：{allowed}")
    for key in required:
        if value.get(key) is None:
            raise ExchangeError(f"{field}.{key}", "缺少必填字段")
    return value


def _levels(field: str, value: Any) -> tuple[str, ...]:
    choices = FIELD_SPECS[field].choices
    if type(value) is str:
        return (_choice(field, value, choices),)
    if type(value) is list:
        return tuple(_choice(f"{field}[{i}]", v, choices) for i, v in enumerate(value))
    raise ExchangeError(field, f"应为取值字符串或字符串列表，收到 {_show(value)}")


def _tier(field: str, value: Any) -> int:
    if type(value) is not int:
        raise ExchangeError(field, f"应为整数，收到 {_show(value)}")
    return int(_choice(field, value, FIELD_SPECS[field].choices))


def _dates(field: str, value: Any) -> tuple[dt.date, ...]:
    return tuple(parse_date(f"{field}[{i}]", v) for i, v in enumerate(_list(field, value)))


def _volunteer(field: str, value: Any) -> tuple[VolunteerEntry, ...]:
    out = []
    for i, raw in enumerate(_list(field, value)):
        where = f"{field}[{i}]"
        entry = _record(where, raw, ("date", "hours"))
        out.append(
            VolunteerEntry(
                parse_date(f"{where}.date", entry["date"]), _amount(f"{where}.hours", entry["hours"])
            )
        )
    return tuple(out)


def _charity(field: str, value: Any) -> tuple[CharityDonation, ...]:
    out = []
    for i, raw in enumerate(_list(field, value)):
        where = f"{field}[{i}]"
        entry = _record(where, raw, ("date", "yuan"))
        out.append(
            CharityDonation(
                parse_date(f"{where}.date", entry["date"]), _amount(f"{where}.yuan", entry["yuan"])
            )
        )
    return tuple(out)


def _awards(field: str, value: Any) -> tuple[Award, ...]:
    choices = FIELD_SPECS[field].choices
    out = []
    for i, raw in enumerate(_list(field, value)):
        where = f"{field}[{i}]"
        entry = _record(where, raw, ("award", "level", "date"))
        name = entry["award"]
        if type(name) is not str or not name.strip():
            raise ExchangeError(f"{where}.award", f"应为奖项名称（非空字符串），收到 {_show(name)}")
        out.append(
            Award(
                award=name.strip(),
                level=_choice(f"{where}.level", entry["level"], choices),
                date=parse_date(f"{where}.date", entry["date"]),
            )
        )
    return tuple(out)


def _patents(field: str, value: Any) -> tuple[Patent, ...]:
    choices = FIELD_SPECS[field].choices
    out = []
    for i, raw in enumerate(_list(field, value)):
        where = f"{field}[{i}]"
        entry = _record(where, raw, ("kind", "granted_on"))
        out.append(
            Patent(
                _choice(f"{where}.kind", entry["kind"], choices),
                parse_date(f"{where}.granted_on", entry["granted_on"]),
            )
        )
    return tuple(out)


def _deductions(field: str, value: Any) -> tuple[Deduction, ...]:
    choices = FIELD_SPECS[field].choices
    out = []
    for i, raw in enumerate(_list(field, value)):
        where = f"{field}[{i}]"
        if type(raw) is not dict:
            raise ExchangeError(where, f"应为 JSON 对象，收到 {_show(raw)}")
        kind = _choice(f"{where}.kind", raw.get("kind"), choices)
        if kind in LISTING_DEDUCTION_KINDS:
            entry = _record(where, raw, ("kind", "listed_on"), ("delisted_on",))
            listed_on = parse_date(f"{where}.listed_on", entry["listed_on"])
            delisted_on = None
            if entry.get("delisted_on") is not None:
                delisted_on = parse_date(f"{where}.delisted_on", entry["delisted_on"])
                if delisted_on < listed_on:
                    raise ExchangeError(f"{where}.delisted_on", "移出名单日期不能早于列入日期（listed_on）")
            out.append(Deduction(kind, listed_on=listed_on, delisted_on=delisted_on))
        else:
            entry = _record(where, raw, ("kind", "date"))
            out.append(Deduction(kind, date=parse_date(f"{where}.date", entry["date"])))
    return tuple(out)


_BY_TYPE: dict[FieldType, Callable[[str, Any], Any]] = {
    FieldType.LEVELS: _levels,
    FieldType.TIER: _tier,
    FieldType.COUNT: _count,
    FieldType.DATE: parse_date,
    FieldType.FLAG: _flag,
    FieldType.AMOUNT: _amount,
    FieldType.DATES: _dates,
}
_BY_NAME: dict[str, Callable[[str, Any], Any]] = {
    "volunteer": _volunteer,
    "charity_donations": _charity,
    "awards": _awards,
    "patents": _patents,
    "deductions": _deductions,
}
FIELD_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    name: _BY_NAME.get(name) or _BY_TYPE[spec.type] for name, spec in FIELD_SPECS.items()
}
_FACT_FIELDS_TEXT = ", ".join(FIELD_SPECS)


def parse_fact_value(kind: str, value: Any) -> Any:
    """One field's exchange value as the engine's value (``None`` stays ``None``)."""
    parser = FIELD_PARSERS.get(kind)
    if parser is None:
        raise ExchangeError(kind, f"未知字段。允许的字段：{_FACT_FIELDS_TEXT}")
    return None if value is None else parser(kind, value)


def parse_facts(data: Any) -> Facts:
    """The ``facts`` object of a line (or of a stored record) as ``Facts``."""
    return _parse_facts(data)[0]


# Fast paths for the commonest valid scalar values (a batch file has millions): the field's type, and
# for a level field the one-value tuple for each allowed value. Anything else goes to the full parser,
# which accepts the same values and explains the others.
_COUNT, _DATE, _FLAG, _LEVELS = 1, 2, 3, 4
_FAST_KIND = {
    name: {
        FieldType.COUNT: _COUNT,
        FieldType.DATE: _DATE,
        FieldType.FLAG: _FLAG,
        FieldType.LEVELS: _LEVELS,
    }.get(spec.type, 0)
    for name, spec in FIELD_SPECS.items()
}
_LEVEL_TUPLES = {
    name: {str(choice): (str(choice),) for choice in spec.choices}
    for name, spec in FIELD_SPECS.items()
    if spec.type is FieldType.LEVELS
}


def _parse_facts(data: Any) -> tuple[Facts, tuple[str, ...]]:
    if type(data) is not dict:
        raise ExchangeError("facts", f"应为 JSON 对象，收到 {_show(data)}")
    values: dict[str, Any] = {}
    parsers = FIELD_PARSERS
    fast_kind = _FAST_KIND
    dates = _DATE_CACHE
    for key, value in data.items():
        kind = fast_kind.get(key)
        if kind is None:
            raise ExchangeError(key, f"未知字段。允许的字段：{_FACT_FIELDS_TEXT}")
        if value is None:
            continue
        if kind == _COUNT:
            if type(value) is int and value >= 0:
                values[key] = value
                continue
        elif kind == _DATE:
            cached = dates.get(value) if type(value) is str else None
            if cached is not None:
                values[key] = cached
                continue
        elif kind == _FLAG:
            if type(value) is bool:
                values[key] = value
                continue
        elif kind == _LEVELS and type(value) is str:
            level = _LEVEL_TUPLES[key].get(value)
            if level is not None:
                values[key] = level
                continue
        values[key] = parsers[key](key, value)
    return Facts(**values), tuple(values)


def parse_exchange_object(data: Any, *, parse_id: IdParser) -> ExchangeRecord:
    """A decoded line as an ``ExchangeRecord``; ``ExchangeError`` names the first problem."""
    if type(data) is not dict:
        raise ExchangeError("(line)", "每行应为一个 JSON 对象")
    for key in data:
        if key not in TOP_LEVEL_FIELDS:
            raise ExchangeError(key, f"未知字段。允许的字段：{', '.join(TOP_LEVEL_FIELDS)}")
    raw_id = data.get("id_number")
    if type(raw_id) is not str or not raw_id:
        raise ExchangeError(
            "id_number", "缺少身份证号码" if raw_id is None else f"应为字符串，收到 {_show(raw_id)}"
        )
    try:
        identity = parse_id(raw_id)
    except DomainError as error:
        raise ExchangeError("id_number", str(error.message)) from None
    name = data.get("name")
    if name is None:
        name = ""
    elif type(name) is not str:
        raise ExchangeError("name", f"应为字符串，收到 {_show(name)}")
    raw_as_of = data.get("as_of")
    as_of = None if raw_as_of is None else parse_date("as_of", raw_as_of)
    if "facts" not in data:
        raise ExchangeError("facts", "缺少 facts 对象（没有任何事实时请写 {}）")
    facts, present = _parse_facts(data["facts"])
    return ExchangeRecord(identity.value, name, as_of, facts, identity.birth_date, present)


def decode_line(line: str | bytes) -> Any:
    """JSON-decode one line; ``ExchangeError`` if it is not JSON."""
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    try:
        # The scanner directly (what ``decode`` calls after skipping whitespace); any doubt → ``decode``.
        value, end = _SCAN(text, 0)
        if end == len(text) or not text[end:].strip():
            return value
    except (StopIteration, ValueError):
        pass
    try:
        return _DECODER.decode(text)
    except ValueError as error:
        if not text.strip():
            raise ExchangeError("(line)", "空行") from None
        raise ExchangeError("(line)", f"不是有效的 JSON：{error}") from None


def parse_exchange_line(line: str | bytes, *, parse_id: IdParser) -> ExchangeRecord:
    """Parse one line of the exchange format (a JSON object)."""
    return parse_exchange_object(decode_line(line), parse_id=parse_id)


def result_line(
    *,
    id_number: str,
    as_of: dt.date,
    policy_version: str,
    total_q: int,
    common_q: int,
    local_q: int,
    deductions_q: int,
    items: Mapping[str, int],
) -> str:
    """One output line of the batch command (points out), as JSON text without the newline."""
    return json.dumps(
        {
            "id_number": id_number,
            "as_of": as_of.isoformat(),
            "policy": policy_version,
            "total": format_points(total_q),
            "common": format_points(common_q),
            "local": format_points(local_q),
            "deductions": format_points(deductions_q),
            "items": {code: format_points(q) for code, q in items.items()},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def error_line(line_number: int, error: ExchangeError) -> str:
    """The output line for a bad input line: ``{"line": n, "field": …, "error": "field: problem"}``."""
    return json.dumps(
        {"line": line_number, "field": error.field, "error": str(error)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
