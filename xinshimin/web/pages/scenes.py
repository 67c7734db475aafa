"""Pages of the scenes area. Included by xinshimin/web/urls.py under the "web" namespace.

Staff and residents work under ``scenes/…`` (login required); the public notice pages live under
``notices/…`` and need no login: they show masked rows only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Department, Role
from xinshimin.core.errors import DomainError, NotFound, ValidationFailed
from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.residents.selectors import resident_for_user, resident_list
from xinshimin.scenes import access, exports, gates, ranking, scores, selectors, services
from xinshimin.scenes.models import Application, Notice, Objection, Outcome, RankingRun, Scene
from xinshimin.scoring.models import PolicyRecord

PAGE_SIZE = 100


def _not_found(exc: Exception) -> Http404:
    return Http404(str(getattr(exc, "message", exc)))


def _is_centre(user: Any) -> bool:
    return is_role(user, Role.CENTRE_ADMIN)


# --- forms ----------------------------------------------------------------------------------------------


class SceneForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("场景代码"), max_length=40, help_text=gettext_lazy("英文小写，如 school-2026")
    )
    name = forms.CharField(label=gettext_lazy("名称"), max_length=128)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=Scene.Kind.choices)
    mode = forms.ChoiceField(label=gettext_lazy("方式"), choices=Scene.Mode.choices)
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2020, max_value=2100)
    opens_at = forms.DateTimeField(
        label=gettext_lazy("申请开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("申请截止时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    review_starts_on = forms.DateField(
        label=gettext_lazy("审核开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    review_ends_on = forms.DateField(
        label=gettext_lazy("审核截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    as_of = forms.DateField(
        label=gettext_lazy("积分计算日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    policy = forms.ModelChoiceField(
        label=gettext_lazy("积分政策版本"),
        queryset=PolicyRecord.objects.filter(status=PolicyRecord.Status.PUBLISHED),
    )
    quota = forms.IntegerField(label=gettext_lazy("名额（空为不限）"), min_value=1, required=False)
    top_n = forms.IntegerField(label=gettext_lazy("优先名次（积分入学默认 30）"), min_value=0, required=False)
    threshold = forms.DecimalField(label=gettext_lazy("分数线（达标类）"), required=False, decimal_places=2)
    tie_break = forms.CharField(
        label=gettext_lazy("同分排序规则"),
        initial=",".join(ranking.DEFAULT_CHAIN),
        help_text=gettext_lazy(
            "以逗号分隔：total_desc, social_insurance_desc, residence_registered_asc, submitted_asc, lottery"
        ),
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("责任部门"), queryset=Department.objects.all(), required=False
    )
    description = forms.CharField(
        label=gettext_lazy("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ChildChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.masked_name}（{obj.birth_date:%Y-%m}）"


class ApplyForm(forms.Form):
    child = ChildChoiceField(
        label=gettext_lazy("申请入学的子女"), queryset=HouseholdMember.objects.none(), required=False
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("入学阶段"), choices=[("", "—"), *Application.Stage.choices], required=False
    )
    no_home = forms.BooleanField(label=gettext_lazy("本人、配偶及子女在瑞安市无自有住房"), required=False)
    no_other_subsidy = forms.BooleanField(
        label=gettext_lazy("未享受人才住房等其他政策性住房补贴"), required=False
    )
    no_penalty = forms.BooleanField(label=gettext_lazy("五年内无行政拘留、刑事处罚记录"), required=False)
    prior_subsidy_years = forms.IntegerField(
        label=gettext_lazy("此前（本平台之外）已享受住房租赁补贴的年数"),
        min_value=0,
        max_value=10,
        initial=0,
        required=False,
    )

    def __init__(self, *args: Any, resident: Resident | None, scene: Scene, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if resident is not None:
            field = self.fields["child"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = resident.household.filter(relation=HouseholdMember.Relation.CHILD)
        if scene.kind != Scene.Kind.SCHOOL:
            del self.fields["child"], self.fields["stage"]
        if scene.kind != Scene.Kind.HOUSING:
            for name in ("no_home", "no_other_subsidy", "no_penalty", "prior_subsidy_years"):
                del self.fields[name]


class ObjectionForm(forms.Form):
    item_code = forms.ChoiceField(label=gettext_lazy("有异议的积分项目"))
    statement = forms.CharField(
        label=gettext_lazy("异议内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args: Any, run: RankingRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.code, i.label_zh) for i in scores.policy_items(run.policy)]


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("结果"), choices=Outcome.Kind.choices)
    school = forms.CharField(label=gettext_lazy("学校"), required=False, max_length=128)
    amount_yuan = forms.DecimalField(label=gettext_lazy("金额（元）"), required=False, decimal_places=2)
    months = forms.IntegerField(label=gettext_lazy("补贴月数"), required=False, min_value=1, max_value=12)
    period_from = forms.DateField(
        label=gettext_lazy("补贴起始月"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    paid_on = forms.DateField(
        label=gettext_lazy("发放日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- scenes ---------------------------------------------------------------------------------------------


@login_required
def scenes_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    scenes = list(selectors.scene_list(visible_to=request.user))
    return render(
        request,
        "web/scenes/list.html",
        {"scenes": scenes, "now": now, "is_centre": _is_centre(request.user)},
    )


@login_required
def scene_create(request: HttpRequest) -> HttpResponse:
    if not _is_centre(request.user):
        raise Http404
    form = SceneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scene = services.scene_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                mode=data["mode"],
                year=data["year"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                review_starts_on=data["review_starts_on"],
                review_ends_on=data["review_ends_on"],
                as_of=data["as_of"],
                policy=data["policy"],
                quota=data["quota"],
                top_n=data["top_n"],
                threshold=data["threshold"],
                tie_break=[k.strip() for k in data["tie_break"].split(",") if k.strip()],
                departments=list(data["departments"]),
                description=data["description"],
            )
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None) if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("场景已创建（草稿）。核对无误后请发布。"))
            return redirect("web:scene_detail", pk=scene.pk)
    return render(request, "web/scenes/scene_form.html", {"form": form})


@login_required
def scene_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        scene = selectors.scene_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    user = request.user
    context: dict[str, Any] = {
        "scene": scene,
        "now": timezone.now(),
        "is_open": scene.is_open(timezone.now()),
        "chain": ranking.describe_chain(scene.tie_break),
        "runs": selectors.run_history(scene),
        "current": selectors.current_run(scene),
        "notice": Notice.objects.filter(scene=scene).first(),
        "is_centre": _is_centre(user),
        "may_final": access.may_receive_final_list(user, scene),
        "declarations": [gates.declaration_text(c) for c in gates.HOUSING_DECLARATIONS]
        if scene.kind == Scene.Kind.HOUSING
        else [],
    }
    if _is_centre(user) or is_role(user, Role.AUDITOR):
        context["counts"] = {
            Application.Status(status).label: n for status, n in sorted(selectors.scene_counts(scene).items())
        }
    if is_role(user, Role.RESIDENT):
        context["mine"] = selectors.application_list(visible_to=user).filter(scene=scene)
    return render(request, "web/scenes/scene_detail.html", context)


def _scene_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not _is_centre(request.user):
        raise Http404
    try:
        scene = selectors.scene_get(visible_to=request.user, pk=pk)
        if action == "publish":
            services.scene_publish(actor=request.user, scene=scene)
            messages.success(request, _("场景已发布，摇号种子承诺值已公布。"))
        elif action == "rank":
            run = services.ranking_run_create(actor=request.user, scene=scene)
            messages.success(
                request, _("已生成第 %(v)s 版排名，共 %(n)s 人。") % {"v": run.version, "n": run.row_count}
            )
        elif action == "notice":
            notice = services.notice_publish(actor=request.user, scene=scene)
            messages.success(
                request,
                _("名单已公示：%(start)s 至 %(end)s。") % {"start": notice.starts_on, "end": notice.ends_on},
            )
        elif action == "finalise":
            services.ranking_finalise(actor=request.user, scene=scene)
            messages.success(request, _("最终名单已确定，可交接给相关部门。"))
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:scene_detail", pk=pk)


@login_required
@require_POST
def scene_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _scene_action(request, pk, "publish")


@login_required
@require_POST
def scene_rank(request: HttpRequest, pk: int) -> HttpResponse:
    return _scene_action(request, pk, "rank")


@login_required
@require_POST
def scene_notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _scene_action(request, pk, "notice")


@login_required
@require_POST
def scene_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    return _scene_action(request, pk, "finalise")


# --- applying -------------------------------------------------------------------------------------------


def _applicant(request: HttpRequest) -> tuple[Resident | None, str]:
    """The resident being applied for: the logged-in resident, or the one a clerk looked up by ID number."""
    user = request.user
    if is_role(user, Role.RESIDENT):
        return resident_for_user(user), ""
    if is_role(user, Role.CLERK):
        term = (request.POST.get("id_number") or request.GET.get("id_number") or "").strip()
        if not term:
            return None, ""
        try:
            found = resident_list(visible_to=user, search=term).first()
        except DomainError:
            found = None
        return found, term
    raise Http404


@login_required
def scene_apply(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        scene = selectors.scene_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    resident, term = _applicant(request)
    form = ApplyForm(request.POST or None, resident=resident, scene=scene)
    failures: list[gates.GateResult] = []
    if request.method == "POST" and resident is not None and form.is_valid():
        data = form.cleaned_data
        declarations: dict[str, Any] = {
            code: bool(data.get(code)) for code in gates.HOUSING_DECLARATIONS if code in data
        }
        if "prior_subsidy_years" in data:
            declarations["prior_subsidy_years"] = data.get("prior_subsidy_years") or 0
        try:
            application = services.application_submit(
                actor=request.user,
                scene=scene,
                resident=resident,
                child=data.get("child"),
                stage=data.get("stage") or "",
                declarations=declarations if scene.kind == Scene.Kind.HOUSING else None,
            )
        except services.GatesFailed as exc:
            failures = gates.failures(exc.results)
            messages.error(request, _("不符合申请条件，原因见下方。"))
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("申请已提交，编号 %(number)s。") % {"number": application.number})
            return redirect("web:scene_application_detail", pk=application.pk)
    elif request.method == "POST" and resident is None:
        messages.error(request, _("未找到该居民，或不属于您所在的乡镇街道。请输入完整的身份证号。"))
    preview: list[gates.GateResult] = []
    if resident is not None and scene.kind != Scene.Kind.SCHOOL and request.method == "GET":
        preview = services.application_gates(
            scene=scene,
            resident=resident,
            on=timezone.localdate(),
            declarations=dict.fromkeys(gates.HOUSING_DECLARATIONS, True),
        )
    return render(
        request,
        "web/scenes/apply.html",
        {
            "scene": scene,
            "form": form,
            "resident": resident,
            "term": term,
            "is_clerk": is_role(request.user, Role.CLERK),
            "is_open": scene.is_open(timezone.now()),
            "failures": failures,
            "preview": preview,
        },
    )


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.application_list(visible_to=request.user).order_by("-submitted_at")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "web/scenes/applications.html", {"page": page})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = selectors.application_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    user = request.user
    row = (
        application.ranking_rows.exclude(run__status=RankingRun.Status.SUPERSEDED)
        .select_related("run__policy", "run__scene")
        .first()
    )
    notice = Notice.objects.filter(scene=application.scene).first()
    today = timezone.localdate()
    is_own = (is_role(user, Role.RESIDENT) and application.resident.user_id == user.pk) or (
        is_role(user, Role.CLERK) and application.resident.town_id == getattr(user, "town_id", None)
    )
    may_object = is_own and row is not None and row.run.status == RankingRun.Status.PUBLISHED
    snapshot_items: list[tuple[str, str, str]] = []
    if row is not None and row.snapshot is not None:
        items = row.snapshot.items
        snapshot_items = [
            (i.label_zh, items.get(i.code, {}).get("points", ""), items.get(i.code, {}).get("zh", ""))
            for i in scores.policy_items(row.run.policy)
        ]
    return render(
        request,
        "web/scenes/application_detail.html",
        {
            "application": application,
            "timeline": selectors.application_timeline(application, viewer=user),
            "checks": selectors.visible_checks(application, user),
            "row": row,
            "receipt": row.receipt if row else "",
            "notice": notice,
            "notice_open": notice is not None and notice.is_open_on(today),
            "may_object": may_object,
            "show_objection": is_own and row is not None,
            "objection_form": ObjectionForm(run=row.run) if may_object and row else None,
            "objections": application.objections.select_related("department").order_by("-filed_at"),
            "may_outcome": row is not None
            and row.run.status == RankingRun.Status.FINAL
            and access.may_receive_final_list(user, application.scene)
            and not is_role(user, Role.AUDITOR),
            "outcome_form": OutcomeForm(),
            "outcomes": [selectors.outcome_text(o) for o in application.outcomes.order_by("recorded_at")],
            "is_applicant": is_role(user, Role.RESIDENT),
            "may_withdraw": application.status != Application.Status.WITHDRAWN
            and application.scene.is_open(timezone.now())
            and (is_role(user, Role.RESIDENT) or is_role(user, Role.CLERK)),
            "snapshot_items": snapshot_items,
            "declarations": [
                (gates.declaration_text(c), application.declarations.get(c))
                for c in gates.HOUSING_DECLARATIONS
            ]
            if application.kind == Scene.Kind.HOUSING
            else [],
        },
    )


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = selectors.application_get(visible_to=request.user, pk=pk)
        services.application_withdraw(actor=request.user, application=application)
        messages.success(request, _("申请已撤回。"))
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:scene_application_detail", pk=pk)


@login_required
@require_POST
def application_object(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = selectors.application_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    row = (
        application.ranking_rows.exclude(run__status=RankingRun.Status.SUPERSEDED)
        .select_related("run")
        .first()
    )
    if row is None:
        messages.error(request, _("该申请不在公示名单中。"))
        return redirect("web:scene_application_detail", pk=pk)
    form = ObjectionForm(request.POST, run=row.run)
    if not form.is_valid():
        messages.error(request, _("请选择有异议的积分项目并写明异议内容。"))
        return redirect("web:scene_application_detail", pk=pk)
    try:
        services.objection_file(
            actor=request.user,
            row=row,
            item_code=form.cleaned_data["item_code"],
            statement=form.cleaned_data["statement"],
        )
        messages.success(request, _("异议已提交，责任部门将审核并答复。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:scene_application_detail", pk=pk)


@login_required
@require_POST
def application_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = selectors.application_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的结果信息。"))
        return redirect("web:scene_application_detail", pk=pk)
    data = form.cleaned_data
    try:
        services.outcome_record(
            actor=request.user,
            application=application,
            kind=data["kind"],
            school=data["school"] or "",
            amount_yuan=data["amount_yuan"],
            months=data["months"],
            period_from=data["period_from"],
            paid_on=data["paid_on"],
            note=data["note"] or "",
        )
        messages.success(request, _("结果已登记。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:scene_application_detail", pk=pk)


# --- department review ----------------------------------------------------------------------------------


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not is_role(user, Role.REVIEWER, Role.CENTRE_ADMIN, Role.AUDITOR):
        raise Http404
    pending_only = request.GET.get("all") != "1"
    checks = selectors.check_list(visible_to=user, pending_only=pending_only)
    page = Paginator(checks, 50).get_page(request.GET.get("page"))
    objections = selectors.objection_list(visible_to=user, pending_only=pending_only)[:200]
    return render(
        request,
        "web/scenes/reviews.html",
        {
            "page": page,
            "objections": objections,
            "pending_only": pending_only,
            "may_decide": is_role(user, Role.REVIEWER, Role.CENTRE_ADMIN),
        },
    )


@login_required
@require_POST
def check_decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        check = selectors.check_get(visible_to=request.user, pk=pk)
        services.check_decide(
            actor=request.user,
            check=check,
            passed=request.POST.get("result") == "pass",
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("核查结果已记录。"))
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:scene_reviews")


@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        objection = selectors.objection_get(visible_to=request.user, pk=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    may_decide = (
        objection.status == Objection.Status.PENDING
        and is_role(request.user, Role.REVIEWER, Role.CENTRE_ADMIN)
        and access.may_decide_objection(request.user, objection)
    )
    item = scores.policy_item(objection.row.run.policy, objection.item_code)
    if request.method == "POST" and may_decide:
        upheld = request.POST.get("decision") == "upheld"
        raw_value = request.POST.get("fact_value", "").strip()
        try:
            value: Any = _parse_fact_input(raw_value) if upheld else None
            services.objection_decide(
                actor=request.user,
                objection=objection,
                upheld=upheld,
                reason=request.POST.get("reason", ""),
                fact_kind=request.POST.get("fact_kind", "").strip(),
                fact_value=value,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("异议审核意见已记录。"))
            return redirect("web:scene_objection_detail", pk=pk)
    snapshot = objection.row.snapshot
    return render(
        request,
        "web/scenes/objection_detail.html",
        {
            "objection": objection,
            "item": item,
            "current_points": (snapshot.items.get(objection.item_code, {}) if snapshot else {}),
            "may_decide": may_decide,
        },
    )


def _parse_fact_input(raw: str) -> Any:
    """The corrected value as typed: JSON (a number, true/false, a list …) or else a plain string."""
    import json

    if not raw:
        raise ValidationFailed(_("异议成立时请填写更正后的事实值。"), field="fact_value")
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --- final list -----------------------------------------------------------------------------------------


@login_required
def scene_final(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        scene = selectors.scene_get(visible_to=request.user, pk=pk)
        run = selectors.final_run(visible_to=request.user, scene=scene)
    except NotFound as exc:
        raise _not_found(exc) from exc
    page = Paginator(selectors.final_rows(run), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/scenes/final.html", {"scene": scene, "run": run, "page": page})


@login_required
def scene_final_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        scene = selectors.scene_get(visible_to=request.user, pk=pk)
        run = selectors.final_run(visible_to=request.user, scene=scene)
    except NotFound as exc:
        raise _not_found(exc) from exc
    services.final_list_export_record(actor=request.user, run=run, fmt="xlsx")
    response = HttpResponse(exports.final_list_xlsx(run), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{scene.code}-final-v{run.version}.xlsx"'
    return response


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A staff view of any version (also one not yet published), with a digest check."""
    if not is_role(request.user, Role.CENTRE_ADMIN, Role.AUDITOR):
        raise Http404
    try:
        run = RankingRun.objects.select_related("scene", "policy").get(pk=pk)
    except RankingRun.DoesNotExist as exc:
        raise Http404 from exc
    verified = selectors.run_verify(run) if request.GET.get("verify") else None
    page = Paginator(selectors.public_rows(run), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/scenes/run_detail.html",
        {
            "run": run,
            "page": page,
            "verified": verified,
            "chain": ranking.describe_chain(run.chain),
            "mine_ids": set(),
        },
    )


