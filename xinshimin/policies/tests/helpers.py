"""Shared helpers for the policy tests: the seed policy, facts from exchange-format dicts."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from xinshimin.policies import Facts, PolicyVersion, Score, evaluate, parse_facts, seed_policy

AS_OF = dt.date(2025, 4, 1)
BIRTH_33 = dt.date(1992, 3, 15)  # 33 on AS_OF, as in the spec's worked example


@cache
def policy() -> PolicyVersion:
    return seed_policy("ruian")


def facts(**fields: Any) -> Facts:
    """Facts written as in the exchange format: ``facts(education="bachelor", volunteer=[...])``."""
    return parse_facts(fields)


def score(facts_: Facts, *, as_of: dt.date = AS_OF, birth_date: dt.date | None = BIRTH_33) -> Score:
    return evaluate(facts_, policy(), as_of=as_of, birth_date=birth_date)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


WORKED_EXAMPLE: dict[str, Any] = {
    "id_number": "522401199203154513",
    "name": "张三",
    "as_of": "2025-04-01",
    "facts": {
        "education": "bachelor",
        "skill": "level3",
        "zj_social_insurance_months": 48,
        "zj_residence_registered_on": "2018-06-10",
        "ruian_residence_registered_on": "2020-01-01",
        "housing": "registered_lease",
        "employed_in_ruian": True,
        "ruian_social_insurance_months": 40,
        "provident_fund_months": 12,
        "tax_paid_last_year_yuan": 20000,
        "volunteer": [{"date": "2024-05-01", "hours": 12.5}],
        "blood_donations": ["2021-05-01", "2023-11-20"],
        "charity_donations": [{"date": "2024-12-01", "yuan": 3000}],
        "bravery": ["2022-08-08"],
        "awards": [{"award": "浙江省优秀外来务工人员", "level": "provincial", "date": "2023-01-10"}],
        "patents": [{"kind": "invention", "granted_on": "2022-03-01"}],
        "talent_tier": 4,
        "veteran": False,
        "party_member": True,
        "deputy": False,
        "spring_festival_stays": ["2024-02-10", "2025-01-29"],
        "deductions": [{"kind": "detention", "date": "2022-07-01"}],
    },
}
