"""Pages of the centre area. Included by xinshimin/web/urls.py under the "web" namespace.

Public: announcements (通知公告) and the year's timeline (年度时间表). The centre: writing, publishing and
withdrawing announcements; dashboards with charts, tables and XLSX exports (auditors too); background
jobs with a progress bar that polls a JSON status (``centre/jobs.js``; without JavaScript, a reload shows
the same state, which lives in the database).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xinshimin.accounts.models import Town
from xinshimin.centre import selectors
from xinshimin.centre.access import (
    can_manage_announcements,
    can_start_jobs,
    can_view_dashboards,
    can_view_jobs,
)
from xinshimin.centre.dashboard import SECTIONS, dashboard_filter, dashboard_sections
from xinshimin.centre.exports import XLSX_CONTENT_TYPE, export_filename, sections_xlsx
from xinshimin.centre.jobs import SOURCES, job_get, job_list, task_queue_health
from xinshimin.centre.models import Announcement
from xinshimin.centre.services import (
    announcement_create,
    announcement_publish,
    announcement_update,
    announcement_withdraw,
    recompute_start_from_centre,
)
from xinshimin.centre.timeline import timeline_years, year_timeline
from xinshimin.core.errors import DomainError, NotFound

PAGE_SIZE = 20
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=Announcement.Kind.choices)
    audience = forms.ChoiceField(
        label=gettext_lazy("对象"),
        choices=Announcement.Audience.choices,
        widget=forms.RadioSelect,
        initial=Announcement.Audience.PUBLIC,
    )
    body = forms.CharField(label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 8}))
    link = forms.CharField(
        label=gettext_lazy("相关链接（可选）"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("本站页面路径（如 /scenes/）或 https:// 开头的网址。"),
    )
    published_at = forms.DateTimeField(
        label=gettext_lazy("定时发布（可选）"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=gettext_lazy("留空则在点击“发布”时立即发布。"),
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("下线时间（可选）"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=gettext_lazy("到时自动从首页和公告列表下线；留空表示长期有效。"),
    )


class RecomputeForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("评分日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _managed_or_404(request: HttpRequest, pk: int) -> Announcement:
    if not can_manage_announcements(request.user):
        raise Http404
    try:
        return selectors.announcement_list_managed(user=request.user).get(pk=pk)
    except (Announcement.DoesNotExist, OverflowError) as exc:
        raise Http404 from exc


# --- announcements: public ------------------------------------------------------------------------------------


def announcement_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.announcement_list_public(user=request.user)
    kind = request.GET.get("kind") or ""
    if kind in Announcement.Kind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/centre/announcement_list.html",
        {"page": page, "kind": kind, "kinds": Announcement.Kind.choices},
    )


def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        announcement = selectors.announcement_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    now = timezone.now()
    return render(
        request,
        "web/centre/announcement_detail.html",
        {
            "announcement": announcement,
            "is_live": announcement.is_live(now),
            "is_scheduled": announcement.is_scheduled(now),
            "has_expired": announcement.has_expired(now),
            "may_manage": can_manage_announcements(request.user),
        },
    )


# --- announcements: the centre ----------------------------------------------------------------------------------


@login_required
def announcement_manage(request: HttpRequest) -> HttpResponse:
    if not can_manage_announcements(request.user):
        raise Http404
    status = request.GET.get("status") or ""
    rows = selectors.announcement_list_managed(user=request.user, status=status or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/centre/announcement_manage.html",
        {"page": page, "status": status, "statuses": Announcement.Status.choices, "now": timezone.now()},
    )


def _form_fields(form: forms.Form) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "body": data["body"],
        "kind": data["kind"],
        "audience": data["audience"],
        "link": data.get("link") or "",
        "published_at": data.get("published_at"),
        "expires_at": data.get("expires_at"),
    }


@login_required
def announcement_create_view(request: HttpRequest) -> HttpResponse:
    if not can_manage_announcements(request.user):
        raise Http404
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            announcement = announcement_create(actor=request.user, **_form_fields(form))
            if request.POST.get("then") == "publish":
                announcement = announcement_publish(actor=request.user, announcement=announcement)
                messages.success(request, _publish_message(announcement))
            else:
                messages.success(request, _("草稿已保存。核对无误后点击“发布”。"))
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            return redirect("web:centre_announcement_detail", pk=announcement.pk)
    return render(request, "web/centre/announcement_form.html", {"form": form, "announcement": None})


@login_required
def announcement_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed_or_404(request, pk)
    initial = {
        "title": announcement.title,
        "body": announcement.body,
        "kind": announcement.kind,
        "audience": announcement.audience,
        "link": announcement.link,
        "published_at": timezone.localtime(announcement.published_at) if announcement.published_at else None,
        "expires_at": timezone.localtime(announcement.expires_at) if announcement.expires_at else None,
    }
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            announcement_update(actor=request.user, announcement=announcement, **_form_fields(form))
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("公告已修改。"))
            return redirect("web:centre_announcement_detail", pk=announcement.pk)
    return render(request, "web/centre/announcement_form.html", {"form": form, "announcement": announcement})


def _publish_message(announcement: Announcement) -> str:
    if announcement.is_scheduled(timezone.now()):
        return _("公告已设为定时发布，到时自动显示。")
    if announcement.audience == Announcement.Audience.RESIDENTS:
        return _("公告已发布，正在送达每位新市民的站内消息（可在“后台任务”查看进度）。")
    return _("公告已发布，首页和通知公告栏目已显示。")


@login_required
@require_POST
def announcement_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed_or_404(request, pk)
    try:
        announcement = announcement_publish(actor=request.user, announcement=announcement)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _publish_message(announcement))
    return redirect("web:centre_announcement_detail", pk=announcement.pk)


@login_required
@require_POST
def announcement_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed_or_404(request, pk)
    try:
        announcement_withdraw(
            actor=request.user, announcement=announcement, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("公告已撤回，不再对外显示。"))
    return redirect("web:centre_announcement_detail", pk=announcement.pk)


# --- the year's timeline ------------------------------------------------------------------------------------------


def timeline(request: HttpRequest, year: int | None = None) -> HttpResponse:
    today = timezone.localdate()
    year = year or today.year
    if not 2000 <= year <= 2100:
        raise Http404
    plan = year_timeline(year)
    return render(
        request,
        "web/centre/timeline.html",
        {
            "timeline": plan,
            "months": [
                (month, [(entry, entry.state(today)) for entry in entries])
                for month, entries in plan.by_month()
            ],
            "year": year,
            "years": timeline_years(around=today.year),
            "today": today,
        },
    )


# --- dashboards --------------------------------------------------------------------------------------------------


def _dashboard_filter(request: HttpRequest, today: dt.date) -> Any:
    try:
        return dashboard_filter(request.GET, today=today), ""
    except DomainError as exc:
        return dashboard_filter({}, today=today), exc.message


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboards(request.user):
        raise Http404
    today = timezone.localdate()
    flt, error = _dashboard_filter(request, today)
    if error:
        messages.error(request, error)
    only = request.GET.get("section") or None
    sections = dashboard_sections(flt, today=today, only=only)
    return render(
        request,
        "web/centre/dashboard.html",
        {
            "flt": flt,
            "sections": sections,
            "towns": Town.objects.order_by("code"),
            "section_choices": [(key, label) for key, (label, _build) in SECTIONS.items()],
            "only": only if only in SECTIONS else "",
            "years": list(range(today.year - 3, today.year + 2)),
        },
    )


@login_required
def dashboard_xlsx(request: HttpRequest, section: str) -> HttpResponse:
    if not can_view_dashboards(request.user) or (section != "all" and section not in SECTIONS):
        raise Http404
    today = timezone.localdate()
    try:
        flt = dashboard_filter(request.GET, today=today)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:centre_dashboard")
    sections = dashboard_sections(flt, today=today, only=None if section == "all" else section)
    response = HttpResponse(sections_xlsx(sections, flt), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(section, flt)}"'
    return response


# --- jobs ----------------------------------------------------------------------------------------------------------


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    if not can_view_jobs(request.user):
        raise Http404
    source = request.GET.get("kind") or ""
    return render(
        request,
        "web/centre/jobs.html",
        {
            "jobs": job_list(visible_to=request.user, source=source or None),
            "kind": source if source in SOURCES else "",
            "kinds": [(key, value.label) for key, value in SOURCES.items()],
            "health": task_queue_health(),
            "may_start": can_start_jobs(request.user),
            "recompute_form": RecomputeForm(initial={"as_of": timezone.localdate()}),
        },
    )


@login_required
@require_POST
def job_recompute_start(request: HttpRequest) -> HttpResponse:
    if not can_start_jobs(request.user):
        raise Http404
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的评分日期（年-月-日）。"))
        return redirect("web:centre_jobs")
    try:
        run = recompute_start_from_centre(actor=request.user, as_of=form.cleaned_data["as_of"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:centre_jobs")
    messages.success(request, _("积分重算已开始，本页会自动显示进度。"))
    return redirect("web:centre_job_detail", source="recompute", pk=run.pk)


def _job_or_404(request: HttpRequest, source: str, pk: int) -> Any:
    try:
        return job_get(visible_to=request.user, source=source, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def job_detail(request: HttpRequest, source: str, pk: int) -> HttpResponse:
    job = _job_or_404(request, source, pk)
    health = task_queue_health() if not job.is_finished else None
    return render(request, "web/centre/job_detail.html", {"job": job, "health": health})


@login_required
def job_status(request: HttpRequest, source: str, pk: int) -> JsonResponse:
    """The job's state for the progress bar (polled by centre/jobs.js)."""
    job = _job_or_404(request, source, pk)
    response = JsonResponse(job.as_json())
    response["Cache-Control"] = "no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("announcements/", announcement_list, name="centre_announcement_list"),
    path("announcements/<int:pk>/", announcement_detail, name="centre_announcement_detail"),
    path("centre/announcements/", announcement_manage, name="centre_announcement_manage"),
    path("centre/announcements/new/", announcement_create_view, name="centre_announcement_create"),
    path("centre/announcements/<int:pk>/edit/", announcement_edit_view, name="centre_announcement_edit"),
    path(
        "centre/announcements/<int:pk>/publish/",
        announcement_publish_view,
        name="centre_announcement_publish",
    ),
    path(
        "centre/announcements/<int:pk>/withdraw/",
        announcement_withdraw_view,
        name="centre_announcement_withdraw",
    ),
    path("timeline/", timeline, name="centre_timeline"),
    path("timeline/<int:year>/", timeline, name="centre_timeline_year"),
    path("centre/dashboard/", dashboard, name="centre_dashboard"),
    path("centre/dashboard/<slug:section>.xlsx", dashboard_xlsx, name="centre_dashboard_xlsx"),
    path("jobs/", jobs, name="centre_jobs"),
    path("jobs/recompute/new/", job_recompute_start, name="centre_job_recompute_start"),
    path("jobs/<slug:source>/<int:pk>/", job_detail, name="centre_job_detail"),
    path("jobs/<slug:source>/<int:pk>/status/", job_status, name="centre_job_status"),
]