# --- public notice pages (no login) ---------------------------------------------------------------------


def notice_list(request: HttpRequest) -> HttpResponse:
    scenes = selectors.public_scenes_with_notice()
    return render(request, "web/scenes/notice_list.html", {"scenes": scenes, "today": timezone.localdate()})


def _notice_page(request: HttpRequest, scene_pk: int, version: int | None) -> HttpResponse:
    try:
        run = selectors.public_run(scene_pk=scene_pk, version=version)
    except NotFound as exc:
        raise _not_found(exc) from exc
    page = Paginator(selectors.public_rows(run), PAGE_SIZE).get_page(request.GET.get("page"))
    mine = selectors.own_rows(run, request.user)
    mine_pages = {row.pk: (row.rank - 1) // PAGE_SIZE + 1 for row in mine}
    scene = run.scene
    current = None
    if run.is_superseded:
        current = selectors.public_run(scene_pk=scene_pk)
    return render(
        request,
        "web/scenes/notice_detail.html",
        {
            "run": run,
            "scene": scene,
            "notice": scene.notice,
            "page": page,
            "mine": [(row, row.receipt, mine_pages[row.pk]) for row in mine],
            "mine_ids": {row.pk for row in mine},
            "chain": ranking.describe_chain(run.chain),
            "versions": [r for r in selectors.run_history(scene) if r.is_public],
            "current": current,
            "today": timezone.localdate(),
        },
    )


def notice_detail(request: HttpRequest, scene_pk: int) -> HttpResponse:
    return _notice_page(request, scene_pk, None)


def notice_version(request: HttpRequest, scene_pk: int, version: int) -> HttpResponse:
    return _notice_page(request, scene_pk, version)


def notice_xlsx(request: HttpRequest, scene_pk: int, version: int) -> HttpResponse:
    try:
        run = selectors.public_run(scene_pk=scene_pk, version=version)
    except NotFound as exc:
        raise _not_found(exc) from exc
    response = HttpResponse(exports.public_list_xlsx(run), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{run.scene.code}-notice-v{run.version}.xlsx"'
    return response


def notice_pdf(request: HttpRequest, scene_pk: int, version: int) -> HttpResponse:
    try:
        run = selectors.public_run(scene_pk=scene_pk, version=version)
    except NotFound as exc:
        raise _not_found(exc) from exc
    response = HttpResponse(exports.public_list_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{run.scene.code}-notice-v{run.version}.pdf"'
    return response


def notice_verify(request: HttpRequest) -> HttpResponse:
    code = (request.GET.get("code") or "").strip()
    row = selectors.receipt_lookup(code) if code else None
    return render(
        request,
        "web/scenes/verify.html",
        {"code": code, "row": row, "receipt": row.receipt if row else ""},
    )


urlpatterns: list[URLPattern] = [
    path("scenes/", scenes_list, name="scenes_list"),
    path("scenes/new/", scene_create, name="scene_create"),
    path("scenes/<int:pk>/", scene_detail, name="scene_detail"),
    path("scenes/<int:pk>/publish/", scene_publish, name="scene_publish"),
    path("scenes/<int:pk>/rank/", scene_rank, name="scene_rank"),
    path("scenes/<int:pk>/notice/", scene_notice_publish, name="scene_notice_publish"),
    path("scenes/<int:pk>/finalise/", scene_finalise, name="scene_finalise"),
    path("scenes/<int:pk>/apply/", scene_apply, name="scene_apply"),
    path("scenes/<int:pk>/final/", scene_final, name="scene_final"),
    path("scenes/<int:pk>/final.xlsx", scene_final_xlsx, name="scene_final_xlsx"),
    path("scenes/runs/<int:pk>/", run_detail, name="scene_run_detail"),
    path("scenes/applications/", application_list, name="scene_applications"),
    path("scenes/applications/<int:pk>/", application_detail, name="scene_application_detail"),
    path("scenes/applications/<int:pk>/withdraw/", application_withdraw, name="scene_application_withdraw"),
    path("scenes/applications/<int:pk>/object/", application_object, name="scene_application_object"),
    path("scenes/applications/<int:pk>/outcome/", application_outcome, name="scene_application_outcome"),
    path("scenes/reviews/", review_queue, name="scene_reviews"),
    path("scenes/checks/<int:pk>/decide/", check_decide, name="scene_check_decide"),
    path("scenes/objections/<int:pk>/", objection_detail, name="scene_objection_detail"),
    path("notices/", notice_list, name="notice_list"),
    path("notices/verify/", notice_verify, name="notice_verify"),
    path("notices/<int:scene_pk>/", notice_detail, name="notice_detail"),
    path("notices/<int:scene_pk>/v<int:version>/", notice_version, name="notice_version"),
    path("notices/<int:scene_pk>/v<int:version>/list.xlsx", notice_xlsx, name="notice_xlsx"),
    path("notices/<int:scene_pk>/v<int:version>/list.pdf", notice_pdf, name="notice_pdf"),
]
