"""The closed set of rule kinds. Their numbers are data (a policy version); their logic is code.

Each kind is a frozen dataclass that knows how to

- ``measure(facts, ctx)`` → ``None`` if there is no fact for it, else ``(raw_quarters, has_data, detail)``:
  the points before the item cap (in quarter points, never negative), whether a fact was present (an
  item may score without data, e.g. education without a record scores 5), and a small detail value
  that the explanation needs;
- ``variables(detail, lang)`` → the placeholders of its explanation templates;
- ``from_params`` / ``to_params`` → to and from the ``params`` object of a policy document.

The kinds: ``age_bands``, ``level_map`` (highest only), ``per_unit`` (count × rate, full months since a
date × rate, or full blocks of an amount within a look-back window × rate), ``tiers`` (on an amount),
``flag``, ``per_event`` (points per event within a look-back window, optionally by kind), ``award_levels``
(the same award counts once at its highest level; different awards add up) and ``listed_flag`` (on a list
at the as-of date, such as the dishonest-debtor list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, Protocol, cast

from .dates import full_months, years_before
from .facts import FIELD_SPECS, Deduction, Facts, FieldType
from .points import NotQuarterPoints, short_decimal, short_points, to_quarters

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# (raw quarter points before the item cap, a fact was present, detail for the explanation)
Measure = tuple[int, bool, Any]


@dataclass(frozen=True, slots=True)
class Text:
    """The same text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class Context:
    """What every rule needs about the evaluation: the as-of date, the age, look-back cut-offs."""

    __slots__ = ("_by_kind", "_cutoffs", "age", "as_of")

    def __init__(self, as_of: dt.date, age: int | None) -> None:
        self.as_of = as_of
        self.age = age
        self._cutoffs: dict[int, dt.date] = {}
        self._by_kind: dict[str, dict[str, list[Any]]] = {}

    def cutoff(self, window_years: int) -> dt.date:
        """``as_of − window_years``: an event counts if it is after this and not after ``as_of``."""
        cutoff = self._cutoffs.get(window_years)
        if cutoff is None:
            cutoff = self._cutoffs[window_years] = years_before(self.as_of, window_years)
        return cutoff

    def counts(self, event: dt.date, window_years: int | None) -> bool:
        """The event counts on the as-of date: not after it, and inside the look-back window if any."""
        if event > self.as_of:
            return False
        return window_years is None or event > self.cutoff(window_years)

    def of_kind(self, field: str, entries: tuple[Any, ...], kind: str) -> list[Any]:
        """The entries of one kind (grouped once per evaluation: several items read ``deductions``)."""
        groups = self._by_kind.get(field)
        if groups is None:
            groups = self._by_kind[field] = {}
            for entry in entries:
                groups.setdefault(entry.kind, []).append(entry)
        return groups.get(kind, [])


class InvalidParams(ValueError):
    """Raised while reading a rule's params; the message says what is wrong (in Chinese)."""


