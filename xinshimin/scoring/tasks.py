"""Background jobs of scoring (django-tasks; the database backend runs them in a worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_snapshots(run_id: int) -> None:
    """Recompute the snapshots of a ``RecomputeRun`` (progress is recorded on the run)."""
    from .services import recompute_execute

    recompute_execute(run_id=run_id)
