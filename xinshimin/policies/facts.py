"""Facts: the engine's input, field for field the ``facts`` object of the exchange format (spec §4).

Departments send facts (events with dates), never points. Every field is optional: a missing field
means "no fact" (``None``). Level fields (``education``, ``skill``, ``housing``) hold a tuple because a
person may hold several records (a skill level and a professional title); the highest one counts. In the
exchange format they are a single string or a list of strings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

# The enumerations of the exchange format (spec §4). They are the contract with the departments: a new
# value is a format change, a new point value for an existing one is only a policy change.
EDUCATION_LEVELS = ("doctorate", "master", "bachelor", "college", "high_school", "below_high_school")
SKILL_LEVELS = (
    "level1",
    "level2",
    "level3",
    "level4",
    "level5",
    "title_senior",
    "title_deputy_senior",
    "title_intermediate",
    "title_junior",
    "special_senior",
    "special_ordinary",
    "none",
)
HOUSING_KINDS = ("owned", "registered_lease", "none")
TALENT_TIERS = (1, 2, 3, 4, 5)
AWARD_LEVELS = ("national", "provincial", "wenzhou", "ruian")
PATENT_KINDS = ("invention", "utility_model", "design")
DEDUCTION_KINDS = (
    "rental_hazard",
    "public_order_penalty",
    "detention",
    "criminal",
    "dishonest_debtor",
    "credit_default",
)
# Deduction kinds that are a listing in force on a date (listed_on / delisted_on) instead of an event.
LISTING_DEDUCTION_KINDS = frozenset({"dishonest_debtor"})


# Entries of list fields are named tuples: immutable like the frozen Facts, and cheap to build (a batch
# file has millions of them).


class VolunteerEntry(NamedTuple):
    date: dt.date
    hours: Decimal


class CharityDonation(NamedTuple):
    date: dt.date
    yuan: Decimal


class Award(NamedTuple):
    award: str
    level: str
    date: dt.date


class Patent(NamedTuple):
    kind: str
    granted_on: dt.date


class Deduction(NamedTuple):
    """An event (``date``) or, for a listing such as ``dishonest_debtor``, ``listed_on``/``delisted_on``."""

    kind: str
    date: dt.date | None = None
    listed_on: dt.date | None = None
    delisted_on: dt.date | None = None

    def listed_at(self, as_of: dt.date) -> bool:
        """On the list on ``as_of``: listed on or before it and not (yet) delisted by then."""
        return (
            self.listed_on is not None
            and self.listed_on <= as_of
            and (self.delisted_on is None or self.delisted_on > as_of)
        )


@dataclass(slots=True)
class Facts:
    """Everything the engine knows about one person. ``None`` = no fact for that field.

    Treat it as a value: the engine never changes it. (Not ``frozen``: building a frozen dataclass costs
    four times as much, and the batch command builds one per line.)
    """

    education: tuple[str, ...] | None = None
    skill: tuple[str, ...] | None = None
    zj_social_insurance_months: int | None = None
    zj_residence_registered_on: dt.date | None = None
    ruian_residence_registered_on: dt.date | None = None
    housing: tuple[str, ...] | None = None
    employed_in_ruian: bool | None = None
    ruian_social_insurance_months: int | None = None
    provident_fund_months: int | None = None
    tax_paid_last_year_yuan: Decimal | None = None
    volunteer: tuple[VolunteerEntry, ...] | None = None
    blood_donations: tuple[dt.date, ...] | None = None
    charity_donations: tuple[CharityDonation, ...] | None = None
    bravery: tuple[dt.date, ...] | None = None
    awards: tuple[Award, ...] | None = None
    patents: tuple[Patent, ...] | None = None
    talent_tier: int | None = None
    veteran: bool | None = None
    party_member: bool | None = None
    deputy: bool | None = None
    spring_festival_stays: tuple[dt.date, ...] | None = None
    deductions: tuple[Deduction, ...] | None = None


class FieldType(Enum):
    """What kind of value a facts field holds; decides which rule kinds may read it."""

    LEVELS = "levels"  # one or more enumeration values, highest counts
    TIER = "tier"  # an integer enumeration (talent tier)
    COUNT = "count"  # a non-negative integer (months)
    DATE = "date"  # a date (registration date)
    FLAG = "flag"  # true/false
    AMOUNT = "amount"  # a non-negative decimal (yuan)
    DATES = "dates"  # a list of event dates
    AMOUNT_EVENTS = "amount_events"  # a list of {date, <amount>}
    KIND_EVENTS = "kind_events"  # a list of {kind, <date>} (patents, deductions)
    AWARDS = "awards"  # a list of {award, level, date}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    choices: tuple[Any, ...] = ()  # allowed enumeration values (levels, tiers, kinds)
    amount_key: str = ""  # AMOUNT_EVENTS: the key of the amount ("hours", "yuan")
    date_key: str = ""  # KIND_EVENTS: the key of the date ("granted_on", "date")


FIELD_SPECS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("education", FieldType.LEVELS, EDUCATION_LEVELS),
        FieldSpec("skill", FieldType.LEVELS, SKILL_LEVELS),
        FieldSpec("zj_social_insurance_months", FieldType.COUNT),
        FieldSpec("zj_residence_registered_on", FieldType.DATE),
        FieldSpec("ruian_residence_registered_on", FieldType.DATE),
        FieldSpec("housing", FieldType.LEVELS, HOUSING_KINDS),
        FieldSpec("employed_in_ruian", FieldType.FLAG),
        FieldSpec("ruian_social_insurance_months", FieldType.COUNT),
        FieldSpec("provident_fund_months", FieldType.COUNT),
        FieldSpec("tax_paid_last_year_yuan", FieldType.AMOUNT),
        FieldSpec("volunteer", FieldType.AMOUNT_EVENTS, amount_key="hours"),
        FieldSpec("blood_donations", FieldType.DATES),
        FieldSpec("charity_donations", FieldType.AMOUNT_EVENTS, amount_key="yuan"),
        FieldSpec("bravery", FieldType.DATES),
        FieldSpec("awards", FieldType.AWARDS, AWARD_LEVELS),
        FieldSpec("patents", FieldType.KIND_EVENTS, PATENT_KINDS, date_key="granted_on"),
        FieldSpec("talent_tier", FieldType.TIER, TALENT_TIERS),
        FieldSpec("veteran", FieldType.FLAG),
        FieldSpec("party_member", FieldType.FLAG),
        FieldSpec("deputy", FieldType.FLAG),
        FieldSpec("spring_festival_stays", FieldType.DATES),
        FieldSpec("deductions", FieldType.KIND_EVENTS, DEDUCTION_KINDS, date_key="date"),
    )
}
FACT_FIELDS: tuple[str, ...] = tuple(FIELD_SPECS)

assert tuple(f.name for f in fields(Facts)) == FACT_FIELDS, "FIELD_SPECS must follow the Facts fields"


def _number(value: Decimal | int) -> int | float:
    """A JSON number for an exact amount: integral values stay ``int``; others become the shortest float
    that reads back as the same decimal (``12.5``), as in the exchange format."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _deduction_to_exchange(entry: Deduction) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": entry.kind}
    if entry.date is not None:
        data["date"] = entry.date.isoformat()
    if entry.listed_on is not None:
        data["listed_on"] = entry.listed_on.isoformat()
    if entry.delisted_on is not None:
        data["delisted_on"] = entry.delisted_on.isoformat()
    return data


