"""The exchange format: strict parsing with errors that name the field and the problem."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from xinshimin.policies import (
    ExchangeError,
    Facts,
    facts_digest,
    facts_to_exchange,
    parse_exchange_line,
    parse_exchange_object,
    parse_facts,
)
from xinshimin.policies.exchange import decode_line
from xinshimin.residents.idnumber import parse_id_number

from .helpers import WORKED_EXAMPLE, d


def parse(data: dict[str, Any]) -> Any:
    return parse_exchange_line(json.dumps(data, ensure_ascii=False), parse_id=parse_id_number)


def with_facts(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(WORKED_EXAMPLE)
    data["facts"].update(changes)
    return data


BAD_LINES: list[tuple[str, dict[str, Any], str, str]] = [
    # case, line, field, message (part of it)
    (
        "unknown top-level field",
        {**WORKED_EXAMPLE, "phone": "13800000000"},
        "phone",
        "未知字段。允许的字段：id_number, name, as_of, facts",
    ),
    ("unknown facts field", with_facts(shoe_size=42), "shoe_size", "未知字段。允许的字段：education"),
    ("bad check digit", {**WORKED_EXAMPLE, "id_number": "522401199203154512"}, "id_number", "校验码"),
    ("missing ID number", {"facts": {}}, "id_number", "缺少身份证号码"),
    ("ID number as a number", {**WORKED_EXAMPLE, "id_number": 522401199203154513}, "id_number", "应为字符串"),
    (
        "impossible date",
        with_facts(zj_residence_registered_on="2023-02-30"),
        "zj_residence_registered_on",
        "2023-02-30 不是有效日期",
    ),
    (
        "date in another format",
        with_facts(zj_residence_registered_on="2023/02/03"),
        "zj_residence_registered_on",
        "不是 YYYY-MM-DD 格式",
    ),
    ("bad as_of", {**WORKED_EXAMPLE, "as_of": "2025-13-01"}, "as_of", "2025-13-01 不是有效日期"),
    (
        "unknown education",
        with_facts(education="phd"),
        "education",
        '未知取值 "phd"，可选：doctorate, master, bachelor, college, high_school, below_high_school',
    ),
    ("unknown skill in a list", with_facts(skill=["level3", "guru"]), "skill[1]", '未知取值 "guru"'),
    (
        "months as text",
        with_facts(zj_social_insurance_months="48"),
        "zj_social_insurance_months",
        "应为非负整数",
    ),
    (
        "months with a fraction",
        with_facts(zj_social_insurance_months=4.5),
        "zj_social_insurance_months",
        "应为非负整数",
    ),
    ("negative months", with_facts(provident_fund_months=-3), "provident_fund_months", "不能为负数：-3"),
    ("boolean months", with_facts(provident_fund_months=True), "provident_fund_months", "应为非负整数"),
    ("negative tax", with_facts(tax_paid_last_year_yuan=-1), "tax_paid_last_year_yuan", "不能为负数"),
    ("flag as text", with_facts(veteran="yes"), "veteran", "应为 true 或 false"),
    ("talent tier 6", with_facts(talent_tier=6), "talent_tier", "可选：1, 2, 3, 4, 5"),
    ("talent tier true", with_facts(talent_tier=True), "talent_tier", "应为整数"),
    (
        "negative hours",
        with_facts(volunteer=[{"date": "2024-05-01", "hours": -2}]),
        "volunteer[0].hours",
        "不能为负数",
    ),
    ("hours missing", with_facts(volunteer=[{"date": "2024-05-01"}]), "volunteer[0].hours", "缺少必填字段"),
    (
        "unknown key in an entry",
        with_facts(volunteer=[{"date": "2024-05-01", "hours": 2, "place": "x"}]),
        "volunteer[0].place",
        "未知字段",
    ),
    ("dates not a list", with_facts(blood_donations="2021-05-01"), "blood_donations", "应为列表"),
    (
        "impossible date in a list",
        with_facts(bravery=["2022-02-29"]),
        "bravery[0]",
        "2022-02-29 不是有效日期",
    ),
    (
        "unknown award level",
        with_facts(awards=[{"award": "x", "level": "city", "date": "2023-01-10"}]),
        "awards[0].level",
        "可选：national, provincial, wenzhou, ruian",
    ),
    (
        "empty award name",
        with_facts(awards=[{"award": " ", "level": "ruian", "date": "2023-01-10"}]),
        "awards[0].award",
        "非空字符串",
    ),
    (
        "unknown patent kind",
        with_facts(patents=[{"kind": "software", "granted_on": "2022-03-01"}]),
        "patents[0].kind",
        "可选：invention, utility_model, design",
    ),
    (
        "unknown deduction kind",
        with_facts(deductions=[{"kind": "speeding", "date": "2022-07-01"}]),
        "deductions[0].kind",
        "可选：rental_hazard",
    ),
    (
        "listing given a date",
        with_facts(deductions=[{"kind": "dishonest_debtor", "date": "2022-07-01"}]),
        "deductions[0].date",
        "未知字段",
    ),
    (
        "event given listed_on",
        with_facts(deductions=[{"kind": "detention", "listed_on": "2022-07-01"}]),
        "deductions[0].listed_on",
        "未知字段",
    ),
    (
        "delisted before listed",
        with_facts(
            deductions=[{"kind": "dishonest_debtor", "listed_on": "2022-07-01", "delisted_on": "2022-06-01"}]
        ),
        "deductions[0].delisted_on",
        "不能早于",
    ),
    ("facts not an object", {**WORKED_EXAMPLE, "facts": []}, "facts", "应为 JSON 对象"),
    ("no facts", {"id_number": WORKED_EXAMPLE["id_number"]}, "facts", "缺少 facts"),
]


@pytest.mark.parametrize(("case", "line", "field", "message"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_bad_lines_name_the_field_and_the_problem(
    case: str, line: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ExchangeError) as caught:
        parse(line)
    assert caught.value.field == field
    assert message in caught.value.message, caught.value.message
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "空行"),
        ('{"id_number": ', "不是有效的 JSON"),
        ("[1, 2]", "每行应为一个 JSON 对象"),
        ('{"id_number": "x", "facts": {"tax_paid_last_year_yuan": NaN}}', "不是有效的 JSON"),
    ],
)
def test_lines_that_are_not_objects(text: str, message: str) -> None:
    with pytest.raises(ExchangeError) as caught:
        parse_exchange_object(decode_line(text), parse_id=parse_id_number)
    assert message in str(caught.value)


def test_good_line_parses_exactly() -> None:
    record = parse(WORKED_EXAMPLE)
    assert record.id_number == "522401199203154513"
    assert record.name == "张三"
    assert record.as_of == d("2025-04-01")
    assert record.birth_date == d("1992-03-15")
    assert record.facts.education == ("bachelor",)
    assert str(record.facts.volunteer[0].hours) == "12.5"  # an exact decimal, not a float


def test_missing_and_null_fields_mean_no_fact() -> None:
    record = parse({"id_number": WORKED_EXAMPLE["id_number"], "facts": {"education": None}})
    assert record.facts == Facts()
    assert record.as_of is None and record.name == ""


def test_exchange_round_trip_and_canonical_digest() -> None:
    original = parse_facts(WORKED_EXAMPLE["facts"])
    assert facts_to_exchange(original) == WORKED_EXAMPLE["facts"]
    assert parse_facts(facts_to_exchange(original)) == original
    reordered = dict(WORKED_EXAMPLE["facts"])
    reordered["blood_donations"] = list(reversed(reordered["blood_donations"]))
    assert facts_digest(parse_facts(reordered)) == facts_digest(original)
    assert facts_digest(parse_facts({**reordered, "talent_tier": 3})) != facts_digest(original)
