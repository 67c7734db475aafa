"""Writes of the centre: announcements (create, edit, publish, withdraw), their delivery to residents'
inboxes, and starting jobs from the centre's pages.

Each function reads top to bottom: authorise → lock/load → check state → write → audit → on_commit side
effects. Delivery is a background job (``tasks.announcement_deliver_task``) with its progress in a
``JobRun``: an announcement for residents reaches every resident's inbox through
``xinshimin.notifications.services.notify``, after the publication has committed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import require
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, ValidationFailed
from xinshimin.notifications.services import notify
from xinshimin.residents.models import Resident

from .access import can_manage_announcements, can_start_jobs
from .jobs import enqueue, kick_worker
from .models import Announcement, JobRun

DELIVERY_BATCH = 500
INBOX_BODY_LENGTH = 200
EDITABLE_STATUSES = (Announcement.Status.DRAFT, Announcement.Status.WITHDRAWN)


# --- checks ----------------------------------------------------------------------------------------------


def _require_manager(actor: Any) -> None:
    require(can_manage_announcements(actor), _("只有服务中心管理员可以管理通知公告。"))


def clean_link(value: str) -> str:
    """A page of this site (``/scenes/``) or an absolute http(s) address; nothing else (no ``javascript:``,
    no ``//other-host``)."""
    link = (value or "").strip()
    if not link:
        return ""
    if len(link) > 300:
        raise ValidationFailed(_("链接太长，最多 300 个字符。"), field="link")
    if link.startswith("/") and not link.startswith("//"):
        return link
    if link.startswith(("https://", "http://")) and " " not in link and len(link) > len("https://"):
        return link
    raise ValidationFailed(
        _("链接格式不正确：请填写本站页面路径（以 / 开头，如 /scenes/）或以 https:// 开头的网址。"),
        field="link",
    )


def _clean_fields(
    *,
    title: str,
    body: str,
    kind: str,
    audience: str,
    link: str,
    published_at: dt.datetime | None,
    expires_at: dt.datetime | None,
) -> dict[str, Any]:
    if any("\x00" in (value or "") for value in (title, body, link)):
        raise ValidationFailed(_("内容中含有无法保存的控制字符，请删除后重试。"), field="body")
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise ValidationFailed(_("请填写标题。"), field="title")
    if len(title) > 120:
        raise ValidationFailed(_("标题太长，最多 120 个字。"), field="title")
    if not body:
        raise ValidationFailed(_("请填写正文。"), field="body")
    if kind not in Announcement.Kind.values:
        raise ValidationFailed(_("请选择公告类别。"), field="kind")
    if audience not in Announcement.Audience.values:
        raise ValidationFailed(_("请选择公告对象：公开，或仅新市民。"), field="audience")
    for name, value in (("published_at", published_at), ("expires_at", expires_at)):
        if value is not None and timezone.is_naive(value):
            raise ValidationFailed(_("时间缺少时区，请重新选择。"), field=name)
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 input may carry.
    published_at = published_at.astimezone(dt.UTC) if published_at else None
    expires_at = expires_at.astimezone(dt.UTC) if expires_at else None
    if published_at and expires_at and expires_at <= published_at:
        raise ValidationFailed(_("下线时间必须晚于发布时间，请修改其中一个。"), field="expires_at")
    return {
        "title": title,
        "body": body,
        "kind": kind,
        "audience": audience,
        "link": clean_link(link),
        "published_at": published_at,
        "expires_at": expires_at,
    }


def _snapshot(announcement: Announcement) -> dict[str, Any]:
    return {
        "title": announcement.title,
        "kind": announcement.kind,
        "audience": announcement.audience,
        "status": announcement.status,
        "link": announcement.link,
        "published_at": announcement.published_at,
        "expires_at": announcement.expires_at,
    }


# --- announcements -----------------------------------------------------------------------------------------


def announcement_create(
    *,
    actor: Any,
    title: str,
    body: str,
    kind: str = Announcement.Kind.GENERAL,
    audience: str = Announcement.Audience.PUBLIC,
    link: str = "",
    published_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Announcement:
    """A draft announcement (nobody sees it until it is published). ``published_at`` in the future makes
    the publication wait until then."""
    _require_manager(actor)
    fields = _clean_fields(
        title=title,
        body=body,
        kind=kind,
        audience=audience,
        link=link,
        published_at=published_at,
        expires_at=expires_at,
    )
    with transaction.atomic():
        announcement = Announcement.objects.create(created_by=actor, **fields)
        audit_record(
            actor=actor, action="centre.announcement_create", obj=announcement, after=_snapshot(announcement)
        )
    return announcement


def announcement_update(
    *,
    actor: Any,
    announcement: Announcement,
    title: str,
    body: str,
    kind: str,
    audience: str,
    link: str = "",
    published_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Announcement:
    """Edit a draft or a withdrawn announcement (a published one is withdrawn first, then edited)."""
    _require_manager(actor)
    fields = _clean_fields(
        title=title,
        body=body,
        kind=kind,
        audience=audience,
        link=link,
        published_at=published_at,
        expires_at=expires_at,
    )
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.status not in EDITABLE_STATUSES:
            raise Conflict(
                _("已发布的公告不能直接修改：请先撤回，修改后再重新发布。"), code="announcement_published"
            )
        if (
            fields["audience"] != locked.audience
            and JobRun.objects.filter(announcement=locked, kind=JobRun.Kind.ANNOUNCEMENT_DELIVERY).exists()
        ):
            raise Conflict(
                _("该公告已开始送达新市民的站内消息，不能再更改公告对象。如需面向其他对象，请新建一条公告。"),
                code="announcement_delivered",
                field="audience",
            )
        before = _snapshot(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(
            actor=actor,
            action="centre.announcement_update",
            obj=locked,
            before=before,
            after=_snapshot(locked),
        )
    return locked


def announcement_publish(*, actor: Any, announcement: Announcement) -> Announcement:
    """Publish now, or at the publication time set on the draft if that is later. An announcement for
    residents is then delivered to every resident's inbox by a background job (once, even if it is
    withdrawn and published again)."""
    _require_manager(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.status == Announcement.Status.PUBLISHED:
            raise Conflict(_("该公告已经发布。"), code="already_published")
        published_at = locked.published_at if locked.published_at and locked.published_at > now else now
        if locked.expires_at is not None and locked.expires_at <= published_at:
            raise ValidationFailed(
                _("下线时间已过或早于发布时间：请先修改下线时间（或留空），再发布。"), field="expires_at"
            )
        before = _snapshot(locked)
        locked.status = Announcement.Status.PUBLISHED
        locked.published_at = published_at
        locked.published_by = actor
        locked.withdrawn_at = None
        locked.withdrawn_by = None
        locked.withdraw_reason = ""
        locked.save()
        job = None
        if locked.audience == Announcement.Audience.RESIDENTS:
            job = _delivery_job_for(locked, actor=actor, not_before=published_at, now=now)
        audit_record(
            actor=actor,
            action="centre.announcement_publish",
            obj=locked,
            before=before,
            after={**_snapshot(locked), "delivery_job": job.pk if job else None},
        )
        if job is not None:
            job_id, run_after = job.pk, (published_at if published_at > now else None)

            def start_delivery() -> None:
                from .tasks import announcement_deliver_task

                enqueue(announcement_deliver_task, job_id, run_after=run_after)

            transaction.on_commit(start_delivery)
    return locked


def _delivery_job_for(
    announcement: Announcement, *, actor: Any, not_before: dt.datetime, now: dt.datetime
) -> JobRun | None:
    """The announcement's delivery job: a new one, or the stopped/failed one resumed; None when the
    delivery is already under way or done (nobody gets the same announcement twice)."""
    if not_before > now:
        from .tasks import announcement_deliver_task

        if not announcement_deliver_task.get_backend().supports_defer:
            raise ValidationFailed(
                _("当前的后台任务设置不支持定时送达：请把发布时间设为现在，或在预定时间再发布。"),
                field="published_at",
            )
    job = (
        JobRun.objects.select_for_update()
        .filter(announcement=announcement, kind=JobRun.Kind.ANNOUNCEMENT_DELIVERY)
        .first()
    )
    if job is None:
        return JobRun.objects.create(
            kind=JobRun.Kind.ANNOUNCEMENT_DELIVERY,
            announcement=announcement,
            requested_by=actor,
            not_before=not_before,
        )
    if job.status in (JobRun.Status.CANCELLED, JobRun.Status.FAILED):
        job.status = JobRun.Status.QUEUED
        job.not_before = not_before
        job.finished_at = None
        job.error = ""
        job.save(update_fields=["status", "not_before", "finished_at", "error"])
        return job
    return None


def announcement_withdraw(*, actor: Any, announcement: Announcement, reason: str) -> Announcement:
    """Take a published announcement off the public pages (and stop a delivery still under way). Inbox
    messages already delivered stay in the inboxes."""
    _require_manager(actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("请填写撤回原因，例如“时间有误，将重新发布”。"), field="reason")
    if len(reason) > 200:
        raise ValidationFailed(_("撤回原因太长，最多 200 个字。"), field="reason")
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.status != Announcement.Status.PUBLISHED:
            raise Conflict(_("只有已发布的公告可以撤回。"), code="not_published")
        before = _snapshot(locked)
        locked.status = Announcement.Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdraw_reason = reason
        locked.save()
        JobRun.objects.filter(announcement=locked, status=JobRun.Status.QUEUED).update(
            status=JobRun.Status.CANCELLED, finished_at=locked.withdrawn_at
        )
        audit_record(
            actor=actor,
            action="centre.announcement_withdraw",
            obj=locked,
            before=before,
            after=_snapshot(locked),
            note=reason,
        )
    return locked


# --- delivery (the background job) -----------------------------------------------------------------------


def _inbox_body(announcement: Announcement) -> str:
    body = " ".join(announcement.body.split())
    return body if len(body) <= INBOX_BODY_LENGTH else body[: INBOX_BODY_LENGTH - 1] + "…"


def _finish(job: JobRun, status: str, **fields: Any) -> JobRun:
    JobRun.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), **fields)
    job.refresh_from_db()
    return job


def announcement_deliver(*, job_id: int, batch_size: int = DELIVERY_BATCH) -> JobRun:
    """Deliver an announcement to every resident's inbox, in batches, recording progress on the job.

    Resumable: residents up to the highest id present when the job first started, after ``cursor``; a
    second call on a finished job does nothing. Stops (status "cancelled") when the announcement is
    withdrawn meanwhile.
    """
    now = timezone.now()
    claimed = JobRun.objects.filter(
        pk=job_id,
        kind=JobRun.Kind.ANNOUNCEMENT_DELIVERY,
        status__in=[JobRun.Status.QUEUED, JobRun.Status.FAILED],
    ).update(status=JobRun.Status.RUNNING, started_at=now, error="")
    job = JobRun.objects.select_related("announcement").get(pk=job_id)
    if not claimed:
        return job
    announcement = job.announcement
    assert announcement is not None  # a delivery job always has its announcement (see _delivery_job_for)
    if announcement.status != Announcement.Status.PUBLISHED:
        return _finish(job, JobRun.Status.CANCELLED)
    if announcement.published_at and announcement.published_at > now:
        # Started early (a backend that ignored run_after): leave it queued for its time.
        JobRun.objects.filter(pk=job.pk).update(status=JobRun.Status.QUEUED)
        job.refresh_from_db()
        return job
    if "up_to" not in job.result:
        up_to = Resident.objects.aggregate(m=Max("pk"))["m"] or 0
        total = Resident.objects.filter(pk__lte=up_to).count()
        JobRun.objects.filter(pk=job.pk).update(result={"up_to": up_to}, total=total)
        job.refresh_from_db()
    up_to = int(job.result["up_to"])
    link = reverse("web:centre_announcement_detail", args=[announcement.pk])
    title, body = announcement.title, _inbox_body(announcement)
    cursor = job.cursor
    try:
        while True:
            if not Announcement.objects.filter(
                pk=announcement.pk, status=Announcement.Status.PUBLISHED
            ).exists():
                return _finish(job, JobRun.Status.CANCELLED)
            batch = list(
                Resident.objects.filter(pk__gt=cursor, pk__lte=up_to)
                .order_by("pk")
                .only("pk", "user_id")[:batch_size]
            )
            if not batch:
                break
            with transaction.atomic():
                for resident in batch:
                    notify(resident=resident, title=title, body=body, link=link)
                cursor = batch[-1].pk
                JobRun.objects.filter(pk=job.pk).update(cursor=cursor, done=F("done") + len(batch))
    except Exception as error:
        _finish(job, JobRun.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    job.refresh_from_db()
    with transaction.atomic():
        job = _finish(job, JobRun.Status.DONE, result={"up_to": up_to, "delivered": job.done})
        audit_record(
            actor=None,
            action="centre.announcement_deliver",
            obj=announcement,
            after={"job": job.pk, "delivered": job.done},
        )
    return job


# --- jobs started from the centre's pages ----------------------------------------------------------------


def recompute_start_from_centre(
    *, actor: Any, as_of: dt.date, only_changed_since: dt.datetime | None = None
) -> Any:
    """Start a recompute of score snapshots (scoring's ``recompute_start`` queues the task and audits);
    in development without a worker, a thread runs the queue (see ``jobs.kick_worker``)."""
    from xinshimin.scoring.services import recompute_start

    require(can_start_jobs(actor), _("只有服务中心管理员可以启动积分重算。"))
    run = recompute_start(actor=actor, as_of=as_of, changed_since=only_changed_since)
    transaction.on_commit(kick_worker)
    return run
