"""The main journeys, in a real browser on a phone-sized screen, with a screenshot of each step.

A resident logs in, checks their points, files a claim with a photo, applies for a school place and
redeems a ticket; a reviewer approves a claim (password + two-factor code); the centre publishes a notice
that reaches the home page and residents' inboxes; a visitor reads the year's timeline.

The server runs in this process (pytest-django's ``live_server``) with the clock moved to 10 March 2025,
09:30 in Rui'an: inside the spring review period, while the 2025 school scene takes applications (the
working-day calendar of 2025 is loaded by a migration).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from xinshimin.accounts.tests.factories import TEST_PASSWORD

from .conftest import shot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def _url_or_xfail(name: str, *args: Any, why: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.xfail(why)


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), "#c8102e").save(out, "JPEG")
    return out.getvalue()


def log_in(page: Any, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(reverse("web:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def log_in_staff(page: Any, user: Any) -> None:
    """Password, then the code the staff member's authenticator app shows (xinshimin.security)."""
    from xinshimin.security.testing import current_code, otp_device

    device = otp_device(user)
    log_in(page, user.get_username())
    if "/security/otp/" in page.url:
        page.fill("#id_code", current_code(device))
        page.click("form.card button[type=submit]")
        page.wait_for_load_state()
    assert "/security/otp/" not in page.url and "/login/" not in page.url, page.url


def _title_text(page: Any) -> str:
    return page.inner_text("main h1")


# --- resident ------------------------------------------------------------------------------------------------------


def test_resident_logs_in_and_checks_their_points(phone: Any, screenshots: Path) -> None:
    from xinshimin.residents.tests.factories import ResidentFactory
    from xinshimin.scoring.services import snapshot_resident

    resident = ResidentFactory(with_user=True)
    score = snapshot_resident(resident=resident, as_of=NOW.date())
    page = phone()
    page.goto("/")
    shot(page, screenshots, "resident-01-home")
    log_in(page, resident.user.get_username())
    assert page.url.endswith(reverse("web:workbench")), page.url
    assert "我的工作台" in _title_text(page)
    shot(page, screenshots, "resident-02-workbench")
    points = _url_or_xfail(
        "web:scoring_points", why="the resident's points page (web:scoring_points) is not built yet"
    )
    page.goto(points)
    body = page.inner_text("main")
    assert str(score.total).rstrip("0").rstrip(".") in body
    shot(page, screenshots, "resident-03-points")


