"""Web pages of the scenes area: who may open what, forms, and the resident's view."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from xinshimin.residents.tests.factories import AuditorFactory, CentreAdminFactory, ClerkFactory, TownFactory
from xinshimin.scenes import services
from xinshimin.scenes.models import Application, ApplicationCheck, Objection, Scene

from .helpers import HOUSING_OK, approve_all, at, child_of, housing_scene, parent, reviewer, school_scene

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scene():
    with time_machine.travel(at(2025, 2, 20), tick=False):
        return school_scene()


def test_workbench_shows_the_scene_cards_by_role():
    expectations = {
        "resident": ["积分入学", "住房租赁补贴", "我的申请"],
        "centre": ["场景管理与排名"],
        "education": ["场景资格审核"],
        "housing": ["场景资格审核"],
    }
    users = {
        "resident": parent().user,
        "centre": CentreAdminFactory(),
        "education": reviewer("education"),
        "housing": reviewer("housing"),
    }
    for key, user in users.items():
        page = login(user).get(reverse("web:workbench")).content.decode()
        for text in expectations[key]:
            assert text in page, (key, text)
    assert "场景管理与排名" not in login(users["resident"]).get(reverse("web:workbench")).content.decode()


def test_a_resident_applies_through_the_page_and_sees_the_timeline(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    client = login(p.user)
    with time_machine.travel(at(2025, 3, 10), tick=False):
        form = client.get(reverse("web:scene_apply", args=[scene.pk])).content.decode()
        assert kid.masked_name in form and kid.name not in form
        response = client.post(
            reverse("web:scene_apply", args=[scene.pk]), {"child": kid.pk, "stage": "grade1"}
        )
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:scene_application_detail", args=[application.pk]
    )
    with time_machine.travel(at(2025, 3, 10, 10, 5), tick=False):  # sessions last 30 minutes
        page = client.get(response["Location"]).content.decode()
        mine = client.get(reverse("web:scene_applications")).content.decode()
    assert application.number in page and "审核中" in page and "待进行" in page
    assert application.number in mine


def test_a_refused_application_shows_every_failed_gate(scene):
    p = parent(employer_is_ruian=False)
    kid = child_of(p, dt.date(2020, 6, 1))
    with time_machine.travel(at(2025, 3, 10), tick=False):
        page = login(p.user).post(
            reverse("web:scene_apply", args=[scene.pk]), {"child": kid.pk, "stage": "grade1"}
        )
    body = page.content.decode()
    assert page.status_code == 200 and "不符合申请条件" in body
    assert "劳动合同" in body and "只有 5 周岁" in body
    assert not Application.objects.exists()


def test_applying_outside_the_window_shows_the_dates(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    with time_machine.travel(at(2025, 5, 2), tick=False):
        response = login(p.user).post(
            reverse("web:scene_apply", args=[scene.pk]), {"child": kid.pk, "stage": "grade1"}, follow=True
        )
    assert "2025-03-01 00:00 至 2025-05-01 00:00" in response.content.decode()


def test_a_clerk_files_at_the_window_for_a_resident_of_their_town_only():
    with time_machine.travel(at(2025, 6, 20), tick=False):
        scene = housing_scene()
    local, elsewhere = parent(), parent(town=TownFactory(code="tangxia"))
    clerk = login(ClerkFactory())
    with time_machine.travel(at(2025, 7, 10), tick=False):
        missing = clerk.get(reverse("web:scene_apply", args=[scene.pk]), {"id_number": elsewhere.id_number})
        assert elsewhere.masked_name not in missing.content.decode()
        response = clerk.post(
            reverse("web:scene_apply", args=[scene.pk]),
            {
                "id_number": local.id_number,
                **{k: "on" for k in ("no_home", "no_other_subsidy", "no_penalty")},
                "prior_subsidy_years": 0,
            },
        )
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.resident == local and application.channel == Application.Channel.WINDOW
    assert application.declarations == HOUSING_OK


def test_reviewers_decide_their_checks_on_the_review_page(scene):
    p = parent()
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application = services.application_submit(
            actor=p.user, scene=scene, resident=p, child=child_of(p, dt.date(2019, 5, 1)), stage="grade1"
        )
    education = login(reviewer("education"))
    with time_machine.travel(at(2025, 3, 12), tick=False):
        queue = education.get(reverse("web:scene_reviews")).content.decode()
        assert "子女信息与入学阶段" in queue and "居住证有效" not in queue
        assert p.name not in queue
        own = application.checks.get(code="child")
        other = application.checks.get(code="permit")
        assert (
            education.post(
                reverse("web:scene_check_decide", args=[other.pk]), {"result": "pass", "reason": "x"}
            ).status_code
            == 404
        )
        education.post(
            reverse("web:scene_check_decide", args=[own.pk]),
            {"result": "fail", "reason": "出生证明与户籍不符"},
        )
    own.refresh_from_db()
    assert own.result == ApplicationCheck.Result.FAIL and own.reason == "出生证明与户籍不符"


def test_only_the_centre_creates_and_runs_scenes(scene):
    assert login(parent().user).get(reverse("web:scene_create")).status_code == 404
    assert login(reviewer("education")).post(reverse("web:scene_rank", args=[scene.pk])).status_code == 404
    centre = login(CentreAdminFactory())
    form = centre.get(reverse("web:scene_create")).content.decode()
    assert "total_desc,social_insurance_desc" in form
    with time_machine.travel(at(2025, 6, 1), tick=False):
        response = centre.post(
            reverse("web:scene_create"),
            {
                "code": "fitness-2025",
                "name": "2025年积分健身",
                "kind": "fitness",
                "mode": "threshold",
                "year": 2025,
                "opens_at": "2025-07-01T00:00",
                "closes_at": "2025-08-01T00:00",
                "review_starts_on": "2025-07-01",
                "review_ends_on": "2025-08-10",
                "as_of": "2025-07-31",
                "policy": scene.policy.pk,
                "threshold": "100",
                "tie_break": "total_desc,submitted_asc,lottery",
                "departments": [],
            },
        )
        created = Scene.objects.get(code="fitness-2025")
        assert response.status_code == 302 and created.status == Scene.Status.DRAFT
        assert created.tie_break == ["total_desc", "submitted_asc", "lottery"] and created.top_n == 0
        centre.post(reverse("web:scene_publish", args=[created.pk]))
        created.refresh_from_db()
        assert created.status == Scene.Status.PUBLISHED
        page = centre.get(reverse("web:scene_detail", args=[created.pk])).content.decode()
    assert created.lottery_seed_commitment in page and created.lottery_seed not in page


def test_scene_form_errors_are_shown(scene):
    centre = login(CentreAdminFactory())
    response = centre.post(
        reverse("web:scene_create"),
        {
            "code": "bad",
            "name": "x",
            "kind": "tourism",
            "mode": "threshold",
            "year": 2025,
            "opens_at": "2025-07-01T00:00",
            "closes_at": "2025-08-01T00:00",
            "review_starts_on": "2025-07-01",
            "review_ends_on": "2025-08-10",
            "as_of": "2025-07-31",
            "policy": scene.policy.pk,
            "tie_break": "total_desc",
        },
    )
    assert "达标类场景必须设置分数线" in response.content.decode()


def test_the_whole_cycle_through_the_centre_pages(scene):
    p = parent()
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application = services.application_submit(
            actor=p.user, scene=scene, resident=p, child=child_of(p, dt.date(2019, 5, 1)), stage="grade1"
        )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        approve_all(application)
    admin = CentreAdminFactory()  # sessions last 30 minutes: log in again on each day
    with time_machine.travel(at(2025, 5, 8), tick=False):
        centre = login(admin)
        centre.post(reverse("web:scene_rank", args=[scene.pk]))
        run = scene.runs.get()
        staff_view = centre.get(
            reverse("web:scene_run_detail", args=[run.pk]), {"verify": 1}
        ).content.decode()
        assert "核对一致" in staff_view
        assert login(AuditorFactory()).get(reverse("web:scene_run_detail", args=[run.pk])).status_code == 200
        assert login(p.user).get(reverse("web:scene_run_detail", args=[run.pk])).status_code == 404
    with time_machine.travel(at(2025, 5, 12), tick=False):
        centre = login(admin)
        centre.post(reverse("web:scene_notice_publish", args=[scene.pk]))
    with time_machine.travel(at(2025, 5, 13), tick=False):
        page = (
            login(p.user).get(reverse("web:scene_application_detail", args=[application.pk])).content.decode()
        )
        assert "提交异议" in page and "回执码" in page
    with time_machine.travel(at(2025, 5, 15), tick=False):
        centre = login(admin)
        too_early = centre.post(reverse("web:scene_finalise", args=[scene.pk]), follow=True).content.decode()
        assert "公示期满后才能确定最终名单" in too_early
    with time_machine.travel(at(2025, 5, 19), tick=False):
        centre = login(admin)
        centre.post(reverse("web:scene_finalise", args=[scene.pk]))
        final = login(reviewer("education")).get(reverse("web:scene_final", args=[scene.pk]))
        assert final.status_code == 200 and application.number in final.content.decode()
        assert login(reviewer("housing")).get(reverse("web:scene_final", args=[scene.pk])).status_code == 404
        late = (
            login(p.user).get(reverse("web:scene_application_detail", args=[application.pk])).content.decode()
        )
        assert "公示期已于 2025-05-16 结束" in late


def test_objection_page_lets_the_department_uphold_with_a_corrected_fact(scene):
    p = parent()
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application = services.application_submit(
            actor=p.user, scene=scene, resident=p, child=child_of(p, dt.date(2019, 5, 1)), stage="grade1"
        )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        approve_all(application)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        services.ranking_run_create(actor=None, scene=scene)
    with time_machine.travel(at(2025, 5, 12), tick=False):
        services.notice_publish(actor=None, scene=scene)
        login(p.user).post(
            reverse("web:scene_application_object", args=[application.pk]),
            {"item_code": "common.social_insurance", "statement": "社保少算 12 个月"},
        )
    objection = Objection.objects.get()
    hrss = login(reviewer("hrss"))
    page = hrss.get(reverse("web:scene_objection_detail", args=[objection.pk])).content.decode()
    assert "zj_social_insurance_months" in page
    assert (
        login(reviewer("education"))
        .get(reverse("web:scene_objection_detail", args=[objection.pk]))
        .status_code
        == 404
    )
    with time_machine.travel(at(2025, 5, 13), tick=False):
        hrss.post(
            reverse("web:scene_objection_detail", args=[objection.pk]),
            {
                "decision": "upheld",
                "reason": "社保系统核实",
                "fact_kind": "zj_social_insurance_months",
                "fact_value": "12",
            },
        )
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD and objection.result_run.version == 2
    assert objection.result_run.rows.get().social_insurance == 6


def test_a_reviewer_reads_only_their_departments_check_results(scene):
    p = parent()
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application = services.application_submit(
            actor=p.user, scene=scene, resident=p, child=child_of(p, dt.date(2019, 5, 1)), stage="grade1"
        )
    with time_machine.travel(at(2025, 3, 12), tick=False):
        for check in application.checks.all():
            services.check_decide(actor=None, check=check, passed=True, reason=f"理由-{check.code}")
        page = login(reviewer("hrss")).get(reverse("web:scene_application_detail", args=[application.pk]))
        api = login(reviewer("hrss")).get(f"/api/scenes/applications/{application.pk}").json()
    body = page.content.decode()
    assert "理由-employment" in body and "理由-permit" not in body and "理由-child" not in body
    assert [c["code"] for c in api["checks"]] == ["employment"]
    assert "理由-permit" not in str(api["timeline"])
