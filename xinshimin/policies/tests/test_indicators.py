"""Every indicator of spec §2.1–§2.3 under ruian-2025.1, one row per case.

Facts are written as in the exchange format. Unless a row says otherwise the as-of date is 2025-04-01
and the person was born on 1992-03-15 (33 years old). Expected points are as the batch command prints
them (deductions negative).
"""

from __future__ import annotations

from typing import Any

import pytest

from xinshimin.policies import format_points

from .helpers import AS_OF, d, facts, score


def _check(code: str, fields: dict[str, Any], expected: str, as_of: str | None = None) -> None:
    result = score(facts(**fields), as_of=d(as_of) if as_of else AS_OF).item(code)
    assert format_points(result.quarters) == expected, result.zh


AGE_ROWS = [
    # birth date,  as_of,        points
    ("1985-04-01", "2025-04-01", "20.00"),  # 40 today
    ("1984-04-02", "2025-04-01", "20.00"),  # 40, turns 41 tomorrow
    ("1984-04-01", "2025-04-01", "19.00"),  # 41 today: 60 − 41
    ("1970-04-02", "2025-04-01", "6.00"),  # 54
    ("1970-04-01", "2025-04-01", "5.00"),  # 55: 60 − 55
    ("1969-04-01", "2025-04-01", "5.00"),  # 56
    ("1965-04-01", "2025-04-01", "5.00"),  # 60
    ("1964-04-02", "2025-04-01", "5.00"),  # 60, turns 61 tomorrow
    ("1964-04-01", "2025-04-01", "0.00"),  # 61 today
    ("1940-01-01", "2025-04-01", "0.00"),  # 85
    ("2007-04-01", "2025-04-01", "20.00"),  # 18
]


@pytest.mark.parametrize(("birth", "as_of", "expected"), AGE_ROWS)
def test_age_bands(birth: str, as_of: str, expected: str) -> None:
    result = score(facts(), as_of=d(as_of), birth_date=d(birth)).item("common.age")
    assert format_points(result.quarters) == expected


def test_age_explanation_names_the_band() -> None:
    result = score(facts()).item("common.age")
    assert result.zh == "年龄 33 岁（≤40 岁）得 20 分"
    assert result.en == "Age 33 (40 or under): 20 points"


def test_age_without_birth_date_is_missing() -> None:
    result = score(facts(), birth_date=None).item("common.age")
    assert result.quarters == 0 and not result.has_data
    assert result.zh.startswith("暂无数据")


