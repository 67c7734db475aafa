"""The demo announcements come from the demo's data and are published once."""

from __future__ import annotations

import pytest
import time_machine

from xinshimin.accounts.tests.factories import CentreAdminFactory
from xinshimin.centre.demo import build_demo_centre
from xinshimin.centre.models import Announcement, JobRun
from xinshimin.notifications.models import Notice
from xinshimin.residents.tests.factories import ResidentFactory

from .helpers import at, offer, scene

pytestmark = pytest.mark.django_db


def test_demo_publishes_announcements_from_the_data_once():
    CentreAdminFactory(username="centre")
    ResidentFactory(with_user=True)
    ResidentFactory()
    with time_machine.travel(at(2025, 3, 10), tick=False):
        scene(code="housing-2025", name="2025年积分住房租赁补贴", year=2025)
        offer(title="寨寮溪风景区门票", opens_at=at(2025, 3, 12))
        summary = build_demo_centre(seed=2025)
        assert build_demo_centre(seed=2025) == "0 announcements published"
    titles = set(Announcement.objects.values_list("title", flat=True))
    assert "2025年积分住房租赁补贴申请通知" in titles
    assert "积分福利兑换：寨寮溪风景区门票" in titles
    assert any("集中审核期" in t for t in titles)
    assert summary == f"{len(titles)} announcements published"
    assert Announcement.objects.filter(status="published").count() == len(titles)
    for_residents = Announcement.objects.get(audience="residents")
    assert JobRun.objects.get(announcement=for_residents).status == JobRun.Status.DONE
    assert Notice.objects.filter(title=for_residents.title).count() == 2
    body = Announcement.objects.get(title="2025年积分住房租赁补贴申请通知").body
    assert "2025年7月1日 00:00至2025年10月1日 00:00" in body


def test_demo_needs_the_centre_login():
    assert build_demo_centre(seed=1) == "no centre login (run the population demo first)"
