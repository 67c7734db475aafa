"""The whole score: the spec's worked example, the group caps and the floor."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from xinshimin.policies import evaluate, evaluate_quarters, format_points, parse_exchange_line
from xinshimin.residents.idnumber import parse_id_number

from .helpers import AS_OF, WORKED_EXAMPLE, d, facts, policy, score

WORKED_ITEMS = {
    "common.age": "20.00",
    "common.education": "10.00",
    "common.skill": "8.00",
    "common.social_insurance": "24.00",
    "common.residence": "20.25",
    "local.ruian_residence": "15.75",
    "local.housing": "5.00",
    "local.employment": "10.00",
    "local.ruian_social_insurance": "20.00",
    "local.provident_fund": "3.00",
    "local.tax": "5.00",
    "local.volunteer": "1.00",
    "local.blood_donation": "4.00",
    "local.charity_donation": "3.00",
    "local.bravery": "20.00",
    "local.award": "20.00",
    "local.patent": "10.00",
    "local.talent": "20.00",
    "local.veteran": "0.00",
    "local.party_member": "5.00",
    "local.deputy": "0.00",
    "local.spring_festival_stay": "4.00",
    "ded.rental_hazard": "0.00",
    "ded.public_order_penalty": "0.00",
    "ded.detention": "-20.00",
    "ded.criminal": "0.00",
    "ded.dishonest_debtor": "0.00",
    "ded.credit_default": "0.00",
}


def test_worked_example_totals_208() -> None:
    record = parse_exchange_line(json.dumps(WORKED_EXAMPLE, ensure_ascii=False), parse_id=parse_id_number)
    assert record.as_of == AS_OF and record.birth_date == d("1992-03-15")
    result = evaluate(record.facts, policy(), as_of=AS_OF, birth_date=record.birth_date)
    assert {i.code: format_points(i.quarters) for i in result.items} == WORKED_ITEMS
    assert result.common == Decimal("82.25")
    assert result.local == result.local_raw == Decimal("145.75")
    assert result.deductions == Decimal("20.00")
    assert result.total == result.raw_total == Decimal("208.00")
    assert str(result.total) == "208.00"
    assert result.notes("zh") == []


def test_evaluate_quarters_agrees_with_evaluate() -> None:
    record = parse_exchange_line(json.dumps(WORKED_EXAMPLE, ensure_ascii=False), parse_id=parse_id_number)
    full = evaluate(record.facts, policy(), as_of=AS_OF, birth_date=record.birth_date)
    quick = evaluate_quarters(record.facts, policy(), as_of=AS_OF, birth_date=record.birth_date)
    assert quick.items == [i.quarters for i in full.items]
    assert (quick.total_q, quick.common_q, quick.local_q, quick.deductions_q) == (
        full.total_q,
        full.common_q,
        full.local_q,
        full.deductions_q,
    )


RICH_LOCAL = {
    "ruian_residence_registered_on": "2010-01-01",  # 30
    "housing": "owned",  # 20
    "employed_in_ruian": True,  # 10
    "ruian_social_insurance_months": 100,  # 30
    "provident_fund_months": 100,  # 15
    "tax_paid_last_year_yuan": 2000000,  # 30
    "talent_tier": 1,  # 50
    "bravery": ["2020-01-01", "2021-01-01"],  # 40
}  # 225 in all


def test_local_cap_of_200_bites() -> None:
    result = score(facts(**RICH_LOCAL))
    assert result.local_raw == Decimal("225.00")
    assert result.local == Decimal("200.00")
    assert result.local_capped
    assert result.total == result.common + Decimal(200)
    assert result.notes("zh") == ["瑞安市个性指标合计 225 分，超过上限，按 200 分计"]
    assert result.notes("en") == [
        "Rui'an local indicators add up to 225 points, above the cap: 200 points count"
    ]


def test_deductions_are_subtracted_after_the_local_cap() -> None:
    result = score(facts(**RICH_LOCAL, deductions=[{"kind": "detention", "date": "2024-01-01"}]))
    assert result.local == Decimal(200)
    assert result.total == result.common + Decimal(200) - Decimal(20)


def test_deductions_larger_than_the_rest_give_zero_and_keep_the_raw_value() -> None:
    crimes = [{"kind": "criminal", "date": f"202{y}-01-01"} for y in range(1, 5)]  # 200
    result = score(facts(education="bachelor", deductions=crimes))
    assert result.common == Decimal("30.00")  # age 20 + education 10
    assert result.deductions == Decimal("200.00")
    assert result.raw_total == Decimal("-170.00")
    assert result.total == Decimal("0.00")
    assert result.floored
    assert result.notes("zh") == ["扣减后为 -170 分，按 0 分计"]


@pytest.mark.parametrize(
    ("fields", "total"),
    [
        ({}, "25.00"),  # age 20 + education without a record 5
        ({"education": "master", "skill": "level1"}, "40.00"),
        ({"deductions": [{"kind": "dishonest_debtor", "listed_on": "2024-01-01"}]}, "0.00"),
    ],
)
def test_small_totals(fields: dict[str, object], total: str) -> None:
    assert format_points(score(facts(**fields)).total_q) == total


def test_snapshot_json_carries_points_and_both_languages() -> None:
    data = score(facts(zj_social_insurance_months=48)).to_json()
    assert data["policy"] == "ruian-2025.1"
    assert data["items"]["common.social_insurance"] == {
        "points": "24.00",
        "zh": "浙江省内缴纳社保 48 个月 × 0.5 = 24 分",
        "en": "Social insurance in Zhejiang: 48 months × 0.5 = 24 points",
    }
