"""Background tasks of the claims area (django-tasks). The worker or cron runs them daily."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from .services import claims_lapse_overdue


@task()
def claims_lapse_overdue_task() -> int:
    """Lapse the claims whose evidence deadline was yesterday or earlier (in the configured time zone)."""
    return claims_lapse_overdue(today=timezone.localdate())
