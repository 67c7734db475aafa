"""The centre's API under /api/centre/."""

from __future__ import annotations

import pytest
import time_machine

from xinshimin.accounts.tests.factories import AuditorFactory, CentreAdminFactory, ClerkFactory
from xinshimin.centre.models import Announcement
from xinshimin.residents.tests.factories import ResidentFactory

from .helpers import announcement, at, scene

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_announcements_are_public_and_residents_ones_need_a_login(client):
    public = announcement(title="公开公告")
    private = announcement(title="新市民公告", audience="residents")
    rows = client.get("/api/centre/announcements").json()
    assert [r["title"] for r in rows] == ["公开公告"]
    assert rows[0]["url"] == f"/announcements/{public.pk}/"
    assert client.get(f"/api/centre/announcements/{private.pk}").status_code == 404
    client.force_login(ResidentFactory(with_user=True).user)
    assert {r["title"] for r in client.get("/api/centre/announcements").json()} == {"公开公告", "新市民公告"}


def test_centre_creates_publishes_and_withdraws(client):
    client.force_login(CentreAdminFactory())
    created = client.post(
        "/api/centre/announcements",
        {"title": "7月1日起申请住房租赁补贴", "body": "详见通知。", "kind": "scene_opening"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    published = client.post(f"/api/centre/announcements/{pk}/publish")
    assert published.json()["status"] == "published"
    again = client.post(f"/api/centre/announcements/{pk}/publish")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_published")
    refused = client.post(
        f"/api/centre/announcements/{pk}/withdraw", {"reason": " "}, content_type="application/json"
    )
    assert refused.status_code == 422
    withdrawn = client.post(
        f"/api/centre/announcements/{pk}/withdraw", {"reason": "日期有误"}, content_type="application/json"
    )
    assert withdrawn.json()["status"] == "withdrawn"


def test_other_roles_cannot_write(client):
    client.force_login(ClerkFactory())
    response = client.post(
        "/api/centre/announcements", {"title": "标题", "body": "正文"}, content_type="application/json"
    )
    assert response.status_code == 403
    draft = announcement(publish=False)
    assert client.post(f"/api/centre/announcements/{draft.pk}/publish").status_code == 404
    assert Announcement.objects.get().status == "draft"


def test_timeline_api(client):
    scene()
    body = client.get("/api/centre/timeline", {"year": 2026}).json()
    assert body["year"] == 2026
    application = next(e for e in body["entries"] if e["category"] == "scene_application")
    assert (application["starts_on"], application["ends_on"]) == ("2026-07-01", "2026-09-30")


def test_dashboard_api_for_auditors_only(client):
    ResidentFactory()
    assert client.get("/api/centre/dashboard/residents").status_code == 401
    client.force_login(ResidentFactory(with_user=True).user)
    assert client.get("/api/centre/dashboard/residents").status_code == 404
    client.force_login(AuditorFactory())
    body = client.get("/api/centre/dashboard/residents", {"town": "anyang", "year": "2026"}).json()
    assert body["filter"] == {"from": "2026-01-01", "to": "2026-12-31", "town": "anyang"}
    assert body["tables"][0]["rows"][0] == ["安阳街道", 2, 2]
    bad = client.get("/api/centre/dashboard/residents", {"from": "2026-02-30"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "from")


def test_jobs_api(client):
    centre = CentreAdminFactory()
    client.force_login(centre)
    item = announcement(actor=centre, audience="residents")
    rows = client.get("/api/centre/jobs").json()
    assert [(r["source"], r["status"]) for r in rows] == [("delivery", "queued")]
    one = client.get(f"/api/centre/jobs/delivery/{rows[0]['id']}").json()
    assert one["title"].endswith(item.title)
    assert client.get("/api/centre/jobs/elsewhere/1").status_code == 404
