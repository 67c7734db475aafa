"""Deadlines on the official calendar, with the clock frozen: review 10 working days, recheck 5, lapse the
day after the evidence deadline, disputes only inside the review periods."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from xinshimin.audit.models import AuditEvent
from xinshimin.claims.models import Claim, ReviewPeriod
from xinshimin.claims.services import (
    claim_lapse_if_overdue,
    claim_recheck_decide,
    claim_reject,
    claim_request_evidence,
    claim_request_recheck,
    claim_supply_evidence,
    claims_lapse_overdue,
)
from xinshimin.claims.tasks import claims_lapse_overdue_task
from xinshimin.core.errors import Conflict, PermissionDenied
from xinshimin.workdays.calendar import NoCalendarData

from .conftest import at
from .factories import file_claim, make_world
from .helpers import photo

pytestmark = pytest.mark.django_db


def _claim_with_evidence_request(w, *, filed: dt.date, asked: dt.date, days: int) -> Claim:
    with at(filed):
        claim = file_claim(w.resident)
    with at(asked):
        return claim_request_evidence(
            actor=w.volunteer, claim=claim, note="请提供志愿汇服务时长截图", working_days=days
        )


def test_claim_lapses_on_the_day_after_its_evidence_deadline():
    w = make_world()
    claim = _claim_with_evidence_request(w, filed=dt.date(2025, 3, 10), asked=dt.date(2025, 3, 12), days=5)
    assert claim.evidence_due_on == dt.date(2025, 3, 19)  # Wed + 5 working days

    with at(dt.date(2025, 3, 19), hour=23):  # the last day itself: still open
        assert claims_lapse_overdue() == 0
        claim.refresh_from_db()
        assert claim.status == Claim.Status.EVIDENCE_REQUESTED

    with at(dt.date(2025, 3, 20), hour=0):
        assert claims_lapse_overdue() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.LAPSED
    event = AuditEvent.objects.get(action="claims.lapse", object_id=str(claim.pk))
    assert event.actor_label == "system"
    assert event.summary["after"]["on"] == "2025-03-20"


def test_the_resident_may_answer_on_the_deadline_day_and_the_department_gets_its_remaining_days():
    w = make_world()
    claim = _claim_with_evidence_request(w, filed=dt.date(2025, 3, 10), asked=dt.date(2025, 3, 12), days=5)
    assert claim.due_on == dt.date(2025, 3, 24)
    with at(dt.date(2025, 3, 19)):
        claim = claim_supply_evidence(actor=w.resident.user, claim=claim, files=[photo("补充.jpg")])
    assert claim.status == Claim.Status.UNDER_REVIEW
    # 8 working days were left on 12 March (13 … 24 March); they run again from 19 March.
    assert claim.due_on == dt.date(2025, 3, 31)


def test_a_late_answer_is_refused_and_the_claim_lapses_lazily_when_read():
    w = make_world()
    claim = _claim_with_evidence_request(w, filed=dt.date(2025, 3, 10), asked=dt.date(2025, 3, 12), days=5)
    with at(dt.date(2025, 3, 20)):
        with pytest.raises(Conflict) as refused:
            claim_supply_evidence(actor=w.resident.user, claim=claim, files=[photo()])
        assert "2025年3月19日" in refused.value.message and "视为放弃" in refused.value.message
    claim.refresh_from_db()
    assert claim.status == Claim.Status.LAPSED


def test_lazy_lapse_when_read_without_the_daily_task():
    w = make_world()
    claim = _claim_with_evidence_request(w, filed=dt.date(2025, 3, 10), asked=dt.date(2025, 3, 12), days=1)
    assert claim.evidence_due_on == dt.date(2025, 3, 13)
    assert (
        claim_lapse_if_overdue(claim=claim, today=dt.date(2025, 3, 13)).status
        == Claim.Status.EVIDENCE_REQUESTED
    )
    assert claim_lapse_if_overdue(claim=claim, today=dt.date(2025, 3, 14)).status == Claim.Status.LAPSED


def test_lapse_command_and_task():
    w = make_world()
    claim = _claim_with_evidence_request(w, filed=dt.date(2025, 3, 10), asked=dt.date(2025, 3, 12), days=1)
    out = StringIO()
    call_command("claims_lapse_overdue", "--today", "2025-03-13", stdout=out)
    assert "0 lapsed" in out.getvalue()
    with at(dt.date(2025, 3, 14)):
        assert claims_lapse_overdue_task.call() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.LAPSED


def test_review_deadline_skips_the_national_day_holiday_and_counts_the_working_sunday():
    # Friday 26 Sep 2025: Sunday 28 Sep is a working day (调休), 1–8 Oct are holidays, Saturday 11 Oct works.
    w = make_world()
    with at(dt.date(2025, 9, 26)):
        claim = file_claim(w.resident)
        assert claim.due_on == dt.date(2025, 10, 16)
        claim = claim_request_evidence(actor=w.volunteer, claim=claim, note="请补充证明", working_days=3)
        assert claim.evidence_due_on == dt.date(2025, 9, 30)  # 28 (Sun, working), 29, 30 Sep


def test_recheck_is_due_in_five_working_days_across_the_holiday_by_another_reviewer():
    w = make_world()
    with at(dt.date(2025, 9, 22)):
        claim = file_claim(w.resident)
        claim = claim_reject(actor=w.volunteer, claim=claim, reason="insufficient_evidence")
    with at(dt.date(2025, 9, 26)):
        claim = claim_request_recheck(actor=w.resident.user, claim=claim, reason="我有志愿汇的完整记录。")
    assert claim.status == Claim.Status.RECHECK_REQUESTED
    assert claim.due_on == dt.date(2025, 10, 10)  # 28 Sep, 29, 30, 9 Oct, 10 Oct

    with at(dt.date(2025, 10, 9)):
        with pytest.raises(PermissionDenied) as same:
            claim_recheck_decide(actor=w.volunteer, claim=claim, approve=True)
        assert "其他审核员" in same.value.message
        claim = claim_recheck_decide(actor=w.volunteer2, claim=claim, approve=True)
    assert claim.status == Claim.Status.RECHECK_APPROVED
    assert claim.recheck_decided_by == w.volunteer2
    with pytest.raises(Conflict) as twice:
        claim_request_recheck(actor=w.resident.user, claim=claim, reason="再次复核")
    assert "只能申请一次复核" in twice.value.message


@pytest.mark.parametrize(
    ("today", "message"),
    [
        (dt.date(2025, 6, 16), "当前不在集中审核期，下一审核期为 2025年7月1日至9月30日"),
        (dt.date(2026, 6, 15), "当前不在集中审核期，下一审核期为 2026年7月1日至9月30日"),
        (dt.date(2025, 10, 20), "当前不在集中审核期，下一审核期为 2026年3月1日至4月30日"),
    ],
)
def test_a_dispute_outside_the_review_periods_is_refused_with_the_next_period(today, message):
    w = make_world()
    with at(today), pytest.raises(Conflict) as refused:
        file_claim(w.resident, item_code="common.social_insurance", kind="dispute", value=48)
    assert refused.value.message == message
    assert refused.value.code == "outside_review_period"
    assert not Claim.objects.exists()


def test_review_periods_are_data_the_centre_can_change():
    w = make_world()
    ReviewPeriod.objects.create(
        year=2025, starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2025, 6, 30), label="2025年6月专项审核期"
    )
    with at(dt.date(2025, 6, 16)):
        claim = file_claim(w.resident, item_code="common.social_insurance", kind="dispute", value=48)
    assert claim.kind == Claim.Kind.DISPUTE
    assert claim.department.code == "hrss"


def test_a_missing_item_claim_is_accepted_outside_the_review_periods():
    w = make_world()
    with at(dt.date(2025, 6, 16)):
        claim = file_claim(w.resident)
    assert claim.status == Claim.Status.SUBMITTED


def test_a_deadline_in_a_year_without_a_calendar_is_refused_not_guessed():
    w = make_world()
    with at(dt.date(2026, 12, 24)), pytest.raises(NoCalendarData) as refused:
        file_claim(w.resident)
    assert "2027" in refused.value.message
    assert not Claim.objects.exists()
