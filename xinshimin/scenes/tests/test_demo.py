"""The demo scenes: a 2025 school list under notice (published 2025-05-12), a housing scene open now."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xinshimin.residents.demo import build_demo
from xinshimin.scenes.demo import build_demo_scenes
from xinshimin.scenes.models import Application, Notice, RankingRun, Scene

pytestmark = pytest.mark.django_db


def test_demo_scenes_build_and_are_idempotent():
    build_demo(residents=400, seed=11, today=dt.date(2025, 2, 1))
    summary = build_demo_scenes(seed=11)
    assert summary.startswith("scenes: ")
    school = Scene.objects.get(code="school-2025")
    notice = Notice.objects.get(scene=school)
    assert (notice.published_on, notice.starts_on, notice.ends_on) == (
        dt.date(2025, 5, 12),
        dt.date(2025, 5, 12),
        dt.date(2025, 5, 16),
    )
    run = school.runs.get()
    assert run.status == RankingRun.Status.PUBLISHED and run.row_count > 0
    assert run.row_count == school.applications.filter(status=Application.Status.ELIGIBLE).count()
    housing = Scene.objects.get(kind=Scene.Kind.HOUSING)
    assert housing.is_open(timezone.now())
    page = Client().get(reverse("web:notice_detail", args=[school.pk]))
    assert page.status_code == 200 and run.output_digest in page.content.decode()
    assert build_demo_scenes(seed=11).startswith("scenes: school-2025 exists")
    assert Scene.objects.count() == 2