def facts_to_exchange(facts: Facts) -> dict[str, Any]:
    """The ``facts`` object of the exchange format (JSON-ready), with only the fields that are present."""
    out: dict[str, Any] = {}
    for name in FACT_FIELDS:
        value = getattr(facts, name)
        if value is not None:
            out[name] = field_to_exchange(name, value)
    return out


def field_to_exchange(name: str, value: Any) -> Any:
    """One facts field as its exchange-format JSON value."""
    kind = FIELD_SPECS[name].type
    if kind is FieldType.LEVELS:
        return value[0] if len(value) == 1 else list(value)
    if kind in (FieldType.TIER, FieldType.COUNT, FieldType.FLAG):
        return value
    if kind is FieldType.DATE:
        return value.isoformat()
    if kind is FieldType.AMOUNT:
        return _number(value)
    if kind is FieldType.DATES:
        return [d.isoformat() for d in value]
    if name == "volunteer":
        return [{"date": e.date.isoformat(), "hours": _number(e.hours)} for e in value]
    if name == "charity_donations":
        return [{"date": e.date.isoformat(), "yuan": _number(e.yuan)} for e in value]
    if name == "awards":
        return [{"award": a.award, "level": a.level, "date": a.date.isoformat()} for a in value]
    if name == "patents":
        return [{"kind": p.kind, "granted_on": p.granted_on.isoformat()} for p in value]
    if name == "deductions":
        return [_deduction_to_exchange(d) for d in value]
    raise AssertionError(f"no exchange form for {name}")  # pragma: no cover


def canonical_facts_json(facts: Facts) -> str:
    """A canonical text of the facts: keys sorted, list entries sorted, no whitespace.

    Two ``Facts`` that score the same because they hold the same records in another order have the same
    canonical text; a snapshot stores its SHA-256 (see ``facts_digest``).
    """
    data = facts_to_exchange(facts)
    for name, value in data.items():
        if isinstance(value, list):
            data[name] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def facts_digest(facts: Facts) -> str:
    """SHA-256 (hex) of ``canonical_facts_json``."""
    return hashlib.sha256(canonical_facts_json(facts).encode("utf-8")).hexdigest()
