"""Announcements: writing, publishing, withdrawing (audited), visibility, and delivery to inboxes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from xinshimin.accounts.tests.factories import AuditorFactory, CentreAdminFactory, ReviewerFactory
from xinshimin.audit.models import AuditEvent
from xinshimin.centre.models import Announcement, JobRun
from xinshimin.centre.selectors import announcement_get, announcement_latest, announcement_list_public
from xinshimin.centre.services import (
    announcement_create,
    announcement_deliver,
    announcement_publish,
    announcement_update,
    announcement_withdraw,
    clean_link,
)
from xinshimin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from xinshimin.notifications.models import Notice
from xinshimin.notifications.services import notice_list
from xinshimin.residents.tests.factories import ResidentFactory

from .helpers import announcement, at

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_create_makes_an_audited_draft_nobody_else_sees():
    centre = CentreAdminFactory()
    draft = announcement_create(actor=centre, title="  2026年 积分入学 ", body="正文", kind="scene_opening")
    assert draft.status == Announcement.Status.DRAFT
    assert draft.title == "2026年 积分入学"
    assert draft.published_at is None
    event = AuditEvent.objects.get(action="centre.announcement_create")
    assert event.object_id == str(draft.pk)
    assert list(announcement_list_public(user=None)) == []
    with pytest.raises(NotFound):
        announcement_get(user=None, pk=draft.pk)
    assert announcement_get(user=centre, pk=draft.pk) == draft


@pytest.mark.parametrize(
    "make_actor",
    [lambda: ResidentFactory(with_user=True).user, ReviewerFactory, AuditorFactory, lambda: None],
)
def test_only_the_centre_writes_announcements(make_actor):
    actor = make_actor()
    with pytest.raises(PermissionDenied):
        announcement_create(actor=actor, title="标题", body="正文")
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "", "body": "正文"}, "title"),
        ({"title": "标题", "body": "  "}, "body"),
        ({"title": "标题", "body": "正文", "kind": "party"}, "kind"),
        ({"title": "标题", "body": "正文", "audience": "staff"}, "audience"),
        ({"title": "标题", "body": "正文", "link": "javascript:alert(1)"}, "link"),
        ({"title": "标题", "body": "正文", "link": "//evil.example/"}, "link"),
        (
            {"title": "标题", "body": "正文", "published_at": at(2026, 3, 5), "expires_at": at(2026, 3, 4)},
            "expires_at",
        ),
    ],
)
def test_create_refuses_bad_input_with_the_field(fields, field):
    with pytest.raises(ValidationFailed) as caught:
        announcement_create(actor=CentreAdminFactory(), **fields)
    assert caught.value.field == field


def test_clean_link_accepts_site_paths_and_https():
    assert clean_link(" /scenes/ ") == "/scenes/"
    assert clean_link("https://www.ruian.gov.cn/a") == "https://www.ruian.gov.cn/a"
    assert clean_link("") == ""


def test_publish_shows_it_to_everyone_and_audits():
    centre = CentreAdminFactory()
    draft = announcement_create(actor=centre, title="福利兑换开放", body="正文", kind="redemption_opening")
    published = announcement_publish(actor=centre, announcement=draft)
    assert published.status == Announcement.Status.PUBLISHED
    assert published.published_at == NOW
    assert published.published_by == centre
    assert list(announcement_list_public(user=None)) == [published]
    event = AuditEvent.objects.get(action="centre.announcement_publish")
    assert event.summary["after"]["status"] == "published"
    assert event.summary["before"]["status"] == "draft"
    with pytest.raises(Conflict):
        announcement_publish(actor=centre, announcement=published)


def test_scheduled_publication_waits_for_its_time():
    centre = CentreAdminFactory()
    draft = announcement_create(actor=centre, title="定时", body="正文", published_at=at(2026, 3, 5, 8, 0))
    published = announcement_publish(actor=centre, announcement=draft)
    assert published.published_at == at(2026, 3, 5, 8, 0)
    assert published.is_scheduled(timezone.now())
    assert list(announcement_list_public(user=None)) == []
    with time_machine.travel(at(2026, 3, 5, 8, 1), tick=False):
        assert list(announcement_list_public(user=None)) == [published]


def test_an_expired_announcement_leaves_the_lists():
    item = announcement(expires_at=at(2026, 3, 10))
    assert announcement_latest(user=None) == [item]
    with time_machine.travel(at(2026, 3, 10, 10, 1), tick=False):
        assert announcement_latest(user=None) == []


def test_publish_refuses_when_the_expiry_has_passed():
    centre = CentreAdminFactory()
    draft = announcement_create(
        actor=centre, title="过期", body="正文", published_at=at(2026, 2, 1), expires_at=at(2026, 3, 1)
    )
    with pytest.raises(ValidationFailed) as caught:
        announcement_publish(actor=centre, announcement=draft)
    assert caught.value.field == "expires_at"
    draft.refresh_from_db()
    assert draft.status == Announcement.Status.DRAFT


def test_residents_announcements_need_a_login():
    public = announcement(title="公开")
    private = announcement(title="仅新市民", audience="residents")
    resident = ResidentFactory(with_user=True)
    assert list(announcement_list_public(user=None)) == [public]
    assert set(announcement_list_public(user=resident.user)) == {public, private}
    with pytest.raises(NotFound):
        announcement_get(user=None, pk=private.pk)
    assert announcement_get(user=resident.user, pk=private.pk) == private


def test_latest_lists_newest_first_and_limits():
    items = []
    for day in range(1, 8):
        with time_machine.travel(at(2026, 2, day), tick=False):
            items.append(announcement(title=f"公告{day}"))
    latest = announcement_latest(user=None, limit=5)
    assert [a.title for a in latest] == ["公告7", "公告6", "公告5", "公告4", "公告3"]


def test_withdraw_hides_it_needs_a_reason_and_audits():
    centre = CentreAdminFactory()
    item = announcement(actor=centre)
    with pytest.raises(ValidationFailed):
        announcement_withdraw(actor=centre, announcement=item, reason="  ")
    withdrawn = announcement_withdraw(actor=centre, announcement=item, reason="时间有误")
    assert withdrawn.status == Announcement.Status.WITHDRAWN
    assert list(announcement_list_public(user=None)) == []
    event = AuditEvent.objects.get(action="centre.announcement_withdraw")
    assert event.summary["note"] == "时间有误"
    with pytest.raises(Conflict):
        announcement_withdraw(actor=centre, announcement=withdrawn, reason="再次")


def test_a_published_announcement_is_withdrawn_before_it_is_edited():
    centre = CentreAdminFactory()
    item = announcement(actor=centre)
    with pytest.raises(Conflict):
        announcement_update(
            actor=centre, announcement=item, title="新", body="新", kind="general", audience="public"
        )
    announcement_withdraw(actor=centre, announcement=item, reason="修改时间")
    edited = announcement_update(
        actor=centre, announcement=item, title="新标题", body="新正文", kind="general", audience="public"
    )
    assert edited.title == "新标题"
    assert AuditEvent.objects.filter(action="centre.announcement_update").count() == 1
    republished = announcement_publish(actor=centre, announcement=edited)
    assert republished.status == Announcement.Status.PUBLISHED


# --- delivery to residents' inboxes -------------------------------------------------------------------------


def test_publishing_for_residents_queues_one_delivery_job_after_commit(django_capture_on_commit_callbacks):
    centre = CentreAdminFactory()
    draft = announcement_create(actor=centre, title="积分异议受理", body="正文", audience="residents")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announcement_publish(actor=centre, announcement=draft)
    job = JobRun.objects.get(announcement=draft)
    assert job.status == JobRun.Status.QUEUED
    assert job.kind == JobRun.Kind.ANNOUNCEMENT_DELIVERY
    assert len(callbacks) == 1  # the task is enqueued only once the publication has committed


def test_public_announcements_are_not_delivered_to_inboxes():
    announcement(audience="public")
    assert not JobRun.objects.exists()


def test_delivery_reaches_every_resident_once_with_a_link():
    residents = [ResidentFactory(with_user=True) for _ in range(5)] + [ResidentFactory()]  # one without login
    item = announcement(audience="residents", title="7月起申请住房租赁补贴")
    job = JobRun.objects.get(announcement=item)
    done = announcement_deliver(job_id=job.pk, batch_size=2)
    assert done.status == JobRun.Status.DONE
    assert (done.total, done.done, done.percent) == (6, 6, 100)
    assert Notice.objects.count() == 6
    inbox = list(notice_list(user=residents[0].user))
    assert [n.title for n in inbox] == ["7月起申请住房租赁补贴"]
    assert inbox[0].link == f"/announcements/{item.pk}/"
    assert Notice.objects.filter(resident=residents[-1]).count() == 1
    again = announcement_deliver(job_id=job.pk)
    assert again.status == JobRun.Status.DONE
    assert Notice.objects.count() == 6
    assert AuditEvent.objects.filter(action="centre.announcement_deliver").count() == 1


def test_a_failed_delivery_resumes_where_it_stopped(monkeypatch):
    for _ in range(5):
        ResidentFactory()
    item = announcement(audience="residents")
    job = JobRun.objects.get(announcement=item)
    from xinshimin.centre import services

    calls = {"n": 0}
    real_notify = services.notify

    def flaky_notify(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("gateway down")
        return real_notify(**kwargs)

    monkeypatch.setattr(services, "notify", flaky_notify)
    with pytest.raises(RuntimeError):
        announcement_deliver(job_id=job.pk, batch_size=2)
    job.refresh_from_db()
    assert job.status == JobRun.Status.FAILED
    assert (job.done, job.total) == (2, 5)
    assert "gateway down" in job.error
    assert Notice.objects.count() == 2  # the failed batch rolled back as a whole
    monkeypatch.setattr(services, "notify", real_notify)
    finished = announcement_deliver(job_id=job.pk, batch_size=2)
    assert finished.status == JobRun.Status.DONE
    assert Notice.objects.count() == 5
    assert Notice.objects.values("resident").distinct().count() == 5


def test_withdrawing_stops_a_queued_delivery_and_republishing_resumes_it():
    centre = CentreAdminFactory()
    for _ in range(3):
        ResidentFactory()
    item = announcement(actor=centre, audience="residents")
    job = JobRun.objects.get(announcement=item)
    announcement_withdraw(actor=centre, announcement=item, reason="内容有误")
    job.refresh_from_db()
    assert job.status == JobRun.Status.CANCELLED
    assert announcement_deliver(job_id=job.pk).status == JobRun.Status.CANCELLED
    assert Notice.objects.count() == 0
    announcement_publish(actor=centre, announcement=item)
    job.refresh_from_db()
    assert job.status == JobRun.Status.QUEUED
    assert announcement_deliver(job_id=job.pk).done == 3
    assert JobRun.objects.filter(announcement=item).count() == 1


def test_the_audience_cannot_change_once_delivery_started():
    centre = CentreAdminFactory()
    item = announcement(actor=centre, audience="residents")
    announcement_withdraw(actor=centre, announcement=item, reason="改为公开")
    with pytest.raises(Conflict) as caught:
        announcement_update(
            actor=centre,
            announcement=item,
            title=item.title,
            body=item.body,
            kind=item.kind,
            audience="public",
        )
    assert caught.value.field == "audience"


def test_a_scheduled_delivery_does_not_run_early():
    centre = CentreAdminFactory()
    ResidentFactory()
    draft = announcement_create(
        actor=centre,
        title="定时送达",
        body="正文",
        audience="residents",
        published_at=NOW + dt.timedelta(hours=2),
    )
    announcement_publish(actor=centre, announcement=draft)
    job = JobRun.objects.get(announcement=draft)
    assert job.not_before == NOW + dt.timedelta(hours=2)
    assert announcement_deliver(job_id=job.pk).status == JobRun.Status.QUEUED
    assert Notice.objects.count() == 0
    with time_machine.travel(NOW + dt.timedelta(hours=2, minutes=1), tick=False):
        assert announcement_deliver(job_id=job.pk).status == JobRun.Status.DONE
    assert Notice.objects.count() == 1