ROWS: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    # case, item code, facts, expected points, as_of (default 2025-04-01)
    # --- education (highest only; no record scores 5)
    ("doctorate", "common.education", {"education": "doctorate"}, "10.00", None),
    ("master", "common.education", {"education": "master"}, "10.00", None),
    ("bachelor", "common.education", {"education": "bachelor"}, "10.00", None),
    ("junior college", "common.education", {"education": "college"}, "8.00", None),
    ("senior high", "common.education", {"education": "high_school"}, "5.00", None),
    ("below senior high", "common.education", {"education": "below_high_school"}, "5.00", None),
    ("no record", "common.education", {}, "5.00", None),
    ("two records: highest", "common.education", {"education": ["high_school", "master"]}, "10.00", None),
    # --- vocational skill (highest only)
    ("level 1", "common.skill", {"skill": "level1"}, "10.00", None),
    ("level 2", "common.skill", {"skill": "level2"}, "10.00", None),
    ("intermediate title", "common.skill", {"skill": "title_intermediate"}, "10.00", None),
    ("deputy senior title", "common.skill", {"skill": "title_deputy_senior"}, "10.00", None),
    ("senior title", "common.skill", {"skill": "title_senior"}, "10.00", None),
    ("level 3", "common.skill", {"skill": "level3"}, "8.00", None),
    ("junior title", "common.skill", {"skill": "title_junior"}, "8.00", None),
    ("special ability senior", "common.skill", {"skill": "special_senior"}, "8.00", None),
    ("level 4", "common.skill", {"skill": "level4"}, "5.00", None),
    ("level 5", "common.skill", {"skill": "level5"}, "3.00", None),
    ("special ability", "common.skill", {"skill": "special_ordinary"}, "3.00", None),
    ("none", "common.skill", {"skill": "none"}, "0.00", None),
    ("no record", "common.skill", {}, "0.00", None),
    ("level 4 and junior title", "common.skill", {"skill": ["level4", "title_junior"]}, "8.00", None),
    # --- social insurance in Zhejiang: 0.5 a month, cap 30
    ("48 months", "common.social_insurance", {"zj_social_insurance_months": 48}, "24.00", None),
    ("1 month", "common.social_insurance", {"zj_social_insurance_months": 1}, "0.50", None),
    ("59 months", "common.social_insurance", {"zj_social_insurance_months": 59}, "29.50", None),
    ("60 months: the cap", "common.social_insurance", {"zj_social_insurance_months": 60}, "30.00", None),
    ("61 months: capped", "common.social_insurance", {"zj_social_insurance_months": 61}, "30.00", None),
    ("0 months", "common.social_insurance", {"zj_social_insurance_months": 0}, "0.00", None),
    # --- residence in Zhejiang: 0.25 a full month, cap 30
    ("81 months", "common.residence", {"zj_residence_registered_on": "2018-06-10"}, "20.25", None),
    (
        "one day short of a month",
        "common.residence",
        {"zj_residence_registered_on": "2025-03-02"},
        "0.00",
        None,
    ),
    ("a month to the day", "common.residence", {"zj_residence_registered_on": "2025-03-01"}, "0.25", None),
    (
        "from 31 Jan to 28 Feb",
        "common.residence",
        {"zj_residence_registered_on": "2025-01-31"},
        "0.00",
        "2025-02-28",
    ),
    (
        "from 31 Jan to 1 Mar",
        "common.residence",
        {"zj_residence_registered_on": "2025-01-31"},
        "0.25",
        "2025-03-01",
    ),
    (
        "from 29 Feb to 28 Feb",
        "common.residence",
        {"zj_residence_registered_on": "2024-02-29"},
        "2.75",
        "2025-02-28",
    ),
    (
        "from 29 Feb to 1 Mar",
        "common.residence",
        {"zj_residence_registered_on": "2024-02-29"},
        "3.00",
        "2025-03-01",
    ),
    (
        "registered after as_of",
        "common.residence",
        {"zj_residence_registered_on": "2025-05-01"},
        "0.00",
        None,
    ),
    ("120 months: the cap", "common.residence", {"zj_residence_registered_on": "2015-04-01"}, "30.00", None),
    ("200 months: capped", "common.residence", {"zj_residence_registered_on": "2008-08-01"}, "30.00", None),
    # --- Rui'an residence, housing, employment, social insurance, provident fund
    ("63 months", "local.ruian_residence", {"ruian_residence_registered_on": "2020-01-01"}, "15.75", None),
    ("capped", "local.ruian_residence", {"ruian_residence_registered_on": "2010-01-01"}, "30.00", None),
    ("owned home", "local.housing", {"housing": "owned"}, "20.00", None),
    ("registered lease", "local.housing", {"housing": "registered_lease"}, "5.00", None),
    ("none", "local.housing", {"housing": "none"}, "0.00", None),
    ("lease and home: highest", "local.housing", {"housing": ["registered_lease", "owned"]}, "20.00", None),
    ("employed", "local.employment", {"employed_in_ruian": True}, "10.00", None),
    ("not employed", "local.employment", {"employed_in_ruian": False}, "0.00", None),
    ("40 months", "local.ruian_social_insurance", {"ruian_social_insurance_months": 40}, "20.00", None),
    ("61 months", "local.ruian_social_insurance", {"ruian_social_insurance_months": 61}, "30.00", None),
    ("12 months", "local.provident_fund", {"provident_fund_months": 12}, "3.00", None),
    ("61 months", "local.provident_fund", {"provident_fund_months": 61}, "15.00", None),
    # --- tax tiers at their boundaries
    ("below the lowest tier", "local.tax", {"tax_paid_last_year_yuan": 9999.99}, "0.00", None),
    ("¥10,000", "local.tax", {"tax_paid_last_year_yuan": 10000}, "5.00", None),
    ("¥49,999.99", "local.tax", {"tax_paid_last_year_yuan": 49999.99}, "5.00", None),
    ("¥50,000", "local.tax", {"tax_paid_last_year_yuan": 50000}, "10.00", None),
    ("¥199,999", "local.tax", {"tax_paid_last_year_yuan": 199999}, "10.00", None),
    ("¥200,000", "local.tax", {"tax_paid_last_year_yuan": 200000}, "20.00", None),
    ("¥999,999.99", "local.tax", {"tax_paid_last_year_yuan": 999999.99}, "20.00", None),
    ("¥1,000,000", "local.tax", {"tax_paid_last_year_yuan": 1000000}, "30.00", None),
    ("¥9,000,000", "local.tax", {"tax_paid_last_year_yuan": 9000000}, "30.00", None),
    ("¥0", "local.tax", {"tax_paid_last_year_yuan": 0}, "0.00", None),
    # --- volunteer hours: 1 per full 10 hours within the last 3 years, cap 10
    ("9.75 hours", "local.volunteer", {"volunteer": [{"date": "2024-05-01", "hours": 9.75}]}, "0.00", None),
    ("full 10 hours", "local.volunteer", {"volunteer": [{"date": "2024-05-01", "hours": 10}]}, "1.00", None),
    ("12.5 hours", "local.volunteer", {"volunteer": [{"date": "2024-05-01", "hours": 12.5}]}, "1.00", None),
    (
        "6 + 4 hours add up",
        "local.volunteer",
        {"volunteer": [{"date": "2024-05-01", "hours": 6}, {"date": "2023-05-01", "hours": 4}]},
        "1.00",
        None,
    ),
    (
        "hours exactly 3 years back do not count",
        "local.volunteer",
        {"volunteer": [{"date": "2022-04-01", "hours": 10}]},
        "0.00",
        None,
    ),
    (
        "one day later they count",
        "local.volunteer",
        {"volunteer": [{"date": "2022-04-02", "hours": 10}]},
        "1.00",
        None,
    ),
    (
        "hours after as_of never count",
        "local.volunteer",
        {"volunteer": [{"date": "2025-04-02", "hours": 50}]},
        "0.00",
        None,
    ),
    (
        "120 hours: capped",
        "local.volunteer",
        {"volunteer": [{"date": "2024-05-01", "hours": 120}]},
        "10.00",
        None,
    ),
    # --- blood: 2 per donation within 5 years, cap 10
    (
        "two donations",
        "local.blood_donation",
        {"blood_donations": ["2021-05-01", "2023-11-20"]},
        "4.00",
        None,
    ),
    ("exactly 5 years back", "local.blood_donation", {"blood_donations": ["2020-04-01"]}, "0.00", None),
    ("one day later", "local.blood_donation", {"blood_donations": ["2020-04-02"]}, "2.00", None),
    ("on the as-of date", "local.blood_donation", {"blood_donations": ["2025-04-01"]}, "2.00", None),
    ("after as_of", "local.blood_donation", {"blood_donations": ["2025-04-02"]}, "0.00", None),
    (
        "same date twice counts once",
        "local.blood_donation",
        {"blood_donations": ["2024-01-01"] * 2},
        "2.00",
        None,
    ),
    (
        "six donations: capped",
        "local.blood_donation",
        {"blood_donations": [f"202{y}-06-01" for y in range(6)]},
        "10.00",
        None,
    ),
    # --- charity: 1 per full ¥1,000 within 3 years, cap 10
    (
        "¥999",
        "local.charity_donation",
        {"charity_donations": [{"date": "2024-12-01", "yuan": 999}]},
        "0.00",
        None,
    ),
    (
        "¥1,000",
        "local.charity_donation",
        {"charity_donations": [{"date": "2024-12-01", "yuan": 1000}]},
        "1.00",
        None,
    ),
    (
        "¥600 + ¥400",
        "local.charity_donation",
        {"charity_donations": [{"date": "2024-12-01", "yuan": 600}, {"date": "2023-12-01", "yuan": 400}]},
        "1.00",
        None,
    ),
    (
        "exactly 3 years back",
        "local.charity_donation",
        {"charity_donations": [{"date": "2022-04-01", "yuan": 5000}]},
        "0.00",
        None,
    ),
    (
        "¥12,000: capped",
        "local.charity_donation",
        {"charity_donations": [{"date": "2024-12-01", "yuan": 12000}]},
        "10.00",
        None,
    ),
    # --- bravery: 20 each, no look-back, cap 40
    ("one act", "local.bravery", {"bravery": ["2022-08-08"]}, "20.00", None),
    ("an old act still counts", "local.bravery", {"bravery": ["2001-08-08"]}, "20.00", None),
    (
        "three acts: capped",
        "local.bravery",
        {"bravery": ["2020-01-01", "2021-01-01", "2022-01-01"]},
        "40.00",
        None,
    ),
    ("after as_of", "local.bravery", {"bravery": ["2025-05-01"]}, "0.00", None),
    # --- awards: same award once at its highest level, different awards add up, cap 40
    (
        "provincial",
        "local.award",
        {"awards": [{"award": "浙江省优秀外来务工人员", "level": "provincial", "date": "2023-01-10"}]},
        "20.00",
        None,
    ),
    (
        "same award twice: highest level once",
        "local.award",
        {
            "awards": [
                {"award": "优秀新市民", "level": "ruian", "date": "2022-01-10"},
                {"award": "优秀新市民", "level": "wenzhou", "date": "2023-01-10"},
            ]
        },
        "10.00",
        None,
    ),
    (
        "same award, spaces ignored",
        "local.award",
        {
            "awards": [
                {"award": "优秀 新市民", "level": "ruian", "date": "2022-01-10"},
                {"award": "优秀新市民", "level": "ruian", "date": "2023-01-10"},
            ]
        },
        "5.00",
        None,
    ),
    (
        "different awards add up",
        "local.award",
        {
            "awards": [
                {"award": "优秀新市民", "level": "ruian", "date": "2022-01-10"},
                {"award": "温州市劳动模范", "level": "wenzhou", "date": "2023-01-10"},
            ]
        },
        "15.00",
        None,
    ),
    (
        "national + provincial: capped",
        "local.award",
        {
            "awards": [
                {"award": "全国劳动模范", "level": "national", "date": "2022-01-10"},
                {"award": "浙江省劳动模范", "level": "provincial", "date": "2021-01-10"},
            ]
        },
        "40.00",
        None,
    ),
    (
        "award after as_of",
        "local.award",
        {"awards": [{"award": "全国劳动模范", "level": "national", "date": "2025-05-01"}]},
        "0.00",
        None,
    ),
    # --- patents by kind, cap 20
    (
        "invention + 2 utility models + design",
        "local.patent",
        {
            "patents": [
                {"kind": "invention", "granted_on": "2022-03-01"},
                {"kind": "utility_model", "granted_on": "2023-03-01"},
                {"kind": "utility_model", "granted_on": "2023-04-01"},
                {"kind": "design", "granted_on": "2023-05-01"},
            ]
        },
        "17.00",
        None,
    ),
    (
        "three inventions: capped",
        "local.patent",
        {"patents": [{"kind": "invention", "granted_on": f"202{y}-03-01"} for y in range(3)]},
        "20.00",
        None,
    ),
    (
        "granted after as_of",
        "local.patent",
        {"patents": [{"kind": "invention", "granted_on": "2025-06-01"}]},
        "0.00",
        None,
    ),
    # --- talent tiers
    ("tier 1", "local.talent", {"talent_tier": 1}, "50.00", None),
    ("tier 2", "local.talent", {"talent_tier": 2}, "40.00", None),
    ("tier 3", "local.talent", {"talent_tier": 3}, "30.00", None),
    ("tier 4", "local.talent", {"talent_tier": 4}, "20.00", None),
    ("tier 5", "local.talent", {"talent_tier": 5}, "10.00", None),
    # --- special status
    ("veteran", "local.veteran", {"veteran": True}, "5.00", None),
    ("not a veteran", "local.veteran", {"veteran": False}, "0.00", None),
    ("party member", "local.party_member", {"party_member": True}, "5.00", None),
    ("deputy", "local.deputy", {"deputy": True}, "10.00", None),
    # --- Spring Festival: 2 per festival (once a year) within 3 years, cap 6
    (
        "two festivals",
        "local.spring_festival_stay",
        {"spring_festival_stays": ["2024-02-10", "2025-01-29"]},
        "4.00",
        None,
    ),
    (
        "same festival reported twice",
        "local.spring_festival_stay",
        {"spring_festival_stays": ["2024-02-10", "2024-02-11"]},
        "2.00",
        None,
    ),
    (
        "four festivals, three in the window",
        "local.spring_festival_stay",
        {"spring_festival_stays": ["2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29"]},
        "6.00",
        None,
    ),
    # --- deductions: per event within the look-back, capped; negative effect
    (
        "rental hazard",
        "ded.rental_hazard",
        {"deductions": [{"kind": "rental_hazard", "date": "2024-06-01"}]},
        "-5.00",
        None,
    ),
    (
        "rental hazard exactly 2 years back",
        "ded.rental_hazard",
        {"deductions": [{"kind": "rental_hazard", "date": "2023-04-01"}]},
        "0.00",
        None,
    ),
    (
        "rental hazard one day later",
        "ded.rental_hazard",
        {"deductions": [{"kind": "rental_hazard", "date": "2023-04-02"}]},
        "-5.00",
        None,
    ),
    (
        "five public-order penalties: capped at 20",
        "ded.public_order_penalty",
        {"deductions": [{"kind": "public_order_penalty", "date": f"2024-0{m}-01"} for m in range(1, 6)]},
        "-20.00",
        None,
    ),
    (
        "detention",
        "ded.detention",
        {"deductions": [{"kind": "detention", "date": "2022-07-01"}]},
        "-20.00",
        None,
    ),
    (
        "detention exactly 5 years back",
        "ded.detention",
        {"deductions": [{"kind": "detention", "date": "2020-04-01"}]},
        "0.00",
        None,
    ),
    (
        "four detentions: capped at 60",
        "ded.detention",
        {"deductions": [{"kind": "detention", "date": f"2024-0{m}-01"} for m in range(1, 5)]},
        "-60.00",
        None,
    ),
    (
        "three criminal penalties: no cap",
        "ded.criminal",
        {"deductions": [{"kind": "criminal", "date": f"202{y}-01-01"} for y in range(1, 4)]},
        "-150.00",
        None,
    ),
    (
        "credit default after as_of",
        "ded.credit_default",
        {"deductions": [{"kind": "credit_default", "date": "2025-04-02"}]},
        "0.00",
        None,
    ),
    (
        "four credit defaults: capped",
        "ded.credit_default",
        {"deductions": [{"kind": "credit_default", "date": f"2024-0{m}-01"} for m in range(1, 5)]},
        "-30.00",
        None,
    ),
    (
        "other kinds do not count",
        "ded.detention",
        {"deductions": [{"kind": "criminal", "date": "2024-01-01"}]},
        "0.00",
        None,
    ),
    # --- dishonest debtor: listed at the as-of date
    (
        "listed",
        "ded.dishonest_debtor",
        {"deductions": [{"kind": "dishonest_debtor", "listed_on": "2024-01-01"}]},
        "-30.00",
        None,
    ),
    (
        "listed on the as-of date",
        "ded.dishonest_debtor",
        {"deductions": [{"kind": "dishonest_debtor", "listed_on": "2025-04-01"}]},
        "-30.00",
        None,
    ),
    (
        "listed the day after",
        "ded.dishonest_debtor",
        {"deductions": [{"kind": "dishonest_debtor", "listed_on": "2025-04-02"}]},
        "0.00",
        None,
    ),
    (
        "delisted on the as-of date",
        "ded.dishonest_debtor",
        {
            "deductions": [
                {"kind": "dishonest_debtor", "listed_on": "2024-01-01", "delisted_on": "2025-04-01"}
            ]
        },
        "0.00",
        None,
    ),
    (
        "delisted the day after",
        "ded.dishonest_debtor",
        {
            "deductions": [
                {"kind": "dishonest_debtor", "listed_on": "2024-01-01", "delisted_on": "2025-04-02"}
            ]
        },
        "-30.00",
        None,
    ),
    (
        "listed twice: 30 once",
        "ded.dishonest_debtor",
        {
            "deductions": [
                {"kind": "dishonest_debtor", "listed_on": "2023-01-01", "delisted_on": "2023-06-01"},
                {"kind": "dishonest_debtor", "listed_on": "2024-01-01"},
            ]
        },
        "-30.00",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "code", "fields", "expected", "as_of"), ROWS, ids=[f"{r[1]}: {r[0]}" for r in ROWS]
)
def test_indicator(case: str, code: str, fields: dict[str, Any], expected: str, as_of: str | None) -> None:
    _check(code, fields, expected, as_of)


