"""Policies: the rules as data and the engine that applies them. Pure Python, no Django.

Public API (import from ``xinshimin.policies``):

- ``Facts`` and its entry types; ``facts_to_exchange``, ``facts_digest``
- ``PolicyVersion``; ``policy_from_document``, ``policy_to_document``, ``seed_policy``, ``load_policy_file``
- ``evaluate(facts, policy, *, as_of, birth_date) -> Score`` and ``evaluate_quarters`` (numbers only)
- ``parse_exchange_line``, ``parse_exchange_object``, ``parse_facts``, ``parse_fact_value``
- errors: ``ExchangeError``, ``PolicyDocumentError``
"""

from __future__ import annotations

from .dates import age_on, full_months, within_last_years, years_before
from .errors import ExchangeError, PolicyDocumentError
from .evaluate import ItemScore, QuarterScore, Score, evaluate, evaluate_quarters
from .exchange import (
    ExchangeRecord,
    parse_exchange_line,
    parse_exchange_object,
    parse_fact_value,
    parse_facts,
)
from .facts import (
    FACT_FIELDS,
    Award,
    CharityDonation,
    Deduction,
    Facts,
    Patent,
    VolunteerEntry,
    canonical_facts_json,
    facts_digest,
    facts_to_exchange,
)
from .points import format_points, from_quarters, to_quarters
from .version import (
    PolicyVersion,
    load_policy_file,
    policy_from_document,
    policy_from_json,
    policy_to_document,
    policy_to_json,
    seed_policy,
)

__all__ = [
    "FACT_FIELDS",
    "Award",
    "CharityDonation",
    "Deduction",
    "ExchangeError",
    "ExchangeRecord",
    "Facts",
    "ItemScore",
    "Patent",
    "PolicyDocumentError",
    "PolicyVersion",
    "QuarterScore",
    "Score",
    "VolunteerEntry",
    "age_on",
    "canonical_facts_json",
    "evaluate",
    "evaluate_quarters",
    "facts_digest",
    "facts_to_exchange",
    "format_points",
    "from_quarters",
    "full_months",
    "load_policy_file",
    "parse_exchange_line",
    "parse_exchange_object",
    "parse_fact_value",
    "parse_facts",
    "policy_from_document",
    "policy_from_json",
    "policy_to_document",
    "policy_to_json",
    "seed_policy",
    "to_quarters",
    "within_last_years",
    "years_before",
]
