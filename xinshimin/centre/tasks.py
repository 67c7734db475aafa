"""Background jobs of the centre (django-tasks; the database backend runs them in a worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def announcement_deliver_task(job_id: int) -> str:
    """Deliver an announcement to every resident's inbox (progress is recorded on the ``JobRun``)."""
    from .services import announcement_deliver

    return announcement_deliver(job_id=job_id).status