EXPLANATION_ROWS = [
    (
        "common.social_insurance",
        {"zj_social_insurance_months": 48},
        "浙江省内缴纳社保 48 个月 × 0.5 = 24 分",
        "Social insurance in Zhejiang: 48 months × 0.5 = 24 points",
    ),
    (
        "common.social_insurance",
        {"zj_social_insurance_months": 70},
        "浙江省内缴纳社保 70 个月 × 0.5 = 35 分，封顶 30 分",
        "Social insurance in Zhejiang: 70 months × 0.5 = 35 points, capped at 30 points",
    ),
    (
        "common.skill",
        {},
        "暂无数据：职业技能（由人力社保部门提供，如有遗漏可申报）",
        "No data yet: Vocational skill (supplied by Human Resources & Social Security; "
        "if something is missing you can file a claim)",
    ),
    (
        "local.tax",
        {"tax_paid_last_year_yuan": 5000},
        "上年度在瑞纳税 5000 元，未达到 10000 元，0 分",
        "Tax paid in Rui'an last year: ¥5000, below ¥10000: 0 points",
    ),
    (
        "ded.detention",
        {"deductions": [{"kind": "detention", "date": "2022-07-01"}]},
        "近 5 年受行政拘留 1 次 × 20，扣 20 分",
        "Administrative detention, last 5 years: 1 × 20, 20 points deducted",
    ),
    ("ded.criminal", {}, "刑事处罚：无记录，不扣分", "Criminal penalty: no record, nothing deducted"),
]


@pytest.mark.parametrize(("code", "fields", "zh", "en"), EXPLANATION_ROWS)
def test_explanations(code: str, fields: dict[str, Any], zh: str, en: str) -> None:
    result = score(facts(**fields)).item(code)
    assert (result.zh, result.en) == (zh, en)


def test_missing_items_are_marked_without_data() -> None:
    result = score(facts()).item("local.tax")
    assert not result.has_data and result.quarters == 0
    assert result.zh == "暂无数据：在瑞纳税（由税务部门提供，如有遗漏可申报）"
    assert score(facts(tax_paid_last_year_yuan=0)).item("local.tax").has_data
