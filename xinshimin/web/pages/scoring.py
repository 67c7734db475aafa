"""Pages of the scoring area (积分). Included by xinshimin/web/urls.py under the "web" namespace.

- ``points/`` — a resident's own points today: the total, the three groups, every item with its one-line
  explanation, data source and date; items without data say what to do (a link to file a claim); the
  score history (snapshots) as a small chart and a table. The policy version and as-of date are shown.
- ``estimate/`` — the public estimator (no login): one grouped form of one's circumstances, scored by the
  same engine under the policy in force, clearly marked as an estimate. Nothing is stored.
- ``policies/…`` — the centre: the versions of the points policy; copy one as a draft, edit the draft's
  JSON document (every problem listed), publish it with an effective date, and preview its effect on the
  whole population and on the open ranked scenes (``whatif``: in the request for a small population, as a
  background job with a progress bar otherwise).

Views are thin: selectors and services decide; errors of the domain become messages on the page.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.core.charts import bar_chart_svg, line_chart_svg
from xinshimin.core.errors import DomainError, NotFound
from xinshimin.policies import PolicyDocumentError, Score, format_points, policy_from_document, years_before
from xinshimin.residents.models import Resident
from xinshimin.residents.selectors import resident_for_user
from xinshimin.scoring.models import Fact, PolicyRecord, ScoreSnapshot
from xinshimin.scoring.selectors import (
    default_jurisdiction,
    policy_for,
    policy_list,
    policy_version,
    snapshot_list,
)
from xinshimin.scoring.services import (
    policy_draft_copy,
    policy_draft_update,
    policy_publish,
    score_resident,
    snapshot_resident,
)
from xinshimin.scoring.whatif import (
    ESTIMATE_NOTICE,
    WhatIfResult,
    estimate,
    preview_population,
    sync_limit,
    whatif_job_start,
    whatif_job_state,
    whatif_preview,
)
from xinshimin.security.ratelimit import rate_limit

HISTORY_POINTS = 24  # snapshots drawn in the history chart (the table lists them all)
GROUPS = ("common", "local", "deduction")


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


# --- my points ---------------------------------------------------------------------------------------


def _fact_sources(resident: Resident) -> dict[str, Fact]:
    return {fact.kind: fact for fact in Fact.objects.filter(resident=resident).select_related("department")}


def _claim_links(today: dt.date) -> dict[str, Any]:
    """Item code → its ``ClaimableItem`` (may it be claimed, and if not why)."""
    from xinshimin.claims.items import claimable_items

    return {item.code: item for item in claimable_items(today)}


def _item_rows(
    score: Score, snapshot: ScoreSnapshot | None, facts: dict[str, Fact], today: dt.date
) -> dict[str, list[dict[str, Any]]]:
    """The items of a score by group, each with its explanation, data source, date and what to do."""
    english = _english()
    stored = snapshot.items if snapshot is not None else {}
    claimable = _claim_links(today)
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in GROUPS}
    for result in score.items:
        item = result.item
        kept = stored.get(result.code) or {}
        zh, en = (kept.get("zh"), kept.get("en")) if kept else result.explain_both()
        field = item.rule.field
        fact = facts.get(field) if field else None
        if field is None:
            source, date = _("身份证号码（出生日期）"), None
        elif fact is not None:
            source = fact.get_source_display()
            if fact.department is not None:
                source += " · " + (fact.department.name_en if english else fact.department.name)
            date = timezone.localdate(fact.recorded_at)
        elif result.has_data:
            source, date = _("居住证登记信息（公安部门）"), None
        else:
            source, date = "", None
        claim = claimable.get(result.code)
        groups[item.group].append(
            {
                "code": result.code,
                "label": item.label.en if english else item.label.zh,
                "points": kept.get("points") or format_points(result.quarters),
                "explanation": (en if english else zh) or "",
                "has_data": result.has_data,
                "department": item.department.name.en if english else item.department.name.zh,
                "source": source,
                "date": date,
                "may_claim": bool(claim and claim.may_claim),
                "why_not": claim.why_not if claim else "",
            }
        )
    return groups


@login_required
def points(request: HttpRequest) -> HttpResponse:
    """My points today (residents only)."""
    if not is_role(request.user, Role.RESIDENT):
        raise Http404
    resident = resident_for_user(request.user)
    today = timezone.localdate()
    context: dict[str, Any] = {"resident": resident, "today": today}
    if resident is None:
        return render(request, "web/scoring/points.html", context)
    permit = resident.current_permit(today)
    has_account = permit is not None and permit.is_scoring(today)
    try:
        record = policy_for(today)
    except NotFound as error:
        context["problem"] = error.message
        return render(request, "web/scoring/points.html", context)
    # A permit holder's score is today's snapshot (stored, so that it joins the history and carries any
    # sanction); without a permit that counts, the score is only shown, not stored.
    snapshot = snapshot_resident(resident=resident, as_of=today, policy=record) if has_account else None
    score = score_resident(resident=resident, as_of=today, policy=record)
    version = policy_version(record)
    english = _english()
    history = list(reversed(snapshot_list(resident=resident)))
    chart_rows = history[-HISTORY_POINTS:]
    chart = line_chart_svg(
        [(s.as_of.isoformat(), max(s.total, Decimal(0))) for s in chart_rows],
        title=_("积分历史"),
        unit=_("分"),
        value_format=lambda v: f"{v:.2f}",
    )
    notes = (
        snapshot.notes.get("en" if english else "zh", [])
        if snapshot
        else score.notes("en" if english else "zh")
    )
    context.update(
        {
            "permit": permit,
            "has_account": has_account,
            "policy": record,
            "policy_title": version.title.en if english else version.title.zh,
            "total": snapshot.total if snapshot else score.total,
            "common": snapshot.common if snapshot else score.common,
            "local": snapshot.local if snapshot else score.local,
            "local_raw": score.local_raw,
            "local_capped": score.local_capped,
            "local_cap": format_points(version.groups["local"].cap_q or 0),
            "common_cap": format_points(version.groups["common"].cap_q or 0),
            "deductions": snapshot.deductions if snapshot else score.deductions,
            "notes": notes,
            "groups": _item_rows(score, snapshot, _fact_sources(resident), today),
            "history": list(reversed(history)),
            "chart": chart,
        }
    )
    return render(request, "web/scoring/points.html", context)


# --- the estimator -----------------------------------------------------------------------------------


def _choices(code: str, today: dt.date, empty: str) -> list[tuple[str, str]]:
    from xinshimin.claims.items import claimable_item

    try:
        item = claimable_item(code, today)
    except DomainError:
        return [("", empty)]
    return [("", empty), *((str(value), label) for value, label in item.choices)]


def _window(code: str, on: dt.date) -> int | None:
    try:
        version = policy_version(policy_for(on))
    except NotFound:
        return None
    item = version.items.get(code)
    return getattr(item.rule, "window_years", None) if item is not None else None


def _within(code: str, on: dt.date) -> str:
    years = _window(code, on)
    return _("近 %(n)s 年内") % {"n": years} if years else ""


class EstimateForm(forms.Form):
    """One's circumstances, grouped as on the page (see ``FIELDSETS``); every field is optional."""

    as_of = forms.DateField(
        label=gettext_lazy("评分日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("留空为今天；可填场景规定的积分计算日期。"),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    age = forms.IntegerField(
        label=gettext_lazy("或：年龄（周岁）"), required=False, min_value=0, max_value=120
    )
    education = forms.ChoiceField(label=gettext_lazy("文化程度"), required=False)
    skill = forms.ChoiceField(label=gettext_lazy("职业技能（取最高）"), required=False)
    zj_social_insurance_months = forms.IntegerField(
        label=gettext_lazy("在浙江省内缴纳社保（月）"), required=False, min_value=0, max_value=1200
    )
    zj_residence_registered_on = forms.DateField(
        label=gettext_lazy("在浙江省首次居住登记日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ruian_residence_registered_on = forms.DateField(
        label=gettext_lazy("在瑞安居住登记日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    housing = forms.ChoiceField(label=gettext_lazy("在瑞住房"), required=False)
    employed_in_ruian = forms.BooleanField(
        label=gettext_lazy("与瑞安单位签订劳动合同，或持有瑞安营业执照"), required=False
    )
    ruian_social_insurance_months = forms.IntegerField(
        label=gettext_lazy("在瑞安缴纳社保（月）"), required=False, min_value=0, max_value=1200
    )
    provident_fund_months = forms.IntegerField(
        label=gettext_lazy("在瑞安缴存公积金（月）"), required=False, min_value=0, max_value=1200
    )
    tax_paid_last_year_yuan = forms.DecimalField(
        label=gettext_lazy("上一年度在瑞纳税（元）"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    talent_tier = forms.ChoiceField(label=gettext_lazy("瑞安人才认定层次"), required=False)
    volunteer_hours = forms.DecimalField(
        label=gettext_lazy("志愿服务时长（小时）"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
    )
    blood_donations = forms.IntegerField(
        label=gettext_lazy("无偿献血（次）"), required=False, min_value=0, max_value=50
    )
    charity_yuan = forms.DecimalField(
        label=gettext_lazy("慈善捐赠（元）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    bravery = forms.IntegerField(
        label=gettext_lazy("见义勇为（次）"), required=False, min_value=0, max_value=20
    )
    awards_national = forms.IntegerField(
        label=gettext_lazy("国家级表彰（项）"), required=False, min_value=0, max_value=20
    )
    awards_provincial = forms.IntegerField(
        label=gettext_lazy("省级表彰（项）"), required=False, min_value=0, max_value=20
    )
    awards_wenzhou = forms.IntegerField(
        label=gettext_lazy("温州市级表彰（项）"), required=False, min_value=0, max_value=20
    )
    awards_ruian = forms.IntegerField(
        label=gettext_lazy("瑞安市级表彰（项）"), required=False, min_value=0, max_value=20
    )
    patents_invention = forms.IntegerField(
        label=gettext_lazy("发明专利（件）"), required=False, min_value=0, max_value=50
    )
    patents_utility_model = forms.IntegerField(
        label=gettext_lazy("实用新型专利（件）"), required=False, min_value=0, max_value=50
    )
    patents_design = forms.IntegerField(
        label=gettext_lazy("外观设计专利（件）"), required=False, min_value=0, max_value=50
    )
    spring_festival_stays = forms.IntegerField(
        label=gettext_lazy("在瑞安过春节（次）"), required=False, min_value=0, max_value=10
    )
    veteran = forms.BooleanField(label=gettext_lazy("退役军人"), required=False)
    party_member = forms.BooleanField(label=gettext_lazy("党员（组织关系在瑞安）"), required=False)
    deputy = forms.BooleanField(label=gettext_lazy("瑞安市级及以上人大代表、政协委员"), required=False)
    ded_rental_hazard = forms.IntegerField(
        label=gettext_lazy("出租房安全隐患逾期未整改（次）"), required=False, min_value=0, max_value=20
    )
    ded_public_order_penalty = forms.IntegerField(
        label=gettext_lazy("治安管理处罚（次）"), required=False, min_value=0, max_value=20
    )
    ded_detention = forms.IntegerField(
        label=gettext_lazy("行政拘留（次）"), required=False, min_value=0, max_value=20
    )
    ded_criminal = forms.IntegerField(
        label=gettext_lazy("刑事处罚（次）"), required=False, min_value=0, max_value=20
    )
    ded_credit_default = forms.IntegerField(
        label=gettext_lazy("其他信用不良记录（条）"), required=False, min_value=0, max_value=20
    )
    ded_dishonest_debtor = forms.BooleanField(
        label=gettext_lazy("目前被列入失信被执行人名单"), required=False
    )

    # (legend, field names, the item whose look-back window the counts follow)
    FIELDSETS: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (gettext_lazy("基本情况"), ("as_of", "birth_date", "age")),
        (
            gettext_lazy("省级共性指标"),
            ("education", "skill", "zj_social_insurance_months", "zj_residence_registered_on"),
        ),
        (
            gettext_lazy("在瑞居住、就业与缴纳"),
            (
                "ruian_residence_registered_on",
                "housing",
                "employed_in_ruian",
                "ruian_social_insurance_months",
                "provident_fund_months",
                "tax_paid_last_year_yuan",
                "talent_tier",
            ),
        ),
        (
            gettext_lazy("社会服务、荣誉与创新"),
            (
                "volunteer_hours",
                "blood_donations",
                "charity_yuan",
                "bravery",
                "awards_national",
                "awards_provincial",
                "awards_wenzhou",
                "awards_ruian",
                "patents_invention",
                "patents_utility_model",
                "patents_design",
                "spring_festival_stays",
                "veteran",
                "party_member",
                "deputy",
            ),
        ),
        (
            gettext_lazy("扣减情况"),
            (
                "ded_rental_hazard",
                "ded_public_order_penalty",
                "ded_detention",
                "ded_criminal",
                "ded_credit_default",
                "ded_dishonest_debtor",
            ),
        ),
    )
    WINDOWS = {
        "volunteer_hours": "local.volunteer",
        "blood_donations": "local.blood_donation",
        "charity_yuan": "local.charity_donation",
        "bravery": "local.bravery",
        "spring_festival_stays": "local.spring_festival_stay",
        "ded_rental_hazard": "ded.rental_hazard",
        "ded_public_order_penalty": "ded.public_order_penalty",
        "ded_detention": "ded.detention",
        "ded_criminal": "ded.criminal",
        "ded_credit_default": "ded.credit_default",
    }

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        none = _("不填（无记录）")
        fields: Any = self.fields
        fields["education"].choices = _choices("common.education", today, none)
        fields["skill"].choices = _choices("common.skill", today, none)
        fields["housing"].choices = _choices("local.housing", today, none)
        fields["talent_tier"].choices = _choices("local.talent", today, none)
        for name, code in self.WINDOWS.items():
            window = _within(code, today)
            if window:
                fields[name].help_text = window

    def fieldsets(self) -> list[tuple[Any, list[Any]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("birth_date") and data.get("age") is not None:
            self.add_error("age", _("出生日期和年龄只需填写一项。"))
        as_of = data.get("as_of") or self.today
        if not dt.date(2000, 1, 1) <= as_of <= self.today.replace(year=self.today.year + 5):
            self.add_error("as_of", _("评分日期应在 2000 年至今后 5 年之内。"))
        for name in ("birth_date", "zj_residence_registered_on", "ruian_residence_registered_on"):
            value = data.get(name)
            if value and value > as_of:
                self.add_error(name, _("该日期晚于评分日期 %(d)s，请检查。") % {"d": as_of})
        return data

    def facts(self) -> dict[str, Any]:
        """The exchange format's ``facts`` object for the cleaned form (counts become events on dates
        inside their look-back windows, on or just before the as-of date)."""
        data = self.cleaned_data
        as_of: dt.date = data.get("as_of") or self.today
        facts: dict[str, Any] = {}
        for name in ("education", "skill", "housing"):
            if data.get(name):
                facts[name] = data[name]
        if data.get("talent_tier"):
            facts["talent_tier"] = int(data["talent_tier"])
        for name in (
            "zj_social_insurance_months",
            "ruian_social_insurance_months",
            "provident_fund_months",
        ):
            if data.get(name) is not None:
                facts[name] = data[name]
        for name in ("zj_residence_registered_on", "ruian_residence_registered_on"):
            if data.get(name):
                facts[name] = data[name].isoformat()
        if data.get("tax_paid_last_year_yuan") is not None:
            facts["tax_paid_last_year_yuan"] = data["tax_paid_last_year_yuan"]
        for name in ("employed_in_ruian", "veteran", "party_member", "deputy"):
            if data.get(name):
                facts[name] = True
        day = as_of.isoformat()

        def days(n: int | None) -> list[str]:
            return [(as_of - dt.timedelta(days=k)).isoformat() for k in range(n or 0)]

        if data.get("volunteer_hours"):
            facts["volunteer"] = [{"date": day, "hours": data["volunteer_hours"]}]
        if data.get("charity_yuan"):
            facts["charity_donations"] = [{"date": day, "yuan": data["charity_yuan"]}]
        if data.get("blood_donations"):
            facts["blood_donations"] = days(data["blood_donations"])
        if data.get("bravery"):
            facts["bravery"] = days(data["bravery"])
        if data.get("spring_festival_stays"):  # one per year
            facts["spring_festival_stays"] = [
                years_before(as_of, k).isoformat() for k in range(data["spring_festival_stays"])
            ]
        awards = []
        for level in ("national", "provincial", "wenzhou", "ruian"):
            for k in range(data.get(f"awards_{level}") or 0):
                awards.append({"award": f"{level}-{k + 1}", "level": level, "date": day})
        if awards:
            facts["awards"] = awards
        patents = [
            {"kind": kind, "granted_on": day}
            for kind in ("invention", "utility_model", "design")
            for _k in range(data.get(f"patents_{kind}") or 0)
        ]
        if patents:
            facts["patents"] = patents
        deductions: list[dict[str, str]] = []
        for kind in ("rental_hazard", "public_order_penalty", "detention", "criminal", "credit_default"):
            deductions.extend({"kind": kind, "date": date} for date in days(data.get(f"ded_{kind}")))
        if data.get("ded_dishonest_debtor"):
            deductions.append({"kind": "dishonest_debtor", "listed_on": day})
        if deductions:
            facts["deductions"] = deductions
        return facts


def _score_groups(score: Score) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The items that count (data given, or points without data such as education), by group; and the
    labels of the items left empty."""
    english = _english()
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in GROUPS}
    empty: list[str] = []
    for result in score.items:
        if not result.has_data and not result.quarters:
            empty.append(result.item.label.en if english else result.item.label.zh)
            continue
        groups[result.group].append(
            {
                "code": result.code,
                "label": result.item.label.en if english else result.item.label.zh,
                "points": format_points(result.quarters),
                "explanation": result.en if english else result.zh,
                "has_data": result.has_data,
            }
        )
    return groups, empty


@rate_limit("estimate", key="ip")
def estimator(request: HttpRequest) -> HttpResponse:
    """The public estimator: GET shows the form, POST scores it (nothing is stored)."""
    today = timezone.localdate()
    form = EstimateForm(request.POST or None, today=today)
    context: dict[str, Any] = {"form": form, "notice": _(ESTIMATE_NOTICE), "today": today}
    if request.method == "POST" and form.is_valid():
        as_of = form.cleaned_data.get("as_of") or today
        try:
            score = estimate(
                facts=form.facts(),
                as_of=as_of,
                birth_date=form.cleaned_data.get("birth_date"),
                age=form.cleaned_data.get("age"),
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
        else:
            english = _english()
            groups, empty = _score_groups(score)
            context.update(
                {
                    "score": score,
                    "groups": groups,
                    "empty": empty,
                    "notes": score.notes("en" if english else "zh"),
                    "policy_title": score.policy.title.en if english else score.policy.title.zh,
                    "as_of": as_of,
                }
            )
    return render(request, "web/scoring/estimate.html", context)


# --- the centre: policy versions ---------------------------------------------------------------------


def _centre(request: HttpRequest) -> None:
    user = request.user
    if not (is_role(user, Role.CENTRE_ADMIN) or getattr(user, "is_superuser", False)):
        raise Http404


def _policy_or_404(pk: int) -> PolicyRecord:
    record = PolicyRecord.objects.select_related("based_on").filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@login_required
def policies(request: HttpRequest) -> HttpResponse:
    _centre(request)
    records = policy_list(jurisdiction=default_jurisdiction())
    today = timezone.localdate()
    try:
        in_force = policy_for(today)
    except NotFound:
        in_force = None
    return render(
        request,
        "web/scoring/policies.html",
        {"records": records, "in_force": in_force, "today": today},
    )


@login_required
@require_POST
def policy_copy(request: HttpRequest, pk: int) -> HttpResponse:
    _centre(request)
    source = _policy_or_404(pk)
    try:
        draft = policy_draft_copy(actor=request.user, source=source)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:scoring_policies")
    messages.success(
        request,
        _("已复制 %(source)s 为草稿 %(draft)s，可修改参数并测算影响。")
        % {"source": source.version_id, "draft": draft.version_id},
    )
    return redirect("web:scoring_policy_detail", pk=draft.pk)


class PublishForm(forms.Form):
    effective_on = forms.DateField(
        label=gettext_lazy("生效日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("不能早于今天；生效前已计算的积分仍按原版本解释。"),
    )


def _document_changes(record: PolicyRecord) -> list[str]:
    """Item codes (and other keys) whose content differs from the version the draft was copied from."""
    base = record.based_on
    if base is None:
        return []
    before, after = base.document, record.document
    old_items = {item.get("code"): item for item in before.get("items", [])}
    new_items = {item.get("code"): item for item in after.get("items", [])}
    changed = [str(code) for code in new_items if old_items.get(code) != new_items[code]]
    changed += [_("删除 %(code)s") % {"code": code} for code in old_items if code not in new_items]
    changed += [
        str(key)
        for key in after
        if key not in ("items", "version_id", "effective_on") and before.get(key) != after.get(key)
    ]
    return changed


def _items_table(record: PolicyRecord) -> list[dict[str, Any]]:
    try:
        version = policy_from_document(record.document)
    except PolicyDocumentError:
        return []
    english = _english()
    return [
        {
            "code": item.code,
            "group": version.groups[item.group].label.get("en" if english else "zh"),
            "label": item.label.en if english else item.label.zh,
            "kind": item.rule.kind,
            "cap": format_points(item.cap_q) if item.cap_q is not None else "—",
            "department": item.department.name.en if english else item.department.name.zh,
            "source": item.source,
        }
        for item in version.item_list
    ]


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A version: its items; a draft's JSON document can be edited here (POST) and published."""
    _centre(request)
    record = _policy_or_404(pk)
    text = json.dumps(record.document, ensure_ascii=False, indent=2)
    problems: list[str] = []
    if request.method == "POST":
        text = request.POST.get("document", "")
        if record.status != PolicyRecord.Status.DRAFT:
            messages.error(request, _("已发布的版本不能修改；请复制为新的草稿后修改。"))
            return redirect("web:scoring_policy_detail", pk=record.pk)
        try:
            document = json.loads(text)
        except ValueError as error:
            problems = [_("不是有效的 JSON：%(error)s") % {"error": error}]
        else:
            try:
                policy_draft_update(actor=request.user, draft=record, document=document)
            except PolicyDocumentError as error:
                problems = list(error.problems)
            except DomainError as error:
                problems = [str(error.message)]
            else:
                messages.success(request, _("草稿已保存。"))
                return redirect("web:scoring_policy_detail", pk=record.pk)
    return render(
        request,
        "web/scoring/policy_detail.html",
        {
            "record": record,
            "document_text": text,
            "problems": problems,
            "items": _items_table(record),
            "changes": _document_changes(record),
            "publish_form": PublishForm(
                initial={"effective_on": timezone.localdate() + dt.timedelta(days=1)}
            ),
            "is_draft": record.status == PolicyRecord.Status.DRAFT,
        },
        status=422 if problems else 200,
    )


@login_required
@require_POST
def policy_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    _centre(request)
    record = _policy_or_404(pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, _("生效日期：%(error)s") % {"error": error})
        return redirect("web:scoring_policy_detail", pk=record.pk)
    try:
        policy_publish(actor=request.user, draft=record, effective_on=form.cleaned_data["effective_on"])
    except PolicyDocumentError as error:
        for problem in error.problems:
            messages.error(request, problem)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("版本 %(version)s 已发布，自 %(date)s 起生效。")
            % {"version": record.version_id, "date": form.cleaned_data["effective_on"]},
        )
    return redirect("web:scoring_policy_detail", pk=record.pk)


# --- the centre: what-if preview ---------------------------------------------------------------------


class WhatIfForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("评分日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("对该日持有效居住证的全部新市民，分别按草稿和该日现行版本计算。"),
    )


STATUS_LABELS = {
    "queued": gettext_lazy("排队中"),
    "running": gettext_lazy("计算中"),
    "done": gettext_lazy("已完成"),
    "failed": gettext_lazy("失败"),
}


def _state_json(state: dict[str, Any]) -> dict[str, Any]:
    total, done = int(state.get("total") or 0), int(state.get("done") or 0)
    status = str(state.get("status", "queued"))
    percent = 100 if status == "done" else (min(int(done * 100 / total), 99) if total else 0)
    return {
        "status": status,
        "status_label": str(STATUS_LABELS.get(status, status)),
        "done": done,
        "total": total,
        "percent": percent,
        "finished": status in ("done", "failed"),
        "error": str(state.get("error", "")),
    }


def _result_context(result: WhatIfResult) -> dict[str, Any]:
    labels = [bucket.label for bucket in result.buckets]
    return {
        "result": result,
        "chart_before": bar_chart_svg(
            [(label, bucket.before) for label, bucket in zip(labels, result.buckets, strict=True)],
            title=_("调整前（%(v)s）的积分分布") % {"v": result.baseline},
            unit=_("人"),
        ),
        "chart_after": bar_chart_svg(
            [(label, bucket.after) for label, bucket in zip(labels, result.buckets, strict=True)],
            title=_("调整后（%(v)s）的积分分布") % {"v": result.draft},
            unit=_("人"),
        ),
        "chart_bands": bar_chart_svg(
            [(band.label, band.before) for band in result.bands],
            title=_("积分变化幅度"),
            unit=_("人"),
        ),
    }


@login_required
def policy_whatif(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview a version against the population: GET shows the form (and a job's progress or result
    with ``?job=``), POST runs it — in the request for a small population, else as a job."""
    _centre(request)
    record = _policy_or_404(pk)
    today = timezone.localdate()
    form = WhatIfForm(request.POST or None, initial={"as_of": today})
    context: dict[str, Any] = {"record": record, "form": form, "sync_limit": sync_limit()}
    if request.method == "POST" and form.is_valid():
        as_of = form.cleaned_data["as_of"]
        try:
            if preview_population(as_of=as_of) <= sync_limit():
                result = whatif_preview(actor=request.user, draft=record, as_of=as_of)
                context.update(_result_context(result))
                return render(request, "web/scoring/whatif.html", context)
            key = whatif_job_start(actor=request.user, draft=record, as_of=as_of)
        except DomainError as error:
            form.add_error("as_of" if error.field == "as_of" else None, str(error.message))
            return render(request, "web/scoring/whatif.html", context, status=422)
        from xinshimin.centre.jobs import kick_worker

        kick_worker()
        return redirect(reverse("web:scoring_policy_whatif", args=[record.pk]) + f"?job={key}")
    key = request.GET.get("job", "")
    if key:
        state = whatif_job_state(key)
        if state is None or state.get("draft_id") != record.pk:
            messages.error(request, _("未找到该测算任务（可能已过期），请重新发起。"))
            return redirect("web:scoring_policy_whatif", pk=record.pk)
        context["job"] = _state_json(state)
        context["job_key"] = key
        context["job_as_of"] = state.get("as_of")
        if state.get("status") == "done" and state.get("result"):
            context.update(_result_context(WhatIfResult.from_json(state["result"])))
    return render(request, "web/scoring/whatif.html", context)


@login_required
def policy_whatif_status(request: HttpRequest, pk: int) -> JsonResponse:
    """A preview job's progress, for ``centre/jobs.js`` (``?job=<key>``)."""
    _centre(request)
    record = _policy_or_404(pk)
    key = request.GET.get("job", "")
    if not key:
        return JsonResponse({"error": _("缺少 job 参数。")}, status=400)
    state = whatif_job_state(key)
    if state is None or state.get("draft_id") != record.pk:
        raise Http404
    return JsonResponse(_state_json(state))


urlpatterns: list[URLPattern] = [
    path("points/", points, name="scoring_points"),
    path("estimate/", estimator, name="scoring_estimate"),
    path("policies/", policies, name="scoring_policies"),
    path("policies/<int:pk>/", policy_detail, name="scoring_policy_detail"),
    path("policies/<int:pk>/copy/", policy_copy, name="scoring_policy_copy"),
    path("policies/<int:pk>/publish/", policy_publish_view, name="scoring_policy_publish"),
    path("policies/<int:pk>/whatif/", policy_whatif, name="scoring_policy_whatif"),
    path("policies/<int:pk>/whatif/status/", policy_whatif_status, name="scoring_policy_whatif_status"),
]
