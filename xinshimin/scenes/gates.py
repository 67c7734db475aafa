"""Eligibility gates per scene kind, as code. Each gate answers with one sentence saying why.

The gates run when an application is submitted (on the submission date). An application that fails any
gate is refused with every failing sentence; the department checks (``CHECKS``) then verify what the
applicant declared, and a failed check rejects the application with the reviewer's reason.

School (积分入学, spec §5 [PRACTICE 2024]):
  * ``permit`` — the parent holds a Rui'an residence permit that counts on the day (valid or awaiting
    endorsement; expired or cancelled permits cannot apply);
  * ``employment`` — a labour contract with a Rui'an employer or a Rui'an business licence;
  * ``stage_age`` — the child's age on 31 August of the scene's year fits the stage: grade 1 needs six
    full years, grade 7 twelve (the rule of the guide for grade 1; grade 7 follows the same six-year step).
    A child may be at most one year older than that (a deferred start) [DEFAULT: documented here].

Housing rental subsidy (积分住房租赁补贴, spec §5 [GUIDE, PRACTICE 2020]):
  * ``permit`` as above;
  * ``no_home`` — declared: no home owned in Rui'an by the applicant, spouse or children;
  * ``no_other_subsidy`` — declared: no other policy housing subsidy (e.g. talent housing);
  * ``no_penalty`` — no administrative detention or criminal penalty within the last 5 years, checked
    against the resident's deduction facts (``as_of − 5 years < date ≤ as_of``) and the declaration;
  * ``subsidy_years`` — at most 3 years of subsidy in total: years with a subsidy paid in past housing
    scenes (recorded outcomes) plus the years declared from before the platform must be fewer than 3.

Other scenes (tourism, fitness, points loan, other): ``permit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from xinshimin.policies import Deduction, within_last_years, years_before

SCHOOL = "school"
HOUSING = "housing"

STAGE_MIN_AGE = {"grade1": 6, "grade7": 12}
STAGE_MAX_EXTRA_YEARS = 1
MAX_SUBSIDY_YEARS = 3
PENALTY_LOOKBACK_YEARS = 5
PENALTY_KINDS = frozenset({"detention", "criminal"})

# Declarations of the housing scene: code → the sentence the applicant affirms.
HOUSING_DECLARATIONS = ("no_home", "no_other_subsidy", "no_penalty")


def declaration_text(code: str) -> str:
    return {
        "no_home": _("本人、配偶及子女在瑞安市无自有住房。"),
        "no_other_subsidy": _("未享受人才住房等其他政策性住房补贴。"),
        "no_penalty": _("五年内无行政拘留、刑事处罚等限制人身自由的处罚记录。"),
    }[code]


# Department checks created for each application, by scene kind: (check code, department code).
CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    SCHOOL: (("permit", "public_security"), ("employment", "hrss"), ("child", "education")),
    HOUSING: (
        ("no_home", "housing"),
        ("no_other_subsidy", "housing"),
        ("no_penalty", "public_security"),
        ("subsidy_years", "housing"),
    ),
}


def check_label(code: str) -> str:
    return {
        "permit": _("居住证有效"),
        "employment": _("在瑞安就业或经营"),
        "child": _("子女信息与入学阶段"),
        "no_home": _("在瑞安无自有住房"),
        "no_other_subsidy": _("未享受其他政策性住房补贴"),
        "no_penalty": _("五年内无拘留或刑事处罚"),
        "subsidy_years": _("累计补贴不超过3年"),
        "eligibility": _("资格条件"),
        "integrity": _("材料真实性（抽查）"),
    }.get(code, code)


@dataclass(frozen=True)
class GateResult:
    code: str
    passed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PermitView:
    """What the permit gate needs to know about the permit current on the day (None: no permit)."""

    number: str
    status: str
    status_label: str
    valid_until: dt.date
    is_scoring: bool


def permit_gate(permit: PermitView | None, *, on: dt.date) -> GateResult:
    if permit is None:
        return GateResult(
            "permit", False, _("您在 %(on)s 没有瑞安市签发的居住证，请先申领《浙江省居住证》。") % {"on": on}
        )
    if not permit.is_scoring:
        return GateResult(
            "permit",
            False,
            _("您的居住证 %(number)s 状态为“%(status)s”（有效期至 %(until)s），请先办理签注或续办后再申请。")
            % {"number": permit.number, "status": permit.status_label, "until": permit.valid_until},
        )
    return GateResult(
        "permit",
        True,
        _("居住证 %(number)s 有效（至 %(until)s）。")
        % {"number": permit.number, "until": permit.valid_until},
    )


def employment_gate(employer_is_ruian: bool) -> GateResult:
    if not employer_is_ruian:
        return GateResult(
            "employment",
            False,
            _(
                "积分入学要求父母一方与瑞安用人单位签订劳动合同或持有瑞安营业执照；您的档案中没有该信息，"
                "请到乡镇街道新居民服务窗口补登就业信息。"
            ),
        )
    return GateResult("employment", True, _("已登记在瑞安就业或经营。"))


def stage_cutoff(year: int) -> dt.date:
    return dt.date(year, 8, 31)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - (1 if (day.month, day.day) < (birth.month, birth.day) else 0)


def stage_age_gate(*, birth_date: dt.date, stage: str, year: int) -> GateResult:
    if stage not in STAGE_MIN_AGE:
        return GateResult("stage_age", False, _("请选择入学阶段：小学一年级或初中一年级。"))
    cutoff = stage_cutoff(year)
    age = age_on(birth_date, cutoff)
    low = STAGE_MIN_AGE[stage]
    high = low + STAGE_MAX_EXTRA_YEARS
    stage_label = _("小学一年级") if stage == "grade1" else _("初中一年级")
    values = {"cutoff": cutoff, "age": age, "low": low, "high": high, "stage": stage_label}
    if age < low:
        return GateResult(
            "stage_age",
            False,
            _("孩子到 %(cutoff)s 只有 %(age)s 周岁，%(stage)s需年满 %(low)s 周岁，请明年再申请。") % values,
        )
    if age > high:
        return GateResult(
            "stage_age",
            False,
            _(
                "孩子到 %(cutoff)s 已满 %(age)s 周岁，超过%(stage)s的入学年龄（%(low)s–%(high)s 周岁），请选择正确的入学阶段。"
            )
            % values,
        )
    return GateResult(
        "stage_age", True, _("孩子到 %(cutoff)s 为 %(age)s 周岁，符合%(stage)s入学年龄。") % values
    )


def penalties_within(deductions: Iterable[Deduction], *, on: dt.date) -> list[Deduction]:
    """Detentions and criminal penalties dated within the last 5 years before ``on``."""
    return [
        d
        for d in deductions
        if d.kind in PENALTY_KINDS
        and d.date is not None
        and within_last_years(d.date, on, PENALTY_LOOKBACK_YEARS)
    ]


def declaration_gate(code: str, declarations: dict[str, Any]) -> GateResult:
    affirmed = declarations.get(code) is True
    if not affirmed:
        messages = {
            "no_home": _(
                "您未声明“本人、配偶及子女在瑞安市无自有住房”，在瑞安有自有住房的不能申请住房租赁补贴。"
            ),
            "no_other_subsidy": _("您未声明“未享受其他政策性住房补贴”，已享受人才住房等补贴的不能重复申请。"),
            "no_penalty": _("您未声明“五年内无行政拘留、刑事处罚记录”，有此类记录的五年内不能申请。"),
        }
        return GateResult(code, False, messages[code])
    return GateResult(code, True, declaration_text(code))


def penalty_gate(deductions: Iterable[Deduction], declarations: dict[str, Any], *, on: dt.date) -> GateResult:
    found = penalties_within(deductions, on=on)
    if found:
        latest = max(d.date for d in found if d.date is not None)
        kinds = "、".join(sorted({_("行政拘留") if d.kind == "detention" else _("刑事处罚") for d in found}))
        return GateResult(
            "no_penalty",
            False,
            _(
                "公安部门记录显示您在 %(date)s 有%(kinds)s，五年内（%(since)s 之后）有此类记录的不能申请住房租赁补贴。"
            )
            % {"date": latest, "kinds": kinds, "since": years_before(on, PENALTY_LOOKBACK_YEARS)},
        )
    return declaration_gate("no_penalty", declarations)


def subsidy_years_gate(*, paid_years: Iterable[int], declared_prior_years: int) -> GateResult:
    years = sorted(set(paid_years))
    total = len(years) + declared_prior_years
    if total >= MAX_SUBSIDY_YEARS:
        shown = "、".join(str(y) for y in years) or _("无")
        return GateResult(
            "subsidy_years",
            False,
            _(
                "住房租赁补贴累计最多享受 %(max)s 年：您已享受 %(total)s 年（本平台发放年度：%(years)s；此前自报 %(prior)s 年）。"
            )
            % {"max": MAX_SUBSIDY_YEARS, "total": total, "years": shown, "prior": declared_prior_years},
        )
    return GateResult(
        "subsidy_years",
        True,
        _("已享受补贴 %(total)s 年，未超过 %(max)s 年。") % {"total": total, "max": MAX_SUBSIDY_YEARS},
    )


def school_gates(
    *,
    permit: PermitView | None,
    employer_is_ruian: bool,
    birth_date: dt.date,
    stage: str,
    year: int,
    on: dt.date,
) -> list[GateResult]:
    return [
        permit_gate(permit, on=on),
        employment_gate(employer_is_ruian),
        stage_age_gate(birth_date=birth_date, stage=stage, year=year),
    ]


def housing_gates(
    *,
    permit: PermitView | None,
    declarations: dict[str, Any],
    deductions: Iterable[Deduction],
    paid_years: Iterable[int],
    on: dt.date,
) -> list[GateResult]:
    prior = declarations.get("prior_subsidy_years", 0)
    return [
        permit_gate(permit, on=on),
        declaration_gate("no_home", declarations),
        declaration_gate("no_other_subsidy", declarations),
        penalty_gate(deductions, declarations, on=on),
        subsidy_years_gate(
            paid_years=paid_years, declared_prior_years=prior if isinstance(prior, int) else 0
        ),
    ]


def generic_gates(*, permit: PermitView | None, on: dt.date) -> list[GateResult]:
    return [permit_gate(permit, on=on)]


def failures(results: Iterable[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]