def test_resident_files_a_claim_with_a_photo(phone: Any, screenshots: Path) -> None:
    from xinshimin.claims.models import Claim
    from xinshimin.residents.tests.factories import ResidentFactory

    resident = ResidentFactory(with_user=True)
    page = phone()
    log_in(page, resident.user.get_username())
    page.goto(reverse("web:claims_new"))
    assert "可提出异议" in page.inner_text("main")
    shot(page, screenshots, "claim-01-pick-item")
    page.click("a[href$='/claims/new/local.volunteer/claim/']")
    page.fill("input[name=row-0-date]", "2024-05-01")
    page.fill("input[name=row-0-hours]", "25")
    page.fill("#id_statement", "志愿汇记录 25 小时")
    page.set_input_files(
        "#id_evidence", files=[{"name": "志愿证明.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    shot(page, screenshots, "claim-02-form")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/claims/\d+/$"))
    claim = Claim.objects.get(resident=resident)
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.evidence.count() == 1
    assert claim.reference in page.inner_text("main")
    shot(page, screenshots, "claim-03-submitted")


def test_resident_applies_for_a_school_place(phone: Any, screenshots: Path) -> None:
    from xinshimin.scenes.models import Application
    from xinshimin.scenes.tests.helpers import child_of, parent, school_scene

    with time_machine.travel(dt.datetime(2025, 2, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        scene = school_scene()
    resident = parent()
    child = child_of(resident, dt.date(2019, 5, 1))
    page = phone()
    log_in(page, resident.user.get_username())
    page.goto(reverse("web:scenes_list"))
    assert scene.name in page.inner_text("main")
    shot(page, screenshots, "school-01-scenes")
    page.goto(reverse("web:scene_apply", args=[scene.pk]))
    page.select_option("#id_child", str(child.pk))
    page.select_option("#id_stage", "grade1")
    shot(page, screenshots, "school-02-form")
    page.click("form.card[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r"/scenes/applications/\d+/$"))
    application = Application.objects.get(resident=resident)
    assert application.number in page.inner_text("main")
    assert application.scene == scene and application.stage == "grade1"
    shot(page, screenshots, "school-03-submitted")


def test_resident_redeems_a_ticket(phone: Any, screenshots: Path) -> None:
    from xinshimin.welfare.models import Certificate
    from xinshimin.welfare.tests.helpers import eligible_resident, make_offer

    offer = make_offer(title="寨寮溪风景区门票", stock=5, opens_at=NOW - dt.timedelta(hours=1))
    resident = eligible_resident(points=60)
    page = phone()
    log_in(page, resident.user.get_username())
    page.goto(reverse("web:welfare_offer_list"))
    page.click(f"a[href='{reverse('web:welfare_offer_detail', args=[offer.pk])}']")
    shot(page, screenshots, "redeem-01-offer")
    page.click("#redeem-button")
    page.wait_for_url(re.compile(r"/welfare/certificates/[^/]+/$"))
    assert "兑换成功证明" in _title_text(page)
    certificate = Certificate.objects.get(redemption__resident=resident)
    assert certificate.display_code in page.inner_text("main")
    offer.refresh_from_db()
    assert offer.remaining == 4
    shot(page, screenshots, "redeem-02-certificate")


# --- reviewer ------------------------------------------------------------------------------------------------------


def test_reviewer_approves_a_claim(phone: Any, screenshots: Path) -> None:
    from xinshimin.claims.models import Claim
    from xinshimin.claims.tests.factories import file_claim
    from xinshimin.residents.tests.factories import DepartmentFactory, ResidentFactory, ReviewerFactory

    resident = ResidentFactory(with_user=True)
    claim = file_claim(resident)  # volunteer hours, reviewed by 团市委 (department "volunteer")
    reviewer = ReviewerFactory(department=DepartmentFactory(code="volunteer"))
    page = phone()
    log_in_staff(page, reviewer)
    page.goto(reverse("web:review_queue"))
    assert claim.reference in page.inner_text("main")
    shot(page, screenshots, "review-01-queue")
    page.goto(reverse("web:review_detail", args=[claim.pk]))
    shot(page, screenshots, "review-02-detail")
    page.click(f"form[action='{reverse('web:review_approve', args=[claim.pk])}'] button[type=submit]")
    page.wait_for_load_state()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.decided_by == reviewer
    shot(page, screenshots, "review-03-approved")


# --- the centre ----------------------------------------------------------------------------------------------------


def test_centre_publishes_a_notice_that_reaches_home_and_inboxes(phone: Any, screenshots: Path) -> None:
    from xinshimin.accounts.tests.factories import CentreAdminFactory
    from xinshimin.centre.models import Announcement, JobRun
    from xinshimin.centre.services import announcement_deliver
    from xinshimin.residents.tests.factories import ResidentFactory

    resident = ResidentFactory(with_user=True)
    centre = CentreAdminFactory()
    page = phone()
    log_in_staff(page, centre)
    page.goto(reverse("web:centre_announcement_create"))
    page.fill("#id_title", "2025年积分入学申请开始")
    page.select_option("#id_kind", "scene_opening")
    page.check("input[name=audience][value=public]")
    page.fill("#id_body", "3月1日至4月30日可在线申请积分入学，也可到现居住地乡镇街道新居民服务窗口代办。")
    page.fill("#id_link", "/scenes/")
    shot(page, screenshots, "notice-01-form")
    page.click("button[name=then][value=publish]")
    page.wait_for_url(re.compile(r"/announcements/\d+/$"))
    assert "已发布" in page.inner_text("main")
    shot(page, screenshots, "notice-02-published")

    visitor = phone()
    visitor.goto("/")
    assert "2025年积分入学申请开始" in visitor.inner_text("main")
    assert "2025年3月10日" in visitor.inner_text("main")
    shot(visitor, screenshots, "notice-03-home")

    # A notice for residents goes to every resident's inbox by a background job with a progress page.
    page.goto(reverse("web:centre_announcement_create"))
    page.fill("#id_title", "集中审核期提醒")
    page.select_option("#id_kind", "review_period")
    page.check("input[name=audience][value=residents]")
    page.fill("#id_body", "3月1日至4月30日为集中审核期，对积分有异议的请在此期间提出。")
    page.click("button[name=then][value=publish]")
    page.wait_for_url(re.compile(r"/announcements/\d+/$"))
    announcement = Announcement.objects.get(title="集中审核期提醒")
    job = JobRun.objects.get(announcement=announcement)
    page.click(f"a[href='{reverse('web:centre_job_detail', args=['delivery', job.pk])}']")
    page.wait_for_url(re.compile(r"/jobs/delivery/\d+/$"))
    assert page.locator("progress.job").count() == 1
    assert "排队中" in page.inner_text("[data-job-state]")
    shot(page, screenshots, "notice-04-job-queued")
    announcement_deliver(job_id=job.pk)  # what the worker does
    page.wait_for_selector("text=结果", timeout=20_000)  # the page polls, then reloads with the result
    assert "已完成" in page.inner_text("main")
    assert page.get_attribute("progress.job", "value") == "100"
    shot(page, screenshots, "notice-05-job-done")

    inbox = phone()
    log_in(inbox, resident.user.get_username())
    inbox.goto(reverse("web:claims_notices"))
    assert "集中审核期提醒" in inbox.inner_text("main")
    shot(inbox, screenshots, "notice-06-resident-inbox")


def test_centre_reads_the_dashboards_and_downloads_an_export(phone: Any, screenshots: Path) -> None:
    from openpyxl import load_workbook

    from xinshimin.accounts.tests.factories import CentreAdminFactory
    from xinshimin.residents.tests.factories import ResidentFactory
    from xinshimin.welfare.tests.helpers import give_points

    for total in (35, 80, 120):
        give_points(ResidentFactory(), total, as_of=dt.date(2025, 3, 1))
    page = phone()
    log_in_staff(page, CentreAdminFactory())
    page.goto(reverse("web:centre_dashboard"))
    assert page.locator("section.card svg.chart").count() >= 6
    assert page.locator("section.card table").count() >= 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside their box
    shot(page, screenshots, "dashboard-01-all")
    page.select_option("#section", "scores")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"section=scores"))
    assert "积分分布" in page.inner_text("main")
    shot(page, screenshots, "dashboard-02-scores")
    with page.expect_download() as download:
        page.click("#scores a.btn")
    assert download.value.suggested_filename == "dashboard-scores-20250101-20251231.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert ("20–40", 1) in [row[:2] for row in rows]


# --- the public ----------------------------------------------------------------------------------------------------


def test_visitor_reads_the_years_timeline_and_switches_to_english(phone: Any, screenshots: Path) -> None:
    from xinshimin.scenes.tests.helpers import school_scene

    with time_machine.travel(dt.datetime(2025, 2, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        school_scene()
    page = phone()
    page.goto(reverse("web:centre_timeline"))
    main = page.inner_text("main")
    assert "2025 年度时间表" in main
    assert "2025年3月1日至4月30日" in main  # the school scene's application window
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    shot(page, screenshots, "timeline-01-zh")
    page.select_option("select[name=language]", "en")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=5_000)
    assert "1 March 2025" in page.inner_text("main")
    shot(page, screenshots, "timeline-02-en")
