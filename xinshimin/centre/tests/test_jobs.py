"""Long jobs: one view of every kind, the queue's health, and the in-process worker for development."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.test import override_settings
from django.utils import timezone

from xinshimin.accounts.tests.factories import AuditorFactory, CentreAdminFactory
from xinshimin.centre.jobs import job_get, job_list, kick_worker, task_queue_health, thread_worker_enabled
from xinshimin.centre.models import JobRun
from xinshimin.core.errors import NotFound
from xinshimin.notifications.models import Notice
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scoring.models import RecomputeRun, ScoreSnapshot

from .helpers import announcement

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
def test_thread_worker_follows_debug_unless_set():
    with override_settings(DEBUG=True):
        assert thread_worker_enabled()
    with override_settings(DEBUG=False):
        assert not thread_worker_enabled()
    with override_settings(DEBUG=False, XINSHIMIN_JOBS_THREAD_WORKER=True):
        assert thread_worker_enabled()
    with override_settings(DEBUG=True, XINSHIMIN_JOBS_THREAD_WORKER=False):
        assert not thread_worker_enabled()
    with override_settings(DEBUG=True, XINSHIMIN_JOBS_THREAD_WORKER=True, TASKS=IMMEDIATE):
        assert not thread_worker_enabled()  # the immediate backend already ran the task
        assert kick_worker() is None


@pytest.mark.django_db
def test_queue_health_reports_tasks_waiting_too_long(django_capture_on_commit_callbacks):
    assert task_queue_health()["waiting"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        announcement(audience="residents")
    health = task_queue_health(now=timezone.now() + dt.timedelta(minutes=5))
    assert (health["waiting"], health["stalled"]) == (1, True)
    assert task_queue_health()["stalled"] is False


@pytest.mark.django_db
def test_job_views_need_the_centre_or_an_auditor():
    announcement(audience="residents")
    job = JobRun.objects.get()
    assert job_get(visible_to=AuditorFactory(), source="delivery", pk=job.pk).pk == job.pk
    with pytest.raises(NotFound):
        job_get(visible_to=ResidentFactory(with_user=True).user, source="delivery", pk=job.pk)
    with pytest.raises(NotFound):
        job_get(visible_to=CentreAdminFactory(), source="delivery", pk=job.pk + 1000)
    assert job_list(visible_to=None) == []


@pytest.mark.django_db
def test_immediate_backend_runs_the_delivery_when_published(django_capture_on_commit_callbacks):
    ResidentFactory(with_user=True)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        announcement(audience="residents")
    assert JobRun.objects.get().status == JobRun.Status.DONE
    assert Notice.objects.count() == 1


@pytest.mark.postgres  # SQLite's shared in-memory test database locks its schema across threads
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_thread_worker_runs_queued_jobs_in_the_background():
    """In development (no ``db_worker``) a thread of the web process runs the queue after a job starts."""
    from xinshimin.centre.services import recompute_start_from_centre

    for _ in range(3):
        ResidentFactory(with_user=True)
    centre = CentreAdminFactory()
    with override_settings(XINSHIMIN_JOBS_THREAD_WORKER=True):
        announcement(actor=centre, audience="residents")
        run = recompute_start_from_centre(actor=centre, as_of=dt.date(2026, 3, 1))
    workers = [t for t in threading.enumerate() if t.name == "xinshimin-job-worker"]
    assert workers, "publishing and starting a recompute each start a worker thread"
    for worker in workers:
        worker.join(timeout=60)
        assert not worker.is_alive()
    assert JobRun.objects.get().status == JobRun.Status.DONE
    assert Notice.objects.count() == 3
    run.refresh_from_db()
    assert (run.status, run.done, run.total) == (RecomputeRun.Status.DONE, 3, 3)
    assert ScoreSnapshot.objects.filter(as_of=dt.date(2026, 3, 1)).count() == 3
    info = job_get(visible_to=centre, source="recompute", pk=run.pk)
    assert (info.percent, info.is_finished) == (100, True)
