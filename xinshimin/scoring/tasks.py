"""Background jobs of scoring (django-tasks; the database backend runs them in a worker)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def recompute_snapshots(run_id: int) -> None:
    """Recompute the snapshots of a ``RecomputeRun`` (progress is recorded on the run)."""
    from .services import recompute_execute

    recompute_execute(run_id=run_id)


@task()
def whatif_preview_task(key: str) -> dict[str, Any]:
    """Preview a draft policy version against the population (``whatif.whatif_job_start`` queued it;
    progress and result are kept in the cache under ``key``, the result is also returned)."""
    from .whatif import whatif_job_run

    return whatif_job_run(key)
