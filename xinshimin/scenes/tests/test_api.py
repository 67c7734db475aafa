"""The /api/scenes/ endpoints: residents, reviewers, the centre, departments and the public."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from xinshimin.audit.models import AuditEvent
from xinshimin.residents.tests.factories import CentreAdminFactory
from xinshimin.scenes.models import Application

from .helpers import at, child_of, parent, reviewer, school_scene

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def scene():
    with time_machine.travel(at(2025, 2, 20), tick=False):
        return school_scene()


def test_the_whole_cycle_over_the_api(scene):
    p, other = parent(), parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    base = f"/api/scenes/{scene.pk}"
    with time_machine.travel(at(2025, 3, 10), tick=False):
        created = post(login(p.user), f"{base}/applications", {"child_id": kid.pk, "stage": "grade1"})
        assert created.status_code == 201, created.content
        application_id = created.json()["id"]
        again = post(login(p.user), f"{base}/applications", {"child_id": kid.pk, "stage": "grade1"})
        assert again.status_code == 409 and "只能申请一次" in again.json()["error"]["message"]
        assert login(other.user).get(f"/api/scenes/applications/{application_id}").status_code == 404
        mine = login(p.user).get("/api/scenes/applications").json()
        assert [a["id"] for a in mine["items"]] == [application_id]
        detail = login(p.user).get(f"/api/scenes/applications/{application_id}").json()
        assert [s["code"] for s in detail["timeline"]][:2] == ["submitted", "review"]
        assert detail["applicant_name_masked"] == p.masked_name

    with time_machine.travel(at(2025, 3, 20), tick=False):
        for code in ("education", "public_security", "hrss"):
            client = login(reviewer(code))
            checks = client.get("/api/scenes/checks").json()["items"]
            assert len(checks) == 1 and checks[0]["department"] == code
            decided = post(
                client, f"/api/scenes/checks/{checks[0]['id']}", {"passed": True, "reason": "核对一致"}
            )
            assert decided.status_code == 200 and decided.json()["result"] == "pass"

    with time_machine.travel(at(2025, 5, 8), tick=False):
        assert post(login(reviewer("education")), f"{base}/rank").status_code == 403
        ranked = post(login(CentreAdminFactory()), f"{base}/rank")
        assert ranked.status_code == 201 and ranked.json()["row_count"] == 1
        assert Client().get(f"/api/scenes/notices/{scene.pk}").status_code == 404  # not published yet
    with time_machine.travel(at(2025, 5, 12), tick=False):
        notice = post(login(CentreAdminFactory()), f"{base}/notice")
        assert notice.status_code == 201 and notice.json()["ends_on"] == "2025-05-16"
        public = Client().get(f"/api/scenes/notices/{scene.pk}/rows").json()
        assert public["items"][0]["name_masked"] == p.masked_name
        assert p.name not in str(public) and p.id_number not in str(public)
        receipt = Application.objects.get().ranking_rows.get().receipt
        assert Client().get("/api/scenes/notices/verify", {"code": receipt}).json()["valid"] is True
        assert Client().get("/api/scenes/notices/verify", {"code": "AAAA-BBBB-CCCC"}).json() == {
            "valid": False,
            "scene": None,
            "version": None,
            "superseded": None,
            "row": None,
        }
    with time_machine.travel(at(2025, 5, 19), tick=False):
        late = post(
            login(p.user),
            f"/api/scenes/applications/{application_id}/objections",
            {"item_code": "common.education", "statement": "学历有误"},
        )
        assert late.status_code == 409
        assert late.json()["error"] == {
            "code": "notice_closed",
            "message": "公示期已于 2025-05-16 结束，逾期不予受理。",
        }
        final = post(login(CentreAdminFactory()), f"{base}/finalise")
        assert final.status_code == 200 and final.json()["status"] == "final"
        assert login(reviewer("housing")).get(f"{base}/final").status_code == 404
        education = login(reviewer("education"))
        rows = education.get(f"{base}/final").json()["items"]
        assert rows[0]["is_top_n"] is True and rows[0]["stage"] == "grade1"
        assert AuditEvent.objects.filter(action="scenes.final_export").count() == 1
        placed = post(
            education,
            f"/api/scenes/applications/{application_id}/outcomes",
            {"kind": "placed", "school": "安阳实验小学"},
        )
        assert placed.status_code == 201 and placed.json()["text"] == "已安排入读 安阳实验小学"


def test_objection_during_the_notice_over_the_api(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application_id = post(
            login(p.user), f"/api/scenes/{scene.pk}/applications", {"child_id": kid.pk, "stage": "grade1"}
        ).json()["id"]
    from xinshimin.scenes import services

    from .helpers import approve_all

    application = Application.objects.get(pk=application_id)
    with time_machine.travel(at(2025, 3, 20), tick=False):
        approve_all(application)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        services.ranking_run_create(actor=None, scene=scene)
    with time_machine.travel(at(2025, 5, 12), tick=False):
        services.notice_publish(actor=None, scene=scene)
        filed = post(
            login(p.user),
            f"/api/scenes/applications/{application_id}/objections",
            {"item_code": "common.skill", "statement": "有三级证书"},
        )
        assert filed.status_code == 201 and filed.json()["department"] == "hrss"
        hrss = login(reviewer("hrss"))
        listed = hrss.get("/api/scenes/objections", {"pending": True}).json()["items"]
        assert [o["id"] for o in listed] == [filed.json()["id"]]
        decided = post(
            hrss,
            f"/api/scenes/objections/{filed.json()['id']}/decision",
            {"upheld": True, "reason": "证书核实", "fact_value": "level3"},
        )
        assert decided.status_code == 200 and decided.json()["result_run_version"] == 2
        runs = Client().get(f"/api/scenes/notices/{scene.pk}", {"version": 1}).json()
        assert runs["superseded"] is True
        current = Client().get(f"/api/scenes/notices/{scene.pk}").json()
        assert current["version"] == 2 and current["superseded"] is False
