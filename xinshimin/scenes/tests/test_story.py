"""Story tests: one school year and one housing year, every phase, on a frozen clock."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_verify
from xinshimin.core.errors import Conflict
from xinshimin.residents.tests.factories import CentreAdminFactory, ClerkFactory
from xinshimin.scenes import selectors, services
from xinshimin.scenes.models import Application, RankingRun, Scene
from xinshimin.scoring.services import facts_upsert

from .helpers import HOUSING_OK, at, child_of, parent, policy, reviewer

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def steps(application: Application) -> dict[str, str]:
    application.refresh_from_db()
    return {s.code: s.state for s in selectors.application_timeline(application)}


def decide_all(
    application: Application, reviewers: dict[str, object], *, fail: str = "", reason: str = ""
) -> None:
    for check in application.checks.select_related("department"):
        failed = check.code == fail
        services.check_decide(
            actor=reviewers[check.department.code],
            check=check,
            passed=not failed,
            reason=reason if failed else "与部门数据核对一致",
        )


def test_a_school_year_from_scene_to_placement():
    centre = CentreAdminFactory()
    reviewers = {code: reviewer(code) for code in ("education", "public_security", "hrss")}
    clerk = ClerkFactory()  # 安阳街道, where the factory residents live

    # February: the centre defines and publishes the scene; the seed commitment is public from now on.
    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = services.scene_create(
            actor=centre,
            code="school-2025",
            name="2025年积分入学",
            kind=Scene.Kind.SCHOOL,
            year=2025,
            opens_at=at(2025, 3, 1, 0, 0),
            closes_at=at(2025, 5, 1, 0, 0),
            review_starts_on=dt.date(2025, 3, 1),
            review_ends_on=dt.date(2025, 5, 10),
            as_of=dt.date(2025, 4, 30),
            policy=policy(),
            quota=2,
            departments=["education", "public_security", "hrss"],
        )
        assert scene.top_n == 30
        scene = services.scene_publish(actor=centre, scene=scene)
        assert len(scene.lottery_seed_commitment) == 64 and not scene.is_seed_revealed

    a, b, c, d = parent(), parent(), parent(), parent()
    facts_upsert(actor=None, resident=a, kind="zj_social_insurance_months", value=24, source="demo")
    facts_upsert(actor=None, resident=b, kind="zj_social_insurance_months", value=60, source="demo")
    kid_a, kid_b = child_of(a, dt.date(2019, 3, 1)), child_of(b, dt.date(2013, 5, 20))
    kid_c, kid_d = child_of(c, dt.date(2019, 12, 1)), child_of(d, dt.date(2019, 1, 1))

    # March: applications, online and at the window; a too-young child is refused with the reason.
    with time_machine.travel(at(2025, 3, 5, 9), tick=False):
        app_a = services.application_submit(
            actor=a.user, scene=scene, resident=a, child=kid_a, stage="grade1"
        )
        app_b = services.application_submit(actor=clerk, scene=scene, resident=b, child=kid_b, stage="grade7")
        app_d = services.application_submit(
            actor=d.user, scene=scene, resident=d, child=kid_d, stage="grade1"
        )
        with pytest.raises(services.GatesFailed) as refused:
            services.application_submit(actor=c.user, scene=scene, resident=c, child=kid_c, stage="grade1")
        assert "只有 5 周岁" in refused.value.message
    assert app_b.channel == Application.Channel.WINDOW
    assert steps(app_a) == {
        "submitted": "done",
        "review": "current",
        "ranked": "pending",
        "notice": "pending",
        "final": "pending",
        "outcome": "pending",
    }

    # March–April: departments review; d's labour contract cannot be confirmed.
    with time_machine.travel(at(2025, 3, 20, 14), tick=False):
        decide_all(app_a, reviewers)
        decide_all(app_b, reviewers)
        decide_all(app_d, reviewers, fail="employment", reason="人社系统中无瑞安劳动合同备案")
    app_d.refresh_from_db()
    assert app_d.status == Application.Status.REJECTED
    assert "人社系统中无瑞安劳动合同备案" in selectors.application_timeline(app_d)[-1].detail

    # May: the centre ranks after the window; the seed is revealed; b (more social insurance) leads.
    with time_machine.travel(at(2025, 5, 6, 10), tick=False):
        run1 = services.ranking_run_create(actor=centre, scene=scene)
    assert list(run1.rows.order_by("rank").values_list("application_id", flat=True)) == [app_b.pk, app_a.pk]
    assert run1.status == RankingRun.Status.COMPUTED and not run1.is_public
    public = Client()
    assert public.get(reverse("web:notice_detail", args=[scene.pk])).status_code == 404  # not yet published

    with time_machine.travel(at(2025, 5, 12, 9), tick=False):
        notice = services.notice_publish(actor=centre, scene=scene)
        page = public.get(reverse("web:notice_detail", args=[scene.pk])).content.decode()
        assert run1.output_digest in page and a.masked_name in page and a.name not in page
        assert steps(app_a)["notice"] == "current"
    assert (notice.starts_on, notice.ends_on) == (dt.date(2025, 5, 12), dt.date(2025, 5, 16))

    # During the notice a sees their own row with a receipt that anyone can verify.
    with time_machine.travel(at(2025, 5, 13, 9), tick=False):
        own = login(a.user).get(reverse("web:notice_detail", args=[scene.pk])).content.decode()
        row_a = app_a.ranking_rows.get(run=run1)
        assert 'class="mine"' in own and row_a.receipt in own
        verified = public.get(reverse("web:notice_verify"), {"code": row_a.receipt}).content.decode()
        assert "核验通过" in verified and app_a.number in verified

        # a objects: the bachelor's degree was not counted.
        response = login(a.user).post(
            reverse("web:scene_application_object", args=[app_a.pk]),
            {"item_code": "common.education", "statement": "本人为本科学历，请核实"},
        )
        assert response.status_code == 302
    objection = app_a.objections.get()

    with time_machine.travel(at(2025, 5, 14, 15), tick=False):
        services.objection_decide(
            actor=reviewers["education"],
            objection=objection,
            upheld=True,
            reason="学信网核实为全日制本科",
            fact_value="bachelor",
        )
    objection.refresh_from_db()
    run2 = objection.result_run
    run1.refresh_from_db()
    assert run1.status == RankingRun.Status.SUPERSEDED and run2.version == 2 and run2.supersedes_id == run1.pk
    old_page = public.get(reverse("web:notice_version", args=[scene.pk, 1])).content.decode()
    assert "本版本已被取代" in old_page and run1.output_digest in old_page

    # After the notice: objections are refused with the end date; the list becomes final.
    with time_machine.travel(at(2025, 5, 17, 10), tick=False), pytest.raises(Conflict) as late:
        services.objection_file(
            actor=b.user, row=app_b.ranking_rows.get(run=run2), item_code="common.age", statement="年龄"
        )
    assert "2025-05-16" in late.value.message
    with time_machine.travel(at(2025, 5, 19, 9), tick=False):
        final = services.ranking_finalise(actor=centre, scene=scene)
        assert final.pk == run2.pk and final.status == RankingRun.Status.FINAL
        export = login(reviewers["education"]).get(reverse("web:scene_final_xlsx", args=[scene.pk]))
        assert export.status_code == 200
        cells = [
            c
            for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
            for c in row
        ]
        assert app_a.number in cells and app_b.number in cells

    # July: the education bureau records the placements.
    with time_machine.travel(at(2025, 7, 10, 9), tick=False):
        services.outcome_record(
            actor=reviewers["education"], application=app_a, kind="placed", school="瑞安市安阳实验小学"
        )
    assert steps(app_a) == {
        "submitted": "done",
        "review": "done",
        "ranked": "done",
        "notice": "done",
        "final": "done",
        "outcome": "done",
    }
    timeline = {s.code: s for s in selectors.application_timeline(app_a)}
    assert timeline["final"].on.date() == dt.date(2025, 5, 19)
    assert timeline["notice"].on == dt.date(2025, 5, 12)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "scenes.scene_create",
        "scenes.scene_publish",
        "scenes.apply",
        "scenes.check",
        "scenes.rank",
        "scenes.notice_publish",
        "scenes.object",
        "scenes.objection_decide",
        "scenes.finalise",
        "scenes.final_export",
        "scenes.outcome",
    } <= actions
    assert audit_verify().ok


def test_a_housing_year_from_declaration_to_payment():
    centre = CentreAdminFactory()
    reviewers = {code: reviewer(code) for code in ("housing", "public_security")}
    with time_machine.travel(at(2025, 6, 20), tick=False):
        scene = services.scene_create(
            actor=centre,
            code="housing-2025",
            name="2025年积分住房租赁补贴",
            kind=Scene.Kind.HOUSING,
            year=2025,
            opens_at=at(2025, 7, 1, 0, 0),
            closes_at=at(2025, 10, 1, 0, 0),
            review_starts_on=dt.date(2025, 7, 1),
            review_ends_on=dt.date(2025, 12, 5),
            as_of=dt.date(2025, 9, 30),
            policy=policy(),
            quota=1,
            departments=["housing", "public_security"],
        )
        services.scene_publish(actor=centre, scene=scene)

    tenant, owner, detained, veteran_tenant = parent(), parent(), parent(), parent()
    facts_upsert(
        actor=None,
        resident=detained,
        kind="deductions",
        value=[{"kind": "detention", "date": "2022-11-03"}],
        source="demo",
    )
    facts_upsert(actor=None, resident=tenant, kind="zj_social_insurance_months", value=36, source="demo")

    with time_machine.travel(at(2025, 7, 10, 9), tick=False):
        app_t = services.application_submit(
            actor=tenant.user, scene=scene, resident=tenant, declarations=HOUSING_OK
        )
        app_o = services.application_submit(
            actor=owner.user, scene=scene, resident=owner, declarations=HOUSING_OK
        )
        app_v = services.application_submit(
            actor=veteran_tenant.user, scene=scene, resident=veteran_tenant, declarations=HOUSING_OK
        )
        with pytest.raises(services.GatesFailed) as penalty:
            services.application_submit(
                actor=detained.user, scene=scene, resident=detained, declarations=HOUSING_OK
            )
        assert "2022-11-03" in penalty.value.message
        with pytest.raises(services.GatesFailed) as too_many:
            services.application_submit(
                actor=detained.user,
                scene=scene,
                resident=detained,
                declarations={**HOUSING_OK, "prior_subsidy_years": 3},
            )
        assert "最多享受 3 年" in too_many.value.message

    # The window closes on time.
    with time_machine.travel(at(2025, 10, 1, 0, 0), tick=False), pytest.raises(Conflict) as closed:
        services.application_submit(
            actor=detained.user, scene=scene, resident=detained, declarations=HOUSING_OK
        )
    assert "已经截止" in closed.value.message

    # Review (July–December): the housing bureau finds a home registered to the owner.
    with time_machine.travel(at(2025, 10, 20, 10), tick=False):
        decide_all(app_t, reviewers)
        decide_all(app_v, reviewers)
        decide_all(app_o, reviewers, fail="no_home", reason="不动产登记显示其配偶在瑞安有住房一套")
        # the housing reviewer sees only the housing checks
        assert {c.department.code for c in selectors.check_list(visible_to=reviewers["housing"])} == {
            "housing"
        }
    app_o.refresh_from_db()
    assert app_o.status == Application.Status.REJECTED
    owner_steps = selectors.application_timeline(app_o)
    assert owner_steps[-1].state == "failed" and "配偶在瑞安有住房" in owner_steps[-1].detail

    with time_machine.travel(at(2025, 12, 1, 10), tick=False):
        run = services.ranking_run_create(actor=centre, scene=scene)
    rows = list(run.rows.order_by("rank"))
    assert [r.application_id for r in rows] == [app_t.pk, app_v.pk]  # 36 months of social insurance lead
    assert [r.is_selected for r in rows] == [True, False]  # quota 1

    with time_machine.travel(at(2025, 12, 8, 9), tick=False):
        notice = services.notice_publish(actor=centre, scene=scene)
    assert notice.ends_on == dt.date(2025, 12, 12)
    with time_machine.travel(at(2025, 12, 15, 9), tick=False):
        services.ranking_finalise(actor=centre, scene=scene)
        final = login(reviewers["housing"]).get(f"/api/scenes/{scene.pk}/final").json()
        assert [r["number"] for r in final["items"]] == [app_t.number, app_v.number]
        assert final["items"][0]["is_selected"] is True

    with time_machine.travel(at(2025, 12, 20, 9), tick=False):
        with pytest.raises(Conflict):  # outside the quota: no payment
            services.outcome_record(
                actor=reviewers["housing"],
                application=app_v,
                kind="subsidy_paid",
                amount_yuan="3600",
                months=12,
                period_from=dt.date(2025, 1, 1),
            )
        services.outcome_record(
            actor=reviewers["housing"],
            application=app_t,
            kind="subsidy_paid",
            amount_yuan=Decimal("3600.00"),
            months=12,
            period_from=dt.date(2025, 1, 15),
            paid_on=dt.date(2025, 12, 20),
        )
    app_t.refresh_from_db()
    tenant_steps = {s.code: s for s in selectors.application_timeline(app_t)}
    assert all(s.state == "done" for s in tenant_steps.values())
    assert tenant_steps["outcome"].lines == ["发放住房租赁补贴 ¥3600.00（12 个月，自 2025-01 起）"]
    # The paid year now counts towards the 3-year limit of later years.
    assert services.subsidy_paid_years(tenant, before_year=2026) == [2025]
    assert audit_verify().ok
