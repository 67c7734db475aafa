"""Services of the scenes area: windows, gates, checks, ranking runs, notices, objections, outcomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ClerkFactory,
    HouseholdMemberFactory,
    ReviewerFactory,
    TownFactory,
)
from xinshimin.scenes import selectors, services
from xinshimin.scenes.models import Application, ApplicationCheck, Objection, Outcome, RankingRun
from xinshimin.scoring.services import facts_upsert

from .helpers import HOUSING_OK, approve_all, at, child_of, housing_scene, parent, reviewer, school_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    with time_machine.travel(at(2025, 2, 20), tick=False):
        return school_scene()


def apply_school(scene, resident, child, *, when=None, stage="grade1", actor=None):
    with time_machine.travel(when or at(2025, 3, 10), tick=False):
        return services.application_submit(
            actor=actor if actor is not None else resident.user,
            scene=scene,
            resident=resident,
            child=child,
            stage=stage,
        )


def set_fact(resident, kind, value):
    facts_upsert(actor=None, resident=resident, kind=kind, value=value, source="demo")


# --- applying ----------------------------------------------------------------------------------------


def test_application_before_the_window_is_refused_with_the_dates(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    with pytest.raises(Conflict) as error:
        apply_school(scene, p, kid, when=at(2025, 2, 28, 23, 59))
    assert "2025-03-01 00:00 至 2025-05-01 00:00" in error.value.message
    assert "尚未开始" in error.value.message


def test_application_after_the_window_closes_on_time_is_refused(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    apply_school(scene, p, kid, when=at(2025, 4, 30, 23, 59))  # the last minute is still open
    other = parent()
    with pytest.raises(Conflict) as error:
        apply_school(scene, other, child_of(other, dt.date(2019, 5, 1)), when=at(2025, 5, 1, 0, 0))
    assert "已经截止" in error.value.message and "2025-05-01 00:00" in error.value.message


def test_one_application_per_child_per_year_even_by_the_other_parent(scene):
    mother = parent()
    kid = child_of(mother, dt.date(2019, 5, 1))
    first = apply_school(scene, mother, kid)
    with pytest.raises(Conflict) as again:
        apply_school(scene, mother, kid, when=at(2025, 3, 11))
    assert first.number in again.value.message
    father = parent()
    same_child = HouseholdMemberFactory(
        resident=father, id_number=kid.id_number, name=kid.name, birth_date=kid.birth_date
    )
    with pytest.raises(Conflict):
        apply_school(scene, father, same_child, when=at(2025, 3, 12))


def test_the_database_refuses_a_second_application_for_the_same_child(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    first = apply_school(scene, p, kid)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            scene=scene,
            resident=p,
            number="dup-1",
            kind="school",
            year=2025,
            child=kid,
            child_id_index=first.child_id_index,
            stage="grade1",
            submitted_at=first.submitted_at,
        )


def test_failing_gates_refuse_the_application_with_every_reason(scene):
    p = parent(employer_is_ruian=False)
    kid = child_of(p, dt.date(2020, 1, 15))
    with pytest.raises(services.GatesFailed) as error:
        apply_school(scene, p, kid)
    message = error.value.message
    assert "劳动合同" in message and "只有 5 周岁" in message and "（1）" in message and "（2）" in message
    assert not Application.objects.exists()


def test_an_expired_permit_cannot_apply(scene):
    p = parent(permit__status="expired")
    with pytest.raises(services.GatesFailed) as error:
        apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    assert "已过期" in error.value.message


def test_a_child_outside_the_household_is_refused(scene):
    p, stranger = parent(), parent()
    with pytest.raises(ValidationFailed) as error:
        apply_school(scene, p, child_of(stranger, dt.date(2019, 5, 1)))
    assert error.value.field == "child"


def test_residents_apply_only_for_themselves_and_clerks_only_in_their_town(scene):
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    with pytest.raises(PermissionDenied):
        apply_school(scene, p, kid, actor=parent().user)
    with pytest.raises(PermissionDenied):
        apply_school(scene, p, kid, actor=ClerkFactory(town=TownFactory(code="tangxia")))
    application = apply_school(scene, p, kid, actor=ClerkFactory())  # a clerk of 安阳街道, the parent's town
    assert application.channel == Application.Channel.WINDOW


def test_submission_creates_the_department_checks_and_is_audited(scene):
    p = parent()
    application = apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    assert application.number == "school-2025-000001"
    assert application.status == Application.Status.SUBMITTED
    assert sorted(application.checks.values_list("code", "department__code")) == [
        ("child", "education"),
        ("employment", "hrss"),
        ("permit", "public_security"),
    ]
    event = AuditEvent.objects.filter(action="scenes.apply").get()
    assert p.name not in str(event.summary)


# --- department checks -------------------------------------------------------------------------------


def test_reviewers_see_and_decide_only_their_departments_checks(scene):
    p = parent()
    application = apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    education = reviewer("education")
    police = ReviewerFactory()
    assert [c.code for c in selectors.check_list(visible_to=education)] == ["child"]
    assert [c.code for c in selectors.check_list(visible_to=police)] == ["permit"]
    assert selectors.check_list(visible_to=p.user).count() == 0
    child_check = application.checks.get(code="child")
    with time_machine.travel(at(2025, 3, 20), tick=False):
        with pytest.raises(PermissionDenied):
            services.check_decide(actor=police, check=child_check, passed=True, reason="ok")
        with pytest.raises(ValidationFailed):
            services.check_decide(actor=education, check=child_check, passed=True, reason="  ")
        services.check_decide(actor=education, check=child_check, passed=True, reason="户籍与出生证明一致")
    application.refresh_from_db()
    assert application.status == Application.Status.UNDER_REVIEW


def test_a_failed_check_rejects_the_application_and_the_timeline_says_why(scene):
    p = parent()
    application = apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    with time_machine.travel(at(2025, 3, 20), tick=False):
        for check in application.checks.all():
            passed = check.code != "employment"
            services.check_decide(
                actor=None,
                check=check,
                passed=passed,
                reason="核查无误" if passed else "劳动合同已于 2024 年解除",
            )
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    steps = selectors.application_timeline(application)
    assert steps[-1].state == "failed"
    assert "劳动合同已于 2024 年解除" in steps[-1].detail


def test_checks_outside_the_review_window_are_refused(scene):
    p = parent()
    application = apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    with time_machine.travel(at(2025, 5, 11), tick=False), pytest.raises(Conflict) as error:
        services.check_decide(actor=None, check=application.checks.first(), passed=True, reason="ok")
    assert "2025-03-01 至 2025-05-10" in error.value.message


# --- housing -----------------------------------------------------------------------------------------


@pytest.fixture
def housing():
    with time_machine.travel(at(2025, 6, 20), tick=False):
        return housing_scene()


def apply_housing(scene, resident, declarations=HOUSING_OK, when=None):
    with time_machine.travel(when or at(2025, 7, 15), tick=False):
        return services.application_submit(
            actor=resident.user, scene=scene, resident=resident, declarations=dict(declarations)
        )


def test_housing_detention_within_five_years_is_refused_from_the_deduction_facts(housing):
    p = parent()
    set_fact(p, "deductions", [{"kind": "detention", "date": "2021-03-02"}])
    with pytest.raises(services.GatesFailed) as error:
        apply_housing(housing, p)
    assert "2021-03-02" in error.value.message and "行政拘留" in error.value.message
    old = parent()
    set_fact(old, "deductions", [{"kind": "detention", "date": "2020-07-15"}])  # exactly 5 years: outside
    assert apply_housing(housing, old).status == Application.Status.SUBMITTED


def test_housing_declarations_must_be_made(housing):
    p = parent()
    with pytest.raises(services.GatesFailed) as error:
        apply_housing(housing, p, {**HOUSING_OK, "no_home": False})
    assert "自有住房" in error.value.message
    with pytest.raises(ValidationFailed):
        apply_housing(housing, p, {**HOUSING_OK, "owns_car": True})


def test_housing_checks_are_split_between_departments(housing):
    application = apply_housing(housing, parent())
    assert sorted(application.checks.values_list("code", "department__code")) == [
        ("no_home", "housing"),
        ("no_other_subsidy", "housing"),
        ("no_penalty", "public_security"),
        ("subsidy_years", "housing"),
    ]
    assert application.declarations == HOUSING_OK


# --- ranking -----------------------------------------------------------------------------------------


def _eligible(scene, n, *, when=None):
    when = when or at(2025, 3, 10)
    applications = []
    for i in range(n):
        p = parent()
        applications.append(
            apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)), when=when + dt.timedelta(minutes=i))
        )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        for application in applications:
            approve_all(application)
    return applications


def test_ranking_waits_for_the_window_and_for_every_review(scene):
    p = parent()
    apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    with time_machine.travel(at(2025, 4, 30, 12), tick=False), pytest.raises(Conflict) as early:
        services.ranking_run_create(actor=None, scene=scene)
    assert "截止后才能排名" in early.value.message
    with time_machine.travel(at(2025, 5, 8), tick=False), pytest.raises(Conflict) as pending:
        services.ranking_run_create(actor=None, scene=scene)
    assert "1 份申请未完成部门审核" in pending.value.message


def test_only_the_centre_ranks(scene):
    with pytest.raises(PermissionDenied):
        services.ranking_run_create(actor=reviewer("education"), scene=scene)


def test_rerunning_gives_the_identical_list_and_digests(scene):
    _eligible(scene, 6)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        first = services.ranking_run_create(actor=CentreAdminFactory(), scene=scene)
        second = services.ranking_run_create(actor=None, scene=scene)
    first.refresh_from_db()
    assert first.status == RankingRun.Status.SUPERSEDED and second.supersedes == first
    assert (first.inputs_digest, first.output_digest) == (second.inputs_digest, second.output_digest)
    columns = ("number", "name_masked", "id_number_masked", "total", "is_top_n", "is_selected")
    assert list(first.rows.order_by("rank").values_list(*columns)) == list(
        second.rows.order_by("rank").values_list(*columns)
    )
    assert selectors.run_verify(second)
    scene.refresh_from_db()
    assert (
        scene.is_seed_revealed
        and services.ranking.seed_commitment(scene.lottery_seed) == scene.lottery_seed_commitment
    )


def test_a_tampered_row_fails_verification(scene):
    _eligible(scene, 3)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)
    run.rows.filter(rank=2).update(total=Decimal("999.00"))
    assert not selectors.run_verify(run)


def test_ties_in_the_database_are_resolved_exactly_by_the_chain(scene):
    """Five applicants built to tie at each level of the chain in turn."""
    old_registration = {"permit__zj_residence_registered_on": dt.date(2012, 1, 1)}

    def applicant(**permit):
        return parent(**{**old_registration, **permit})

    top = applicant()  # more points than everyone
    si_high = applicant()  # ties `si_low` on total, more social-insurance points
    si_low = applicant()
    earlier_registered = applicant(permit__zj_residence_registered_on=dt.date(2011, 1, 1))
    submitted_first, submitted_second = applicant(), applicant()
    lottery_a, lottery_b = applicant(), applicant()
    set_fact(top, "education", "bachelor")
    set_fact(top, "zj_social_insurance_months", 40)
    set_fact(si_high, "zj_social_insurance_months", 30)  # 15 social insurance + 5 education = 20
    set_fact(si_high, "education", "high_school")
    set_fact(si_low, "zj_social_insurance_months", 20)  # 10 social insurance + 10 education = 20
    set_fact(si_low, "education", "bachelor")
    for p in (earlier_registered, submitted_first, submitted_second, lottery_a, lottery_b):
        set_fact(p, "zj_social_insurance_months", 20)
        set_fact(p, "education", "high_school")  # 10 + 5 = 15: below the social-insurance pair
    # Submission order differs from the expected rank wherever an earlier key must win.
    order_of_submission = [top, si_low, si_high, submitted_first, submitted_second, earlier_registered]
    applications = {}
    for minute, p in enumerate(order_of_submission):
        applications[p.pk] = apply_school(
            scene,
            p,
            child_of(p, dt.date(2019, 5, 1)),
            when=at(2025, 3, 10, 9, 0) + dt.timedelta(minutes=minute),
        )
    for p in (lottery_a, lottery_b):  # the very same moment
        applications[p.pk] = apply_school(
            scene, p, child_of(p, dt.date(2019, 5, 1)), when=at(2025, 3, 10, 11, 0)
        )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        for application in applications.values():
            approve_all(application)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)
    ranked = list(run.rows.order_by("rank").values_list("application__resident_id", flat=True))
    lottery_pair = sorted(
        (lottery_a, lottery_b),
        key=lambda p: services.ranking.lottery_key(run.seed, applications[p.pk].number),
    )
    assert ranked == [
        top.pk,
        si_high.pk,  # tie on total, more social-insurance points
        si_low.pk,
        earlier_registered.pk,  # tie on total and social insurance, registered in 2011
        submitted_first.pk,  # tie on everything above, submitted earlier
        submitted_second.pk,
        lottery_pair[0].pk,  # tie on everything: the lottery from the revealed seed
        lottery_pair[1].pk,
    ]
    totals = dict(run.rows.values_list("application__resident_id", "total"))
    assert totals[si_high.pk] == totals[si_low.pk]
    assert totals[earlier_registered.pk] == totals[submitted_first.pk] == totals[lottery_a.pk]


# --- notice, objections, final list ---------------------------------------------------------------------


def _published(scene, *, n=3, on=None):
    on = on or at(2025, 5, 12)
    applications = _eligible(scene, n)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        services.ranking_run_create(actor=None, scene=scene)
    with time_machine.travel(on, tick=False):
        notice = services.notice_publish(actor=None, scene=scene)
    return applications, notice


def test_the_notice_lasts_five_working_days_on_the_official_calendar(scene):
    _applications, notice = _published(scene, on=at(2025, 5, 10))  # a Saturday
    assert (notice.starts_on, notice.ends_on) == (dt.date(2025, 5, 12), dt.date(2025, 5, 16))
    assert services.notice_dates(dt.date(2025, 9, 29)) == (dt.date(2025, 9, 29), dt.date(2025, 10, 11))


def test_an_objection_after_the_notice_closes_is_refused_with_the_end_date(scene):
    applications, _notice = _published(scene)
    row = applications[0].ranking_rows.get()
    with time_machine.travel(at(2025, 5, 16, 23, 59), tick=False):
        services.objection_file(
            actor=applications[0].resident.user,
            row=row,
            item_code="common.education",
            statement="我有本科学历",
        )
    with time_machine.travel(at(2025, 5, 17, 0, 1), tick=False), pytest.raises(Conflict) as error:
        services.objection_file(
            actor=applications[1].resident.user,
            row=applications[1].ranking_rows.get(),
            item_code="common.education",
            statement="我有本科学历",
        )
    assert error.value.message == "公示期已于 2025-05-16 结束，逾期不予受理。"
    assert error.value.code == "notice_closed"


def test_objections_only_by_the_applicant_or_a_clerk_of_their_town(scene):
    applications, _notice = _published(scene)
    row = applications[0].ranking_rows.get()
    with time_machine.travel(at(2025, 5, 13), tick=False):
        with pytest.raises(PermissionDenied):
            services.objection_file(
                actor=applications[1].resident.user, row=row, item_code="common.education", statement="x"
            )
        objection = services.objection_file(
            actor=ClerkFactory(), row=row, item_code="common.education", statement="窗口代办"
        )
    assert objection.channel == Application.Channel.WINDOW
    assert objection.department.code == "education"


def test_an_upheld_objection_corrects_the_fact_and_supersedes_the_list(scene):
    applications, _notice = _published(scene)
    claimant = applications[2]
    before = claimant.ranking_rows.get()
    with time_machine.travel(at(2025, 5, 13), tick=False):
        objection = services.objection_file(
            actor=claimant.resident.user, row=before, item_code="common.education", statement="本科学历未计分"
        )
    education = reviewer("education")
    with time_machine.travel(at(2025, 5, 14), tick=False):
        decided = services.objection_decide(
            actor=education,
            objection=objection,
            upheld=True,
            reason="学信网核实为本科",
            fact_value="bachelor",
        )
    assert decided.status == Objection.Status.UPHELD
    new_run = decided.result_run
    old_run = before.run
    old_run.refresh_from_db()
    assert old_run.status == RankingRun.Status.SUPERSEDED and new_run.supersedes == old_run
    assert new_run.status == RankingRun.Status.PUBLISHED and new_run.version == 2
    after = claimant.ranking_rows.get(run=new_run)
    assert after.total == before.total + 5  # education 5 → 10
    assert new_run.output_digest != old_run.output_digest
    assert selectors.public_run(scene_pk=scene.pk).pk == new_run.pk
    assert selectors.public_run(scene_pk=scene.pk, version=1).is_superseded
    assert claimant.resident.facts.get(kind="education").value == "bachelor"


def test_only_the_responsible_department_decides_an_objection(scene):
    applications, _notice = _published(scene)
    with time_machine.travel(at(2025, 5, 13), tick=False):
        objection = services.objection_file(
            actor=applications[0].resident.user,
            row=applications[0].ranking_rows.get(),
            item_code="common.social_insurance",
            statement="社保月数少算",
        )
    with pytest.raises(PermissionDenied):
        services.objection_decide(actor=reviewer("education"), objection=objection, upheld=False, reason="x")
    decided = services.objection_decide(
        actor=reviewer("hrss"),
        objection=objection,
        upheld=False,
        reason="社保记录无误",
    )
    assert decided.status == Objection.Status.REJECTED and decided.result_run is None


def test_the_list_becomes_final_only_after_the_notice_and_every_objection(scene):
    applications, _notice = _published(scene)
    with time_machine.travel(at(2025, 5, 15), tick=False):
        objection = services.objection_file(
            actor=applications[0].resident.user,
            row=applications[0].ranking_rows.get(),
            item_code="common.age",
            statement="年龄有误",
        )
        with pytest.raises(Conflict) as early:
            services.ranking_finalise(actor=None, scene=scene)
    assert "2025-05-16" in early.value.message
    with time_machine.travel(at(2025, 5, 19), tick=False):
        with pytest.raises(Conflict) as pending:
            services.ranking_finalise(actor=None, scene=scene)
        assert "1 件异议未审核" in pending.value.message
        services.objection_decide(actor=None, objection=objection, upheld=False, reason="与公安数据一致")
        final = services.ranking_finalise(actor=None, scene=scene)
    assert final.status == RankingRun.Status.FINAL
    with pytest.raises(Conflict):
        services.ranking_run_create(actor=None, scene=scene)


def test_outcomes_need_the_final_list_and_the_receiving_department(scene):
    applications, _notice = _published(scene)
    application = applications[0]
    education = reviewer("education")
    with pytest.raises(Conflict):
        services.outcome_record(
            actor=education, application=application, kind="placed", school="安阳实验小学"
        )
    with time_machine.travel(at(2025, 5, 19), tick=False):
        services.ranking_finalise(actor=None, scene=scene)
    with pytest.raises(PermissionDenied):
        services.outcome_record(
            actor=reviewer("housing"),
            application=application,
            kind="placed",
            school="x",
        )
    with pytest.raises(ValidationFailed):
        services.outcome_record(actor=education, application=application, kind="placed", school="")
    outcome = services.outcome_record(
        actor=education, application=application, kind="placed", school="安阳实验小学"
    )
    assert outcome.kind == Outcome.Kind.PLACED
    assert selectors.application_timeline(application)[-1].lines == ["已安排入读 安阳实验小学"]


def test_final_list_is_visible_to_education_and_the_centre_only(scene):
    _published(scene)
    with time_machine.travel(at(2025, 5, 19), tick=False):
        services.ranking_finalise(actor=None, scene=scene)
    assert selectors.final_run(visible_to=reviewer("education"), scene=scene)
    assert selectors.final_run(visible_to=CentreAdminFactory(), scene=scene)
    for outsider in (reviewer("housing"), ReviewerFactory(), parent().user):
        with pytest.raises(services.NotFound):
            selectors.final_run(visible_to=outsider, scene=scene)


def test_checks_are_pending_rows_with_a_constraint_on_results(scene):
    p = parent()
    application = apply_school(scene, p, child_of(p, dt.date(2019, 5, 1)))
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationCheck.objects.filter(application=application).update(result="maybe")


def test_rows_with_copy_special_characters_are_stored_exactly(scene):
    """The PostgreSQL COPY path escapes backslashes and tabs in data (SQLite stores through the ORM)."""
    odd = parent(name="\\\t张三")
    with time_machine.travel(at(2025, 3, 10), tick=False):
        application = services.application_submit(
            actor=odd.user,
            scene=scene,
            resident=odd,
            child=child_of(odd, dt.date(2019, 5, 1)),
            stage="grade1",
        )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        approve_all(application)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)
    row = run.rows.get()
    assert row.name_masked == odd.masked_name == "\\***"
    assert selectors.run_verify(run)


def test_revoking_an_application_during_the_notice_removes_it_from_a_new_version(scene):
    applications, _notice = _published(scene)
    cheat = applications[1]
    with pytest.raises(PermissionDenied):
        services.application_revoke(actor=reviewer("education"), application=cheat, reason="x")
    with time_machine.travel(at(2025, 5, 13), tick=False):
        services.application_revoke(
            actor=CentreAdminFactory(), application=cheat, reason="抽查发现劳动合同系伪造"
        )
    cheat.refresh_from_db()
    assert cheat.status == Application.Status.REJECTED
    current = selectors.public_run(scene_pk=scene.pk)
    assert current.version == 2 and not current.rows.filter(application=cheat).exists()
    assert "抽查发现劳动合同系伪造" in selectors.application_timeline(cheat)[-1].detail


def test_revoking_after_the_final_list_records_a_revoked_outcome(scene):
    applications, _notice = _published(scene)
    with time_machine.travel(at(2025, 5, 19), tick=False):
        services.ranking_finalise(actor=None, scene=scene)
        services.application_revoke(actor=None, application=applications[0], reason="学位证书系伪造")
    outcome = applications[0].outcomes.get()
    assert outcome.kind == Outcome.Kind.REVOKED and outcome.note == "学位证书系伪造"
    assert selectors.application_timeline(applications[0])[-1].state == "failed"


def test_receipts_verify_only_the_row_they_were_issued_for(scene):
    applications, _notice = _published(scene)
    row = applications[0].ranking_rows.get()
    assert selectors.receipt_lookup(row.receipt) == row
    assert selectors.receipt_lookup(row.receipt.lower().replace("-", " - ")) == row
    run_id, rank, tag = row.receipt.split("-")
    other_rank = 1 if int(rank) != 1 else 2
    assert selectors.receipt_lookup(f"{run_id}-{other_rank}-{tag}") is None
    assert selectors.receipt_lookup(f"{run_id}-{rank}-{'A' * len(tag)}") is None
    assert selectors.receipt_lookup("nonsense") is None
