"""The year's timeline is generated from review periods, scenes and welfare openings; dates the Chinese way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from xinshimin.centre.templatetags.centre_tags import cell, cn_date, cn_datetime, cn_month, cn_range
from xinshimin.centre.timeline import timeline_years, year_timeline
from xinshimin.claims.models import ReviewPeriod
from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.scenes.models import Notice, Outcome, RankingRun, Scene

from .helpers import application, at, offer, scene

pytestmark = pytest.mark.django_db


def _titles(year: int) -> list[str]:
    return [e.title for e in year_timeline(year).entries]


def test_review_periods_of_the_year_come_from_the_table():
    ReviewPeriod.objects.filter(year=2026).delete()
    ReviewPeriod.objects.create(
        year=2026, starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 4, 30), label="春季集中审核期"
    )
    entries = [e for e in year_timeline(2026).entries if e.category == "review_period"]
    assert [(e.title, e.starts_on, e.ends_on) for e in entries] == [
        ("春季集中审核期", dt.date(2026, 3, 2), dt.date(2026, 4, 30))
    ]


def test_seeded_review_periods_appear_without_anything_hard_coded():
    seeded = list(ReviewPeriod.objects.filter(year=2026).values_list("label", flat=True))
    assert seeded, "the claims migration seeds the review periods for 2025–2027"
    assert [e.title for e in year_timeline(2026).entries if e.category == "review_period"] == seeded


def test_a_scene_gives_its_windows_notice_final_list_and_results():
    housing = scene()
    Notice.objects.create(
        scene=housing,
        published_on=dt.date(2026, 12, 7),
        starts_on=dt.date(2026, 12, 7),
        ends_on=dt.date(2026, 12, 11),
        published_at=at(2026, 12, 7, 9),
    )
    RankingRun.objects.create(
        scene=housing,
        version=1,
        status=RankingRun.Status.FINAL,
        as_of=housing.as_of,
        policy=housing.policy,
        chain=[],
        seed="0" * 64,
        mode=housing.mode,
        inputs_digest="0" * 64,
        output_digest="0" * 64,
        created_at=at(2026, 12, 1),
        finalised_at=at(2026, 12, 14, 9),
    )
    app = application(housing, ResidentFactory())
    Outcome.objects.create(
        application=app,
        kind=Outcome.Kind.SUBSIDY_PAID,
        amount_yuan="3000",
        months=6,
        period_from=dt.date(2026, 7, 1),
        recorded_at=at(2026, 12, 20),
    )
    entries = {e.category: e for e in year_timeline(2026).entries if "住房" in e.title}
    application_window = entries["scene_application"]
    assert (application_window.starts_on, application_window.ends_on) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert (entries["scene_review"].starts_on, entries["scene_review"].ends_on) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 5),
    )
    assert entries["scene_notice"].ends_on == dt.date(2026, 12, 11)
    assert entries["scene_notice"].url == f"/notices/{housing.pk}/"
    assert entries["scene_final"].starts_on == dt.date(2026, 12, 14)
    assert entries["scene_result"].title == "2026年积分住房租赁补贴：补贴发放"


def test_draft_scenes_and_cancelled_offers_stay_off_the_timeline():
    scene(code="draft", name="草稿场景", status=Scene.Status.DRAFT)
    offer(title="已取消的活动", opens_at=at(2026, 5, 1), status="cancelled")
    offer(title="端午游园", opens_at=at(2026, 6, 1))
    titles = _titles(2026)
    assert not any("草稿场景" in t for t in titles)
    assert "福利兑换：已取消的活动" not in titles
    assert "福利兑换：端午游园" in titles


def test_entries_are_ordered_and_grouped_by_month():
    scene()
    offer(title="元宵灯会", opens_at=at(2026, 2, 20))
    plan = year_timeline(2026)
    starts = [e.starts_on for e in plan.entries]
    assert starts == sorted(starts)
    months = [month for month, _entries in plan.by_month()]
    assert months == sorted(set(months))
    assert 2 in months and 7 in months


def test_an_entry_crossing_new_year_belongs_to_both_years():
    offer(title="跨年活动", opens_at=at(2025, 12, 30), days=5)
    assert "福利兑换：跨年活动" in _titles(2025)
    assert "福利兑换：跨年活动" in _titles(2026)
    assert "福利兑换：跨年活动" not in _titles(2027)
    january = dict(year_timeline(2026).by_month())[1]
    assert any(e.title == "福利兑换：跨年活动" for e in january)


def test_a_window_closing_at_midnight_ends_the_day_before():
    offer(title="三天", opens_at=at(2026, 5, 1, 0, 0), days=3)
    entry = next(e for e in year_timeline(2026).entries if e.title == "福利兑换：三天")
    assert (entry.starts_on, entry.ends_on) == (dt.date(2026, 5, 1), dt.date(2026, 5, 3))


def test_entry_state_relative_to_today():
    offer(title="五月", opens_at=at(2026, 5, 1, 0, 0), days=3)
    entry = next(e for e in year_timeline(2026).entries if e.title == "福利兑换：五月")
    assert entry.state(dt.date(2026, 4, 30)) == "upcoming"
    assert entry.state(dt.date(2026, 5, 2)) == "current"
    assert entry.state(dt.date(2026, 5, 4)) == "past"


def test_timeline_years_include_neighbours_and_years_with_data():
    scene(
        code="y2030",
        name="2030年场景",
        year=2030,
        opens_at=at(2030, 7, 1),
        closes_at=at(2030, 8, 1),
        review_starts_on=dt.date(2030, 7, 1),
        review_ends_on=dt.date(2030, 9, 1),
        as_of=dt.date(2030, 7, 31),
    )
    years = timeline_years(around=2026)
    assert {2025, 2026, 2027, 2030} <= set(years)
    assert years == sorted(years)


# --- dates the Chinese way ---------------------------------------------------------------------------------------


def test_cn_date_filters_in_chinese():
    with translation.override("zh-hans"):
        assert cn_date(dt.date(2026, 3, 1)) == "2026年3月1日"
        assert cn_date(dt.datetime(2026, 2, 28, 17, 0, tzinfo=dt.UTC)) == "2026年3月1日"  # 01:00 in Rui'an
        assert cn_datetime(dt.datetime(2026, 2, 28, 17, 5, tzinfo=dt.UTC)) == "2026年3月1日 01:05"
        assert cn_month(dt.date(2026, 11, 5)) == "2026年11月"
        assert cn_range(dt.date(2026, 3, 1), dt.date(2026, 4, 30)) == "2026年3月1日至4月30日"
        assert cn_range(dt.date(2025, 12, 30), dt.date(2026, 1, 3)) == "2025年12月30日至2026年1月3日"
        assert cn_range(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == "2026年3月1日"
        assert cn_date(None) == ""


def test_cn_date_filters_in_english():
    with translation.override("en"):
        assert cn_date(dt.date(2026, 3, 1)) == "1 March 2026"
        assert cn_range(dt.date(2026, 3, 1), dt.date(2026, 4, 30)) == "1 March 2026 – 30 April 2026"
        assert cn_month(dt.date(2026, 11, 5)) == "November 2026"


def test_dashboard_cells():
    from decimal import Decimal

    with translation.override("zh-hans"):
        assert cell(Decimal("1234.50")) == "1,234.50"
        assert cell(12345) == "12,345"
        assert cell(None) == "—"
        assert cell(timezone.make_aware(dt.datetime(2026, 3, 5, 10, 0))) == "2026年3月5日 10:00"
        assert cell(Decimal("33.3")) == "33.3"
