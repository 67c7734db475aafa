"""API endpoints of the centre area, mounted at /api/centre/.

- ``GET  /announcements``, ``GET /announcements/{id}`` — live announcements (public; residents' ones for a
  logged-in caller); the centre also sees its drafts by id.
- ``POST /announcements`` (a draft), ``POST /announcements/{id}/publish``, ``POST /announcements/{id}/withdraw``
  — the centre; refusals: ``already_published``/``not_published`` (409), ``validation_failed`` (422).
- ``GET  /timeline?year=2026`` — the year's phases (public).
- ``GET  /dashboard/{section}?town=&from=&to=`` — a dashboard section's tables (centre and auditors).
- ``GET  /jobs``, ``GET /jobs/{source}/{job_id}`` — background jobs and their progress (centre and auditors).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from xinshimin.accounts.access import require
from xinshimin.centre import selectors
from xinshimin.centre.access import can_view_dashboards, can_view_jobs
from xinshimin.centre.dashboard import SECTIONS, dashboard_filter, dashboard_section
from xinshimin.centre.jobs import JobInfo, job_get, job_list
from xinshimin.centre.models import Announcement
from xinshimin.centre.services import announcement_create, announcement_publish, announcement_withdraw
from xinshimin.centre.timeline import year_timeline
from xinshimin.core.errors import NotFound

router = Router(tags=["centre"])


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    kind: str
    kind_label: str
    audience: str
    link: str
    status: str
    published_at: dt.datetime | None
    expires_at: dt.datetime | None
    url: str


class AnnouncementIn(Schema):
    title: str
    body: str
    kind: str = Announcement.Kind.GENERAL
    audience: str = Announcement.Audience.PUBLIC
    link: str = ""
    published_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class WithdrawIn(Schema):
    reason: str


class TimelineEntryOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    category: str
    category_label: str
    title: str
    detail: str
    url: str


class TimelineOut(Schema):
    year: int
    entries: list[TimelineEntryOut]


class TableOut(Schema):
    title: str
    header: list[str]
    rows: list[list[Any]]


class SectionOut(Schema):
    section: str
    title: str
    description: str
    filter: dict[str, str]
    tables: list[TableOut]
    note: str


class JobOut(Schema):
    source: str
    id: int
    title: str
    status: str
    status_label: str
    done: int
    total: int
    percent: int
    finished: bool
    error: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    facts: list[list[str]]
    result_url: str
    url: str


def _announcement_out(announcement: Announcement) -> AnnouncementOut:
    from django.urls import reverse

    return AnnouncementOut(
        id=announcement.pk,
        title=announcement.title,
        body=announcement.body,
        kind=announcement.kind,
        kind_label=str(announcement.get_kind_display()),
        audience=announcement.audience,
        link=announcement.link,
        status=announcement.status,
        published_at=announcement.published_at,
        expires_at=announcement.expires_at,
        url=reverse("web:centre_announcement_detail", args=[announcement.pk]),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@router.get("/announcements", auth=None, response=list[AnnouncementOut])
def announcements(request: HttpRequest, kind: str = "", limit: int = 20) -> list[AnnouncementOut]:
    rows = selectors.announcement_list_public(user=request.user)
    if kind:
        rows = rows.filter(kind=kind)
    return [_announcement_out(a) for a in rows[: max(1, min(limit, 100))]]


@router.get("/announcements/{announcement_id}", auth=None, response=AnnouncementOut)
def announcement(request: HttpRequest, announcement_id: int) -> AnnouncementOut:
    return _announcement_out(selectors.announcement_get(user=request.user, pk=announcement_id))


@router.post("/announcements", response={201: AnnouncementOut})
def announcement_new(request: HttpRequest, body: AnnouncementIn) -> Status[AnnouncementOut]:
    """A draft; publish it with ``POST /announcements/{id}/publish``."""
    created = announcement_create(actor=request.user, **body.dict())
    return Status(201, _announcement_out(created))


def _managed(request: HttpRequest, announcement_id: int) -> Announcement:
    row = selectors.announcement_list_managed(user=request.user).filter(pk=announcement_id).first()
    if row is None:
        raise NotFound(_("未找到该公告，或您无权管理。"))
    return row


@router.post("/announcements/{announcement_id}/publish", response=AnnouncementOut)
def announcement_publish_op(request: HttpRequest, announcement_id: int) -> AnnouncementOut:
    return _announcement_out(
        announcement_publish(actor=request.user, announcement=_managed(request, announcement_id))
    )


@router.post("/announcements/{announcement_id}/withdraw", response=AnnouncementOut)
def announcement_withdraw_op(request: HttpRequest, announcement_id: int, body: WithdrawIn) -> AnnouncementOut:
    return _announcement_out(
        announcement_withdraw(
            actor=request.user, announcement=_managed(request, announcement_id), reason=body.reason
        )
    )


@router.get("/timeline", auth=None, response=TimelineOut)
def timeline(request: HttpRequest, year: int | None = None) -> TimelineOut:
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise Http404
    plan = year_timeline(year)
    return TimelineOut(
        year=plan.year,
        entries=[
            TimelineEntryOut(
                starts_on=e.starts_on,
                ends_on=e.ends_on,
                category=e.category,
                category_label=e.category_label,
                title=e.title,
                detail=e.detail,
                url=e.url,
            )
            for e in plan.entries
        ],
    )


@router.get("/dashboard/{section}", response=SectionOut)
def dashboard(
    request: HttpRequest,
    section: str,
    town: str = "",
    year: str = "",
    date_from: str = Query("", alias="from"),  # type: ignore[type-arg]
    date_to: str = Query("", alias="to"),  # type: ignore[type-arg]
) -> SectionOut:
    """A dashboard section as tables: ``town`` (a town code), and ``from``/``to`` dates or a ``year``."""
    if not can_view_dashboards(request.user) or section not in SECTIONS:
        raise Http404
    today = timezone.localdate()
    params = {"town": town, "year": year, "from": date_from, "to": date_to}
    flt = dashboard_filter(params, today=today)
    built = dashboard_section(section, flt, today=today)
    return SectionOut(
        section=built.key,
        title=built.title,
        description=built.description,
        filter=flt.as_params(),
        tables=[
            TableOut(
                title=t.title,
                header=[str(h) for h in t.header],
                rows=[[_plain(v) for v in r] for r in t.rows],
            )
            for t in built.tables
        ],
        note=built.note,
    )


def _job_out(job: JobInfo) -> JobOut:
    return JobOut(**job.as_json())


@router.get("/jobs", response=list[JobOut])
def jobs(request: HttpRequest, kind: str = "") -> list[JobOut]:
    """The latest background jobs (recompute, announcement delivery, ranking), newest first."""
    require(can_view_jobs(request.user), _("只有服务中心管理员和审计员可以查看后台任务。"))
    return [_job_out(job) for job in job_list(visible_to=request.user, source=kind or None)]


@router.get("/jobs/{source}/{job_id}", response=JobOut)
def job(request: HttpRequest, source: str, job_id: int) -> JobOut:
    return _job_out(job_get(visible_to=request.user, source=source, pk=job_id))