class Params:
    """Reads the ``params`` object of one item and refuses unknown or missing keys with clear messages."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise InvalidParams("params 应为 JSON 对象")
        self.data: Mapping[str, Any] = data
        self.used: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def raw(self, name: str) -> Any:
        self.used.add(name)
        if name not in self.data:
            raise InvalidParams(f"缺少参数 “{name}”")
        return self.data[name]

    def quarters(self, name: str, *, allow_negative: bool = False) -> int:
        value = self.raw(name)
        return parse_quarters(value, name, allow_negative=allow_negative)

    def integer(self, name: str, *, minimum: int = 0) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParams(f"参数 “{name}” 应为整数，而不是 {value!r}")
        if value < minimum:
            raise InvalidParams(f"参数 “{name}” 不能小于 {minimum}")
        return int(value)

    def optional_integer(self, name: str, *, minimum: int = 0) -> int | None:
        self.used.add(name)
        return self.integer(name, minimum=minimum) if self.has(name) else None

    def amount(self, name: str) -> Decimal:
        value = self.raw(name)
        if isinstance(value, bool | float):
            raise InvalidParams(f'参数 “{name}” 应写成字符串形式的精确数字（如 "10"），而不是 {value!r}')
        try:
            number = Decimal(value) if isinstance(value, int | str) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            raise InvalidParams(f"参数 “{name}” 应为非负数，而不是 {value!r}")
        return number

    def choice(self, name: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
        if default is not None and not self.has(name):
            self.used.add(name)
            return default
        value = self.raw(name)
        if value not in choices:
            raise InvalidParams(f"参数 “{name}” 的取值 {value!r} 无效，可选：{', '.join(choices)}")
        return str(value)

    def text(self, name: str) -> Text:
        return parse_text(self.raw(name), name)

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.raw(name)
        if not isinstance(value, Mapping) or not value:
            raise InvalidParams(f"参数 “{name}” 应为非空的 JSON 对象")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise InvalidParams(f"未知参数：{', '.join(unknown)}")


def parse_quarters(value: Any, name: str, *, allow_negative: bool = False) -> int:
    if isinstance(value, float):
        raise InvalidParams(f'“{name}” 应写成字符串形式的精确数字（如 "0.25"），而不是浮点数 {value!r}')
    try:
        quarters = to_quarters(value)
    except NotQuarterPoints:
        raise InvalidParams(f"“{name}” = {value!r} 不是 0.25 的整数倍") from None
    if quarters < 0 and not allow_negative:
        raise InvalidParams(f"“{name}” 不能为负数")
    return quarters


def parse_text(value: Any, name: str) -> Text:
    if (
        not isinstance(value, Mapping)
        or set(value) != {"zh", "en"}
        or not all(isinstance(v, str) and v.strip() for v in value.values())
    ):
        raise InvalidParams(f'“{name}” 应为 {{"zh": "…", "en": "…"}}，两种语言都不能为空')
    return Text(zh=value["zh"], en=value["en"])


def _require_field(field: str | None, allowed: tuple[FieldType, ...], kind: str) -> str:
    if field is None:
        raise InvalidParams(f"规则类型 {kind} 需要 “field”")
    spec = FIELD_SPECS.get(field)
    if spec is None:
        raise InvalidParams(f"未知的事实字段 “{field}”")
    if spec.type not in allowed:
        names = sorted(name for name, s in FIELD_SPECS.items() if s.type in allowed)
        raise InvalidParams(f"规则类型 {kind} 不能读取字段 “{field}”，可用字段：{', '.join(names)}")
    return field


class Rule(Protocol):
    """The interface every rule kind implements."""

    kind: ClassVar[str]
    variables_allowed: ClassVar[frozenset[str]]

    @property
    def field(self) -> str | None: ...

    def measure(self, facts: Facts, ctx: Context) -> Measure | None: ...

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]: ...

    def to_params(self) -> dict[str, Any]: ...


# ----------------------------------------------------------------------------------------------- age


@dataclass(frozen=True, slots=True)
class AgeBand:
    """Ages ``min_age``..``max_age`` (inclusive; ``None`` = no upper end): ``points + per_year × age``."""

    min_age: int
    max_age: int | None
    points_q: int
    per_year_q: int
    label: Text
    source: str = ""

    def quarters(self, age: int) -> int:
        return self.points_q + self.per_year_q * age

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"min_age": self.min_age, "max_age": self.max_age}
        data["points"] = short_points(self.points_q)
        if self.per_year_q:
            data["per_year"] = short_points(self.per_year_q)
        data["label"] = self.label.to_json()
        if self.source:
            data["source"] = self.source
        return data


@dataclass(frozen=True, slots=True)
class AgeBands:
    """Points by age band; the bands cover every age from 0 upwards without gaps or overlaps."""

    bands: tuple[AgeBand, ...]

    kind: ClassVar[str] = "age_bands"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"age", "band"})

    @property
    def field(self) -> str | None:
        return None

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        age = ctx.age
        if age is None:
            return None
        for band in self.bands:
            if band.min_age <= age and (band.max_age is None or age <= band.max_age):
                return band.quarters(age), True, (age, band)
        return 0, True, (age, None)  # only before birth (a negative age)

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        age, band = detail
        return {"age": str(age), "band": band.label.get(lang) if band else ""}

    def to_params(self) -> dict[str, Any]:
        return {"bands": [band.to_json() for band in self.bands]}

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> AgeBands:
        if field is not None:
            raise InvalidParams("age_bands 按出生日期计算，不读取 “field”")
        raw_bands = params.raw("bands")
        if not isinstance(raw_bands, list) or not raw_bands:
            raise InvalidParams("“bands” 应为非空列表")
        bands: list[AgeBand] = []
        expected_min = 0
        for index, raw in enumerate(raw_bands):
            where = f"bands[{index}]"
            try:
                band_params = Params(raw)
                min_age = band_params.integer("min_age")
                max_age = band_params.optional_integer("max_age")
                points_q = band_params.quarters("points", allow_negative=True)
                per_year_q = (
                    band_params.quarters("per_year", allow_negative=True)
                    if band_params.has("per_year")
                    else 0
                )
                band_params.used.add("per_year")
                label = band_params.text("label")
                source = _source(band_params)
                band_params.finish()
            except InvalidParams as error:
                raise InvalidParams(f"{where}: {error}") from None
            if min_age != expected_min:
                raise InvalidParams(
                    f"{where}: 年龄段须从 0 岁起连续不重叠，此段应从 {expected_min} 岁开始，不是 {min_age}"
                )
            if max_age is not None and max_age < min_age:
                raise InvalidParams(f"{where}: max_age 不能小于 min_age")
            if max_age is None and per_year_q:
                raise InvalidParams(f"{where}: 没有上限的年龄段不能按年龄递减（per_year 须为 0）")
            band = AgeBand(min_age, max_age, points_q, per_year_q, label, source)
            ends = (min_age,) if max_age is None else (min_age, max_age)
            if any(band.quarters(age) < 0 for age in ends):
                raise InvalidParams(f"{where}: 该年龄段内的分值会小于 0")
            bands.append(band)
            if max_age is None:
                if index != len(raw_bands) - 1:
                    raise InvalidParams(f"{where}: 只有最后一个年龄段可以没有上限")
                break
            expected_min = max_age + 1
        else:
            raise InvalidParams("最后一个年龄段应没有上限（max_age 为 null），以覆盖所有年龄")
        return cls(tuple(bands))


def _source(params: Params) -> str:
    params.used.add("source")
    value = params.data.get("source", "")
    if not isinstance(value, str):
        raise InvalidParams("“source” 应为字符串")
    return value


# -------------------------------------------------------------------------------------------- levels


@dataclass(frozen=True, slots=True)
class Level:
    points_q: int
    label: Text

    def to_json(self) -> dict[str, Any]:
        return {"points": short_points(self.points_q), "label": self.label.to_json()}


@dataclass(frozen=True, slots=True)
class LevelMap:
    """Points per level; a person with several records gets the highest. ``missing_q``: points when there
    is no record at all (education without a record scores as "senior high and below"); ``None`` = 0 and
    the item is shown as missing."""

    field: str
    levels: Mapping[str, Level]
    missing_q: int | None = None
    _points: dict[Any, int] = dataclass_field(init=False, repr=False, compare=False)

    kind: ClassVar[str] = "level_map"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"level", "value"})

    def __post_init__(self) -> None:
        points: dict[Any, int] = {key: level.points_q for key, level in self.levels.items()}
        if FIELD_SPECS[self.field].type is FieldType.TIER:
            points.update({int(key): q for key, q in points.items()})
        object.__setattr__(self, "_points", points)

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        value = getattr(facts, self.field)
        if not value:  # None or no record (tiers start at 1, so 0 never occurs)
            return None if self.missing_q is None else (self.missing_q, False, None)
        points = self._points
        if type(value) is int:
            return points[value], True, str(value)
        best = value[0]
        if len(value) > 1:
            best = max(value, key=points.__getitem__)
        return points[best], True, best

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        if detail is None:
            return {"level": "", "value": ""}
        return {"level": self.levels[detail].label.get(lang), "value": str(detail)}

    def to_params(self) -> dict[str, Any]:
        data: dict[str, Any] = {"levels": {key: level.to_json() for key, level in self.levels.items()}}
        if self.missing_q is not None:
            data["missing_points"] = short_points(self.missing_q)
        return data

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> LevelMap:
        name = _require_field(field, (FieldType.LEVELS, FieldType.TIER), cls.kind)
        allowed = tuple(str(choice) for choice in FIELD_SPECS[name].choices)
        raw_levels = params.mapping("levels")
        levels: dict[str, Level] = {}
        for key, raw in raw_levels.items():
            if key not in allowed:
                raise InvalidParams(f"levels: “{key}” 不是字段 {name} 的取值，可选：{', '.join(allowed)}")
            try:
                level_params = Params(raw)
                levels[key] = Level(level_params.quarters("points"), level_params.text("label"))
                level_params.finish()
            except InvalidParams as error:
                raise InvalidParams(f"levels.{key}: {error}") from None
        absent = [key for key in allowed if key not in levels]
        if absent:
            raise InvalidParams(f"levels 缺少以下取值的分值：{', '.join(absent)}")
        missing_q = params.quarters("missing_points") if params.has("missing_points") else None
        params.used.add("missing_points")
        return cls(name, levels, missing_q)


# ---------------------------------------------------------------------------------------- per unit

PerUnitMeasure = Literal["count", "months_since", "sum_in_window"]
_PER_UNIT_FIELDS: dict[str, tuple[FieldType, ...]] = {
    "count": (FieldType.COUNT,),
    "months_since": (FieldType.DATE,),
    "sum_in_window": (FieldType.AMOUNT_EVENTS,),
}


@dataclass(frozen=True, slots=True)
class PerUnit:
    """``units × rate`` where units are

    - ``count``: the number itself (months of contributions);
    - ``months_since``: full months from the date to the as-of date (months since registration);
    - ``sum_in_window``: full ``unit_size`` blocks of the summed amount of the events within the last
      ``window_years`` (full 10 volunteer hours, full ¥1,000 donated).
    """

    field: str
    measure_kind: PerUnitMeasure
    rate_q: int
    unit_size: Decimal = Decimal(1)
    window_years: int | None = None
    _amount_key: str = dataclass_field(init=False, repr=False, compare=False)

    kind: ClassVar[str] = "per_unit"
    variables_allowed: ClassVar[frozenset[str]] = frozenset(
        {"units", "rate", "unit_size", "amount", "since", "window_years", "events"}
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_amount_key", FIELD_SPECS[self.field].amount_key)

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        value = getattr(facts, self.field)
        if value is None:
            return None
        kind = self.measure_kind
        if kind == "count":
            return value * self.rate_q, True, (value, None, 0)
        if kind == "months_since":
            units = full_months(value, ctx.as_of)
            return units * self.rate_q, True, (units, value, 0)
        as_of = ctx.as_of
        if self.window_years is None:
            counted = [entry for entry in value if entry.date <= as_of]
        else:
            cutoff = ctx.cutoff(self.window_years)
            counted = [entry for entry in value if cutoff < entry.date <= as_of]
        index = 1  # the amount is the second field of VolunteerEntry and CharityDonation
        total = sum([entry[index] for entry in counted], Decimal(0))
        units = int(total // self.unit_size)
        return units * self.rate_q, True, (units, total, len(counted))

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        units, extra, events = detail
        return {
            "units": str(units),
            "rate": short_points(self.rate_q),
            "unit_size": short_decimal(self.unit_size),
            "amount": short_decimal(extra) if isinstance(extra, Decimal) else str(units),
            "since": extra.isoformat() if isinstance(extra, dt.date) else "",
            "window_years": str(self.window_years or ""),
            "events": str(events),
        }

    def to_params(self) -> dict[str, Any]:
        data: dict[str, Any] = {"measure": self.measure_kind, "rate": short_points(self.rate_q)}
        if self.measure_kind == "sum_in_window":
            data["unit_size"] = short_decimal(self.unit_size)
            data["window_years"] = self.window_years
        return data

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> PerUnit:
        measure_kind = cast(PerUnitMeasure, params.choice("measure", tuple(_PER_UNIT_FIELDS)))
        name = _require_field(field, _PER_UNIT_FIELDS[measure_kind], f"{cls.kind}/{measure_kind}")
        rate_q = params.quarters("rate")
        if measure_kind != "sum_in_window":
            return cls(name, measure_kind, rate_q)
        unit_size = params.amount("unit_size")
        if unit_size <= 0:
            raise InvalidParams("“unit_size” 应大于 0")
        params.used.add("window_years")
        window = params.optional_integer("window_years", minimum=1)
        return cls(name, measure_kind, rate_q, unit_size, window)


# ------------------------------------------------------------------------------------------- tiers


@dataclass(frozen=True, slots=True)
class Tier:
    min_amount: Decimal
    points_q: int

    def to_json(self) -> dict[str, Any]:
        return {"min": short_decimal(self.min_amount), "points": short_points(self.points_q)}


@dataclass(frozen=True, slots=True)
class Tiers:
    """Points of the highest tier whose minimum the amount reaches (``amount ≥ min``)."""

    field: str
    tiers: tuple[Tier, ...]  # ascending by min_amount

    kind: ClassVar[str] = "tiers"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"amount", "threshold", "lowest"})

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        amount = getattr(facts, self.field)
        if amount is None:
            return None
        reached: Tier | None = None
        for tier in self.tiers:
            if amount >= tier.min_amount:
                reached = tier
            else:
                break
        return (reached.points_q if reached else 0), True, (amount, reached)

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        amount, reached = detail
        return {
            "amount": short_decimal(amount),
            "threshold": short_decimal(reached.min_amount) if reached else "",
            "lowest": short_decimal(self.tiers[0].min_amount),
        }

    def to_params(self) -> dict[str, Any]:
        return {"tiers": [tier.to_json() for tier in self.tiers]}

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> Tiers:
        name = _require_field(field, (FieldType.AMOUNT, FieldType.COUNT), cls.kind)
        raw_tiers = params.raw("tiers")
        if not isinstance(raw_tiers, list) or not raw_tiers:
            raise InvalidParams("“tiers” 应为非空列表")
        tiers: list[Tier] = []
        for index, raw in enumerate(raw_tiers):
            try:
                tier_params = Params(raw)
                tier = Tier(tier_params.amount("min"), tier_params.quarters("points"))
                tier_params.finish()
            except InvalidParams as error:
                raise InvalidParams(f"tiers[{index}]: {error}") from None
            if tiers and tier.min_amount <= tiers[-1].min_amount:
                raise InvalidParams(f"tiers[{index}]: 各档的 min 应从小到大排列")
            if tiers and tier.points_q < tiers[-1].points_q:
                raise InvalidParams(f"tiers[{index}]: 金额更高的档次分值不能更低")
            tiers.append(tier)
        return cls(name, tuple(tiers))


# -------------------------------------------------------------------------------------------- flag


@dataclass(frozen=True, slots=True)
class Flag:
    """Points when the fact is true."""

    field: str
    points_q: int

    kind: ClassVar[str] = "flag"
    variables_allowed: ClassVar[frozenset[str]] = frozenset()

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        value = getattr(facts, self.field)
        if value is None:
            return None
        return (self.points_q if value else 0), True, value

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        return {}

    def to_params(self) -> dict[str, Any]:
        return {"points": short_points(self.points_q)}

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> Flag:
        return cls(_require_field(field, (FieldType.FLAG,), cls.kind), params.quarters("points"))


# --------------------------------------------------------------------------------------- per event

Distinct = Literal["none", "date", "year"]


@dataclass(frozen=True, slots=True)
class KindPoints:
    points_q: int
    label: Text

    def to_json(self) -> dict[str, Any]:
        return {"points": short_points(self.points_q), "label": self.label.to_json()}


@dataclass(frozen=True, slots=True)
class PerEvent:
    """Points per event not after the as-of date and within the last ``window_years`` (if set).

    ``points_q`` for every event, or ``by_kind`` for events with a kind (patents). ``match_kind`` keeps only
    events of one kind (deductions); with none of that kind the item has no data. ``distinct``: count
    events on the same date (``date``) or in the same year (``year``, one Spring Festival a year) once.
    """

    field: str
    points_q: int | None
    by_kind: Mapping[str, KindPoints] | None = None
    match_kind: str | None = None
    window_years: int | None = None
    distinct: Distinct = "none"
    _date_key: str = dataclass_field(init=False, repr=False, compare=False)

    kind: ClassVar[str] = "per_event"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"count", "each", "window_years", "breakdown"})

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        entries = getattr(facts, self.field)
        if entries is None:
            return None
        if self.match_kind is not None:
            entries = ctx.of_kind(self.field, entries, self.match_kind)
            if not entries:
                return None
        as_of = ctx.as_of
        date_key = self._date_key
        if self.window_years is None:
            if date_key:
                counted = [e for e in entries if getattr(e, date_key) <= as_of]
            else:
                counted = [e for e in entries if e <= as_of]
        else:
            cutoff = ctx.cutoff(self.window_years)
            if date_key:
                counted = [e for e in entries if cutoff < getattr(e, date_key) <= as_of]
            else:
                counted = [e for e in entries if cutoff < e <= as_of]
        if self.distinct != "none" and len(counted) > 1:
            if not date_key and self.by_kind is None:  # plain dates: count distinct dates or years
                distinct = set(counted) if self.distinct == "date" else {when.year for when in counted}
                count = len(distinct)
                assert self.points_q is not None
                return count * self.points_q, True, (count, None)
            counted = self._distinct(counted)
        if self.by_kind is None:
            assert self.points_q is not None
            return len(counted) * self.points_q, True, (len(counted), None)
        per_kind: dict[str, int] = {}
        for entry in counted:
            per_kind[entry.kind] = per_kind.get(entry.kind, 0) + 1
        by_kind = self.by_kind
        raw = sum(by_kind[k].points_q * n for k, n in per_kind.items())
        return raw, True, (len(counted), per_kind)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_date_key", FIELD_SPECS[self.field].date_key)

    def _distinct(self, counted: list[Any]) -> list[Any]:
        """Events on the same date (or in the same year), of the same kind, count once."""
        date_key = self._date_key
        by_year = self.distinct == "year"
        seen: set[Any] = set()
        unique = []
        for entry in counted:
            when = getattr(entry, date_key) if date_key else entry
            key = (when.year if by_year else when, getattr(entry, "kind", None))
            if key not in seen:
                seen.add(key)
                unique.append(entry)
        return unique

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        count, per_kind = detail
        if per_kind is None or self.by_kind is None:
            each = short_points(self.points_q or 0)
            breakdown = f"{count} × {each}"
        else:
            each = ""
            parts = [
                f"{kind_points.label.get(lang)} {per_kind[k]} × {short_points(kind_points.points_q)}"
                for k, kind_points in self.by_kind.items()
                if per_kind.get(k)
            ]
            breakdown = " + ".join(parts) if parts else "0"
        return {
            "count": str(count),
            "each": each,
            "window_years": str(self.window_years or ""),
            "breakdown": breakdown,
        }

    def to_params(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.by_kind is not None:
            data["points_by_kind"] = {k: v.to_json() for k, v in self.by_kind.items()}
        else:
            data["points"] = short_points(self.points_q or 0)
        if self.match_kind is not None:
            data["match_kind"] = self.match_kind
        data["window_years"] = self.window_years
        if self.distinct != "none":
            data["distinct"] = self.distinct
        return data

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> PerEvent:
        name = _require_field(field, (FieldType.DATES, FieldType.KIND_EVENTS), cls.kind)
        spec = FIELD_SPECS[name]
        kinds = tuple(str(c) for c in spec.choices)
        match_kind: str | None = None
        if params.has("match_kind"):
            if spec.type is not FieldType.KIND_EVENTS:
                raise InvalidParams(f"字段 {name} 的事件没有种类，不能使用 match_kind")
            match_kind = params.choice("match_kind", kinds)
        params.used.add("match_kind")
        if match_kind is not None and spec.name == "deductions" and match_kind == "dishonest_debtor":
            raise InvalidParams(
                "dishonest_debtor 是名单（listed_on/delisted_on），请使用规则类型 listed_flag"
            )
        points_q: int | None = None
        by_kind: dict[str, KindPoints] | None = None
        if params.has("points_by_kind"):
            if spec.type is not FieldType.KIND_EVENTS or match_kind is not None:
                raise InvalidParams("points_by_kind 只能用于有种类的事件，且不能与 match_kind 同时使用")
            by_kind = {}
            for key, raw in params.mapping("points_by_kind").items():
                if key not in kinds:
                    raise InvalidParams(f"points_by_kind: “{key}” 不是有效种类，可选：{', '.join(kinds)}")
                try:
                    kind_params = Params(raw)
                    by_kind[key] = KindPoints(kind_params.quarters("points"), kind_params.text("label"))
                    kind_params.finish()
                except InvalidParams as error:
                    raise InvalidParams(f"points_by_kind.{key}: {error}") from None
            absent = [k for k in kinds if k not in by_kind]
            if absent:
                raise InvalidParams(f"points_by_kind 缺少以下种类的分值：{', '.join(absent)}")
            if params.has("points"):
                raise InvalidParams("points 与 points_by_kind 只能二选一")
        else:
            points_q = params.quarters("points")
            if spec.type is FieldType.KIND_EVENTS and match_kind is None:
                raise InvalidParams(f"字段 {name} 的事件有种类，请设置 match_kind 或 points_by_kind")
        params.used.update({"points", "points_by_kind"})
        params.used.add("window_years")
        window = params.optional_integer("window_years", minimum=1)
        distinct = cast(Distinct, params.choice("distinct", ("none", "date", "year"), default="none"))
        return cls(name, points_q, by_kind, match_kind, window, distinct)


# ------------------------------------------------------------------------------------------ awards


@dataclass(frozen=True, slots=True)
class AwardLevels:
    """Points per award by level; the same award (by name) counts once at its highest level, different
    awards add up. Awards dated after the as-of date (or outside ``window_years``) do not count."""

    field: str
    levels: Mapping[str, Level]
    window_years: int | None = None

    kind: ClassVar[str] = "award_levels"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"count", "breakdown"})

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        awards = getattr(facts, self.field)
        if awards is None:
            return None
        levels = self.levels
        best: dict[str, Any] = {}  # award key → the award that counts
        window = self.window_years
        for award in awards:
            if not ctx.counts(award.date, window):
                continue
            name = award_key(award.award)
            current = best.get(name)
            if current is None or levels[award.level].points_q > levels[current.level].points_q:
                best[name] = award
        raw = sum([levels[award.level].points_q for award in best.values()])
        return raw, True, best

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        separator = "；" if lang == "zh" else "; "
        opening, closing = ("（", "）") if lang == "zh" else (" (", ")")
        parts = []
        for name, level in sorted((award.award, award.level) for award in detail.values()):
            spec = self.levels[level]
            parts.append(f"{name}{opening}{spec.label.get(lang)} {short_points(spec.points_q)}{closing}")
        return {"count": str(len(detail)), "breakdown": separator.join(parts) if parts else "-"}

    def to_params(self) -> dict[str, Any]:
        return {
            "levels": {key: level.to_json() for key, level in self.levels.items()},
            "window_years": self.window_years,
        }

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> AwardLevels:
        name = _require_field(field, (FieldType.AWARDS,), cls.kind)
        allowed = tuple(str(c) for c in FIELD_SPECS[name].choices)
        levels: dict[str, Level] = {}
        for key, raw in params.mapping("levels").items():
            if key not in allowed:
                raise InvalidParams(f"levels: “{key}” 不是有效级别，可选：{', '.join(allowed)}")
            try:
                level_params = Params(raw)
                levels[key] = Level(level_params.quarters("points"), level_params.text("label"))
                level_params.finish()
            except InvalidParams as error:
                raise InvalidParams(f"levels.{key}: {error}") from None
        absent = [k for k in allowed if k not in levels]
        if absent:
            raise InvalidParams(f"levels 缺少以下级别的分值：{', '.join(absent)}")
        params.used.add("window_years")
        return cls(name, levels, params.optional_integer("window_years", minimum=1))


def award_key(name: str) -> str:
    """Awards are the same award when their names match, ignoring spaces (half- or full-width)."""
    return "".join(name.split())


# ----------------------------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class ListedFlag:
    """Points when the person is on a list at the as-of date: ``listed_on ≤ as_of`` and not delisted by
    then (``delisted_on`` empty or after ``as_of``). Entries of ``match_kind`` only."""

    field: str
    match_kind: str
    points_q: int

    kind: ClassVar[str] = "listed_flag"
    variables_allowed: ClassVar[frozenset[str]] = frozenset({"listed_on", "delisted_on"})

    def measure(self, facts: Facts, ctx: Context) -> Measure | None:
        entries = getattr(facts, self.field)
        if entries is None:
            return None
        listings: list[Deduction] = ctx.of_kind(self.field, entries, self.match_kind)
        if not listings:
            return None
        for entry in listings:
            if entry.listed_at(ctx.as_of):
                return self.points_q, True, entry
        latest = max(listings, key=lambda e: e.listed_on or dt.date.min)
        return 0, True, latest

    def variables(self, detail: Any, lang: Lang) -> dict[str, str]:
        entry: Deduction = detail
        return {
            "listed_on": entry.listed_on.isoformat() if entry.listed_on else "",
            "delisted_on": entry.delisted_on.isoformat() if entry.delisted_on else "",
        }

    def to_params(self) -> dict[str, Any]:
        return {"match_kind": self.match_kind, "points": short_points(self.points_q)}

    @classmethod
    def from_params(cls, params: Params, field: str | None) -> ListedFlag:
        name = _require_field(field, (FieldType.KIND_EVENTS,), cls.kind)
        if name != "deductions":
            raise InvalidParams("listed_flag 只能读取字段 deductions")
        match_kind = params.choice("match_kind", ("dishonest_debtor",))
        return cls(name, match_kind, params.quarters("points"))


RULE_KINDS: dict[str, Callable[[Params, str | None], Rule]] = {
    AgeBands.kind: AgeBands.from_params,
    LevelMap.kind: LevelMap.from_params,
    PerUnit.kind: PerUnit.from_params,
    Tiers.kind: Tiers.from_params,
    Flag.kind: Flag.from_params,
    PerEvent.kind: PerEvent.from_params,
    AwardLevels.kind: AwardLevels.from_params,
    ListedFlag.kind: ListedFlag.from_params,
}


PointsFn = Callable[[Facts, Context], "int | None"]


def points_function(rule: Rule) -> PointsFn:
    """``measure(...)[0]`` without the detail: the points before the cap, or None without data.

    The batch command's path. The simple kinds get an allocation-free function; the others go through
    ``measure``. (The property tests check that ``evaluate`` and ``evaluate_quarters`` agree.)
    """
    if isinstance(rule, PerUnit) and rule.measure_kind == "count":
        return _count_points(rule.field, rule.rate_q)
    if isinstance(rule, PerUnit) and rule.measure_kind == "months_since":
        return _months_points(rule.field, rule.rate_q)
    if isinstance(rule, Flag):
        return _flag_points(rule.field, rule.points_q)
    if isinstance(rule, LevelMap):
        return _level_points(rule.field, rule._points, rule.missing_q)
    if isinstance(rule, AgeBands):
        return _age_points(rule.bands)
    if isinstance(rule, Tiers):
        return _tier_points(rule.field, rule.tiers)
    measure = rule.measure

    def generic(facts: Facts, ctx: Context) -> int | None:
        result = measure(facts, ctx)
        return None if result is None else result[0]

    return generic


def _age_points(bands: tuple[AgeBand, ...]) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        age = ctx.age
        if age is None:
            return None
        for band in bands:
            if band.min_age <= age and (band.max_age is None or age <= band.max_age):
                return band.points_q + band.per_year_q * age
        return 0

    return points


def _tier_points(name: str, tiers: tuple[Tier, ...]) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        amount = getattr(facts, name)
        if amount is None:
            return None
        reached = 0
        for tier in tiers:
            if amount < tier.min_amount:
                break
            reached = tier.points_q
        return reached

    return points


def _count_points(name: str, rate: int) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        value = getattr(facts, name)
        return None if value is None else int(value) * rate

    return points


def _months_points(name: str, rate: int) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        start = getattr(facts, name)
        if start is None:
            return None
        return full_months(start, ctx.as_of) * rate

    return points


def _flag_points(name: str, points_q: int) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        value = getattr(facts, name)
        return None if value is None else (points_q if value else 0)

    return points


def _level_points(name: str, table: Mapping[Any, int], missing: int | None) -> PointsFn:
    def points(facts: Facts, ctx: Context) -> int | None:
        value = getattr(facts, name)
        if not value:
            return missing
        if type(value) is int:
            return table[value]
        if len(value) == 1:
            return table[value[0]]
        return max(table[v] for v in value)

    return points
