"""The centre's pages: who may open them, what they show, and how many queries the lists take."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    ReviewerFactory,
)
from xinshimin.audit.models import AuditEvent
from xinshimin.centre.models import Announcement, JobRun
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scoring.models import RecomputeRun

from .helpers import announcement, at, offer, scene

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def centre(client):
    user = CentreAdminFactory()
    client.force_login(user)
    return user


# --- public pages ------------------------------------------------------------------------------------------------


def test_home_shows_the_latest_public_announcements(client):
    announcement(title="2026年积分入学3月1日开始申请")
    announcement(title="仅新市民可见的通知", audience="residents")
    page = client.get(reverse("web:home")).content.decode()
    assert "通知公告" in page
    assert "2026年积分入学3月1日开始申请" in page
    assert "仅新市民可见的通知" not in page
    assert "2026年3月2日" in page  # the publication date, the Chinese way


def test_home_shows_residents_announcements_once_logged_in(client):
    announcement(title="仅新市民可见的通知", audience="residents")
    resident = ResidentFactory(with_user=True)
    client.force_login(resident.user)
    assert "仅新市民可见的通知" in client.get(reverse("web:home")).content.decode()


def test_announcement_list_and_detail_are_public(client, django_assert_max_num_queries):
    items = [announcement(title=f"公告{n}", kind="scene_opening" if n % 2 else "general") for n in range(25)]
    with django_assert_max_num_queries(6):
        response = client.get(reverse("web:centre_announcement_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="muted">2026年3月2日') == 20  # one page
    filtered = client.get(reverse("web:centre_announcement_list"), {"kind": "scene_opening"}).content.decode()
    assert "公告1<" in filtered and "公告2<" not in filtered
    detail = client.get(reverse("web:centre_announcement_detail", args=[items[0].pk]))
    assert detail.status_code == 200
    assert "3月1日起可在线申请积分入学" in detail.content.decode()
    assert "撤回" not in detail.content.decode()


def test_drafts_and_withdrawn_announcements_are_not_found_by_the_public(client):
    draft = announcement(publish=False)
    assert client.get(reverse("web:centre_announcement_detail", args=[draft.pk])).status_code == 404


def test_timeline_page_shows_the_year_with_chinese_dates(client):
    scene()
    offer(title="端午游园", opens_at=at(2026, 6, 1))
    page = client.get(reverse("web:centre_timeline")).content.decode()
    assert "2026 年度时间表" in page
    assert "2026年7月1日至9月30日" in page
    assert "福利兑换：端午游园" in page
    assert "<table" in page  # the same entries as a table
    other = client.get(reverse("web:centre_timeline_year", args=[2031]))
    assert "2031 年的安排尚未发布" in other.content.decode()
    assert client.get("/timeline/1999/").status_code == 404


def test_timeline_page_in_english(client):
    scene()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:centre_timeline"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 July 2026 – 30 September 2026" in page


# --- announcements: the centre -------------------------------------------------------------------------------------


def test_centre_creates_and_publishes_from_the_form(client, centre):
    response = client.post(
        reverse("web:centre_announcement_create"),
        {
            "title": "2026年积分福利兑换开放",
            "kind": "redemption_opening",
            "audience": "public",
            "body": "3月5日10:00开放兑换，先到先得。",
            "link": "/welfare/",
            "then": "publish",
        },
    )
    item = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:centre_announcement_detail", args=[item.pk])
    assert item.status == Announcement.Status.PUBLISHED
    assert item.created_by == centre
    assert "2026年积分福利兑换开放" in client.get(reverse("web:home")).content.decode()


def test_the_form_shows_service_errors_on_the_field(client, centre):
    response = client.post(
        reverse("web:centre_announcement_create"),
        {"title": "标题", "kind": "general", "audience": "public", "body": "正文", "link": "javascript:x"},
    )
    assert response.status_code == 200
    assert "链接格式不正确" in response.content.decode()
    assert not Announcement.objects.exists()


def test_centre_withdraws_with_a_reason(client, centre):
    item = announcement(actor=centre)
    client.post(reverse("web:centre_announcement_withdraw", args=[item.pk]), {"reason": "时间调整"})
    item.refresh_from_db()
    assert item.status == Announcement.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="centre.announcement_withdraw", actor_id=centre.pk).exists()
    page = client.get(reverse("web:centre_announcement_detail", args=[item.pk])).content.decode()
    assert "已撤回" in page and "时间调整" in page


def test_manage_list_lists_every_state(client, centre, django_assert_max_num_queries):
    for n in range(10):
        announcement(actor=centre, title=f"发布{n}", audience="residents" if n % 2 else "public")
    announcement(actor=centre, title="草稿一", publish=False)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:centre_announcement_manage"))
    page = response.content.decode()
    assert "草稿一" in page and "发布9" in page
    assert page.count("送达 0/0") == 5


@pytest.mark.parametrize(
    "make_user",
    [lambda: ResidentFactory(with_user=True).user, ClerkFactory, ReviewerFactory, AuditorFactory],
)
def test_only_the_centre_opens_the_announcement_pages(client, make_user):
    client.force_login(make_user())
    item = announcement(publish=False)
    assert client.get(reverse("web:centre_announcement_manage")).status_code == 404
    assert client.get(reverse("web:centre_announcement_create")).status_code == 404
    assert client.get(reverse("web:centre_announcement_edit", args=[item.pk])).status_code == 404
    assert client.post(reverse("web:centre_announcement_publish", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.status == Announcement.Status.DRAFT


def test_workbench_cards_by_role():
    from django.template.loader import render_to_string

    centre_cards = render_to_string("web/centre/_workbench.html", {"role": "centre_admin"})
    assert centre_cards.count('<div class="card">') == 4
    for title in ("通知公告", "年度时间表", "数据看板", "后台任务"):
        assert title in centre_cards
    auditor_cards = render_to_string("web/centre/_workbench.html", {"role": "auditor"})
    assert auditor_cards.count('<div class="card">') == 1 and reverse("web:centre_dashboard") in auditor_cards
    assert "card" not in render_to_string("web/centre/_workbench.html", {"role": "resident"})


# --- dashboards ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_user", [CentreAdminFactory, AuditorFactory])
def test_dashboard_for_centre_and_auditors(client, make_user, django_assert_max_num_queries):
    client.force_login(make_user())
    for _ in range(3):
        ResidentFactory()
    offer(opens_at=at(2026, 3, 5))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("web:centre_dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg") >= 6 and page.count("<table") >= 7
    assert "2026年1月1日至12月31日" in page


def test_dashboard_query_count_does_not_grow_with_the_data(client, django_assert_max_num_queries):
    client.force_login(CentreAdminFactory())
    for n in range(30):
        ResidentFactory()
        offer(title=f"活动{n}", opens_at=at(2026, 1 + n % 12, 5))
    with django_assert_max_num_queries(25):
        assert client.get(reverse("web:centre_dashboard")).status_code == 200


@pytest.mark.parametrize(
    "make_user", [lambda: ResidentFactory(with_user=True).user, ClerkFactory, ReviewerFactory]
)
def test_dashboard_is_not_for_other_roles(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("web:centre_dashboard")).status_code == 404
    assert client.get(reverse("web:centre_dashboard_xlsx", args=["all"])).status_code == 404


def test_dashboard_bad_filter_says_how_to_fix_it(client, centre):
    response = client.get(
        reverse("web:centre_dashboard"), {"from": "2026-05-01", "to": "2026-04-01"}, follow=True
    )
    assert "结束日期早于开始日期" in response.content.decode()


def test_dashboard_one_section(client, centre):
    page = client.get(reverse("web:centre_dashboard"), {"section": "fund"}).content.decode()
    assert "爱心基金每月收支" in page and "积分分布" not in page.split("</form>")[-1]


def test_dashboard_xlsx_exports(client, centre):
    ResidentFactory()
    response = client.get(reverse("web:centre_dashboard_xlsx", args=["residents"]), {"town": "anyang"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="dashboard-residents-anyang-20260101-20261231.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["各乡镇街道新市民人数"]
    everything = client.get(reverse("web:centre_dashboard_xlsx", args=["all"]))
    assert len(load_workbook(io.BytesIO(everything.content)).sheetnames) == 7
    assert client.get("/centre/dashboard/nothing.xlsx").status_code == 404


# --- jobs ----------------------------------------------------------------------------------------------------------


def test_starting_a_recompute_queues_the_task_and_shows_its_progress(
    client, centre, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:centre_job_recompute_start"), {"as_of": "2026-03-01"})
    run = RecomputeRun.objects.get()
    assert response["Location"] == reverse("web:centre_job_detail", args=["recompute", run.pk])
    assert run.requested_by == centre and run.status == RecomputeRun.Status.QUEUED
    assert DBTaskResult.objects.filter(task_path__endswith="recompute_snapshots").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and "<progress" in page and "centre/jobs.js" in page
    status = client.get(reverse("web:centre_job_status", args=["recompute", run.pk])).json()
    assert (status["status"], status["finished"], status["percent"]) == ("queued", False, 0)


def test_a_finished_job_page_shows_the_result_without_polling(client, centre):
    from xinshimin.scoring.services import recompute_execute, recompute_start

    ResidentFactory()
    run = recompute_start(actor=centre, as_of=dt.date(2026, 3, 1))
    recompute_execute(run_id=run.pk)
    page = client.get(reverse("web:centre_job_detail", args=["recompute", run.pk])).content.decode()
    assert "已完成" in page and "结果" in page and "centre/jobs.js" not in page
    status = client.get(reverse("web:centre_job_status", args=["recompute", run.pk])).json()
    assert (status["status"], status["percent"], status["total"]) == ("done", 100, 1)


def test_jobs_list_merges_every_kind(client, centre, django_assert_max_num_queries):
    from xinshimin.scoring.services import recompute_start

    for _ in range(3):
        recompute_start(actor=centre, as_of=dt.date(2026, 3, 1))
        announcement(actor=centre, audience="residents")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("web:centre_jobs")).content.decode()
    assert page.count("积分重算：评分日期 2026-03-01") == 3
    assert page.count("通知公告送达站内消息") == 3
    only = client.get(reverse("web:centre_jobs"), {"kind": "delivery"}).content.decode()
    assert "积分重算：评分日期" not in only


def test_the_delivery_job_page_links_back_to_the_announcement(client, centre):
    item = announcement(actor=centre, audience="residents")
    job = JobRun.objects.get(announcement=item)
    page = client.get(reverse("web:centre_job_detail", args=["delivery", job.pk])).content.decode()
    assert item.title in page


def test_jobs_for_auditors_read_only_and_not_for_residents(client):
    auditor = AuditorFactory()
    client.force_login(auditor)
    page = client.get(reverse("web:centre_jobs")).content.decode()
    assert "开始重算" not in page
    assert client.post(reverse("web:centre_job_recompute_start"), {"as_of": "2026-03-01"}).status_code == 404
    client.force_login(ResidentFactory(with_user=True).user)
    assert client.get(reverse("web:centre_jobs")).status_code == 404
    assert client.get(reverse("web:centre_job_detail", args=["recompute", 1])).status_code == 404
    assert client.get(reverse("web:centre_job_detail", args=["nothing", 1])).status_code == 404
