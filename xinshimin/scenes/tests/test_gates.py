"""Eligibility gates: each rule, with its explanation. Readable tables (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from xinshimin.policies import Deduction
from xinshimin.scenes import gates

D = dt.date


@pytest.mark.parametrize(
    ("birth", "stage", "passed", "says"),
    [
        (D(2019, 8, 31), "grade1", True, "6 周岁"),  # six on the cut-off day itself
        (D(2019, 9, 1), "grade1", False, "只有 5 周岁"),  # one day too young
        (D(2018, 9, 1), "grade1", True, "6 周岁"),
        (D(2018, 8, 31), "grade1", True, "7 周岁"),  # a deferred start: one year older is allowed
        (D(2017, 8, 31), "grade1", False, "已满 8 周岁"),
        (D(2013, 8, 31), "grade7", True, "12 周岁"),
        (D(2013, 9, 1), "grade7", False, "只有 11 周岁"),
        (D(2011, 8, 31), "grade7", False, "已满 14 周岁"),
        (D(2019, 5, 1), "grade9", False, "请选择入学阶段"),
    ],
)
def test_stage_age_on_31_august(birth, stage, passed, says):
    result = gates.stage_age_gate(birth_date=birth, stage=stage, year=2025)
    assert result.passed is passed
    assert says in result.message


def test_stage_age_message_names_the_cutoff_date():
    result = gates.stage_age_gate(birth_date=D(2019, 12, 1), stage="grade1", year=2025)
    assert "2025-08-31" in result.message and "明年再申请" in result.message


def permit(status: str = "valid", scoring: bool = True) -> gates.PermitView:
    return gates.PermitView(
        "ZJ33038100000001", status, {"valid": "有效", "expired": "已过期"}[status], D(2026, 1, 1), scoring
    )


def test_permit_gate():
    assert gates.permit_gate(permit(), on=D(2025, 3, 1)).passed
    expired = gates.permit_gate(permit("expired", scoring=False), on=D(2025, 3, 1))
    assert not expired.passed and "已过期" in expired.message and "续办" in expired.message
    missing = gates.permit_gate(None, on=D(2025, 3, 1))
    assert not missing.passed and "2025-03-01" in missing.message


def test_employment_gate_explains_how_to_fix():
    result = gates.employment_gate(False)
    assert not result.passed and "劳动合同" in result.message and "窗口" in result.message
    assert gates.employment_gate(True).passed


ON = D(2025, 8, 1)


@pytest.mark.parametrize(
    ("deductions", "passed"),
    [
        ([], True),
        ([Deduction("detention", date=D(2020, 8, 2))], False),  # within 5 years (after 2020-08-01)
        ([Deduction("detention", date=D(2020, 8, 1))], True),  # exactly 5 years before: outside
        ([Deduction("criminal", date=D(2024, 1, 1))], False),
        ([Deduction("public_order_penalty", date=D(2025, 1, 1))], True),  # a fine is not detention
        ([Deduction("detention", date=D(2025, 8, 2))], True),  # after the day: not counted
        ([Deduction("dishonest_debtor", listed_on=D(2024, 1, 1))], True),
    ],
)
def test_no_penalty_within_five_years_checked_against_deduction_facts(deductions, passed):
    result = gates.penalty_gate(deductions, {"no_penalty": True}, on=ON)
    assert result.passed is passed
    if not passed:
        assert "五年内" in result.message and "2020-08-01" in result.message


def test_penalty_declaration_must_be_affirmed():
    result = gates.penalty_gate([], {"no_penalty": False}, on=ON)
    assert not result.passed and "未声明" in result.message


@pytest.mark.parametrize(
    ("paid", "prior", "passed"),
    [
        ([], 0, True),
        ([2023, 2024], 0, True),
        ([2022, 2023, 2024], 0, False),
        ([2024], 2, False),
        ([2024, 2024], 1, True),
    ],
)
def test_at_most_three_years_of_subsidy(paid, prior, passed):
    result = gates.subsidy_years_gate(paid_years=paid, declared_prior_years=prior)
    assert result.passed is passed
    if not passed:
        assert "最多享受 3 年" in result.message


def test_housing_gates_report_every_failure():
    results = gates.housing_gates(
        permit=permit(),
        declarations={
            "no_home": False,
            "no_other_subsidy": True,
            "no_penalty": True,
            "prior_subsidy_years": 3,
        },
        deductions=[Deduction("criminal", date=D(2023, 5, 1))],
        paid_years=[],
        on=ON,
    )
    assert [r.code for r in gates.failures(results)] == ["no_home", "no_penalty", "subsidy_years"]
    assert all(r.message.endswith("。") for r in results)
