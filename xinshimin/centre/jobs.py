"""Long jobs: one view of every kind of background job, and how jobs get run.

Kinds shown on the centre's job pages (each a model that keeps its own progress in the database, so a
page reload or a second browser sees the same state):

- ``recompute`` — ``scoring.RecomputeRun`` (score snapshots recomputed by the ``recompute_snapshots`` task);
- ``delivery``  — ``centre.JobRun`` of kind announcement delivery (inbox messages for an announcement);
- ``ranking``   — ``scenes.RankingRun`` (computed in the request that asked for it: always finished).

Running jobs. Tasks are django-tasks; with the database backend (the default) a worker process runs
them: ``manage.py db_worker``. In development nobody starts that worker, so after a job is queued
``kick_worker`` runs the queue once in a background thread of the web process (a batch-mode worker of
django-tasks-db: it claims each task under a lock, exactly like ``db_worker``, so a real worker running
at the same time never runs the same task twice). Setting: ``XINSHIMIN_JOBS_THREAD_WORKER`` (True/False);
unset, it follows ``DEBUG`` (on in development, off in production and tests). Jobs deferred to a later
time (``run_after``) are not run by the thread: they need the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinshimin.core.errors import NotFound

from .access import can_view_jobs

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "queued": gettext_lazy("排队中"),
    "running": gettext_lazy("进行中"),
    "done": gettext_lazy("已完成"),
    "failed": gettext_lazy("失败"),
    "cancelled": gettext_lazy("已停止"),
}


# --- running -------------------------------------------------------------------------------------------


def _database_backend() -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def thread_worker_enabled() -> bool:
    value = getattr(settings, "XINSHIMIN_JOBS_THREAD_WORKER", None)
    enabled = bool(settings.DEBUG) if value is None else bool(value)
    return enabled and _database_backend()


def _run_queue_once() -> None:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Worker

    try:
        Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=0.2,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"web-thread-{uuid.uuid4().hex[:12]}",
            excluded_queue_names=[],
        ).run()
    except Exception:  # the job's own record says what failed; the thread must not die noisily
        logger.exception("the in-process job worker stopped with an error")
    finally:
        connections.close_all()


def kick_worker() -> threading.Thread | None:
    """Run the queued tasks in a background thread when the thread worker is enabled (see above)."""
    if not thread_worker_enabled():
        return None
    thread = threading.Thread(target=_run_queue_once, name="xinshimin-job-worker", daemon=True)
    thread.start()
    return thread


def enqueue(task: Any, *args: Any, run_after: dt.datetime | None = None) -> Any:
    """Queue a django-tasks task (deferred to ``run_after`` if given), then kick the thread worker."""
    queued = task.using(run_after=run_after).enqueue(*args) if run_after else task.enqueue(*args)
    if run_after is None:
        kick_worker()
    return queued


def task_queue_health(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """How many tasks are ready and waiting, and since when (a long wait means no worker is running)."""
    if not _database_backend():
        return {"backend": "other", "waiting": 0, "oldest": None, "stalled": False}
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "backend": "database",
        "waiting": ready.count(),
        "oldest": oldest,
        "stalled": bool(oldest and now - oldest > dt.timedelta(minutes=2)),
    }


# --- one view of every kind of job ------------------------------------------------------------------------


@dataclass(frozen=True)
class JobInfo:
    source: str
    pk: int
    title: str
    status: str
    done: int
    total: int
    percent: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    requested_by: str
    error: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    result_url: str = ""
    result_label: str = ""

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @property
    def url(self) -> str:
        return reverse("web:centre_job_detail", args=[self.source, self.pk])

    @property
    def status_url(self) -> str:
        return reverse("web:centre_job_status", args=[self.source, self.pk])

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "id": self.pk,
            "title": self.title,
            "status": self.status,
            "status_label": str(self.status_label),
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.is_finished,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "facts": [[label, value] for label, value in self.facts],
            "result_url": self.result_url,
            "url": self.url,
        }


def _who(user: Any) -> str:
    return user.get_username() if user is not None else _("系统")


def _recompute_info(run: Any) -> JobInfo:
    return JobInfo(
        source="recompute",
        pk=run.pk,
        title=_("积分重算：评分日期 %(as_of)s，政策 %(policy)s")
        % {"as_of": run.as_of.isoformat(), "policy": run.policy.version_id},
        status=run.status,
        done=run.done,
        total=run.total,
        percent=run.percent,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        requested_by=_who(run.requested_by),
        error=run.error,
        facts=[
            (_("覆盖人数"), str(run.total)),
            (_("已处理"), str(run.done)),
            (_("更新的积分快照"), str(run.written)),
            (
                _("仅重算此后有变化的"),
                run.changed_since.isoformat() if run.changed_since else _("否（全部重算）"),
            ),
        ],
    )


def _delivery_info(job: Any) -> JobInfo:
    announcement = job.announcement
    return JobInfo(
        source="delivery",
        pk=job.pk,
        title=_("通知公告送达站内消息：%(title)s") % {"title": announcement.title if announcement else "—"},
        status=job.status,
        done=job.done,
        total=job.total,
        percent=job.percent,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        requested_by=_who(job.requested_by),
        error=job.error,
        facts=[(_("应送达人数"), str(job.total)), (_("已送达"), str(job.done))],
        result_url=reverse("web:centre_announcement_detail", args=[announcement.pk]) if announcement else "",
        result_label=_("查看公告"),
    )


def _ranking_info(run: Any) -> JobInfo:
    return JobInfo(
        source="ranking",
        pk=run.pk,
        title=_("场景排名：%(scene)s 第 %(version)s 版") % {"scene": run.scene.name, "version": run.version},
        status="done",
        done=run.row_count,
        total=run.row_count,
        percent=100,
        created_at=run.created_at,
        started_at=run.created_at,
        finished_at=run.created_at,
        requested_by=_who(run.created_by),
        facts=[
            (_("名单行数"), str(run.row_count)),
            (_("状态"), str(run.get_status_display())),
            (_("积分计算日期"), run.as_of.isoformat()),
        ],
        result_url=reverse("web:scene_run_detail", args=[run.pk]),
        result_label=_("查看排名名单"),
    )


@dataclass(frozen=True)
class JobSource:
    label: Any
    rows: Callable[[], Any]
    info: Callable[[Any], JobInfo]


def _recompute_rows() -> Any:
    from xinshimin.scoring.models import RecomputeRun

    return RecomputeRun.objects.select_related("policy", "requested_by").order_by("-created_at", "-pk")


def _delivery_rows() -> Any:
    from .models import JobRun

    return JobRun.objects.select_related("announcement", "requested_by").order_by("-created_at", "-pk")


def _ranking_rows() -> Any:
    from xinshimin.scenes.models import RankingRun

    return RankingRun.objects.select_related("scene", "created_by").order_by("-created_at", "-pk")


SOURCES: dict[str, JobSource] = {
    "recompute": JobSource(gettext_lazy("积分重算"), _recompute_rows, _recompute_info),
    "delivery": JobSource(gettext_lazy("通知送达"), _delivery_rows, _delivery_info),
    "ranking": JobSource(gettext_lazy("场景排名"), _ranking_rows, _ranking_info),
}


def job_list(*, visible_to: Any, source: str | None = None, limit: int = 30) -> list[JobInfo]:
    """The latest jobs of every kind (or of one ``source``), newest first; one query per kind."""
    if not can_view_jobs(visible_to):
        return []
    names = [source] if source in SOURCES else list(SOURCES)
    jobs: list[JobInfo] = []
    for name in names:
        kind = SOURCES[name]
        jobs.extend(kind.info(row) for row in kind.rows()[:limit])
    jobs.sort(key=lambda job: (job.created_at, job.pk), reverse=True)
    return jobs[:limit]


def job_get(*, visible_to: Any, source: str, pk: int) -> JobInfo:
    kind = SOURCES.get(source)
    if kind is None or not can_view_jobs(visible_to):
        raise NotFound(_("未找到该任务，或您无权查看。"))
    try:
        row = kind.rows().filter(pk=pk).first()
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound(_("未找到该任务，或您无权查看。"))
    return kind.info(row)
