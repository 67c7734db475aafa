"""Loading a year: from a year file, from the package, from (date, kind, name) tuples."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import PermissionDenied, ValidationFailed
from xinshimin.workdays.calendar import NoCalendarData, add_working_days, is_working_day
from xinshimin.workdays.models import CalendarDay, CalendarYear
from xinshimin.workdays.services import (
    calendar_load_from_file,
    calendar_load_from_json,
    calendar_load_from_package,
    calendar_load_year,
)

from .yearfiles import NOTICE, year_file_2027

pytestmark = pytest.mark.django_db

D = date


def write(tmp_path: Path, data: Any, name: str = "2027.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


class TestLoadFromFile:
    def test_loads_the_year_and_deadlines_into_it_work(self, tmp_path: Path, centre_admin: Any) -> None:
        with pytest.raises(NoCalendarData):
            add_working_days(D(2026, 12, 28), 5)

        row = calendar_load_from_file(actor=centre_admin, path=write(tmp_path, year_file_2027()))

        assert row.year == 2027
        assert row.source == f"file: 2027.json; {NOTICE}"
        assert row.loaded_by == centre_admin
        assert row.days.filter(kind=CalendarDay.Kind.HOLIDAY).count() == 19
        assert row.days.filter(kind=CalendarDay.Kind.ADJUSTED_WORKDAY).count() == 4
        # 12-29, 12-30, 12-31, (2027-01-01..03 off), Mon 01-04, Tue 01-05
        assert add_working_days(D(2026, 12, 28), 5) == D(2027, 1, 5)
        assert is_working_day(D(2027, 2, 14)) is True  # Sunday worked
        assert is_working_day(D(2027, 10, 8)) is False  # Friday off
        assert add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 9)

    def test_is_audited_with_what_changed(self, tmp_path: Path, centre_admin: Any) -> None:
        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, year_file_2027()))
        event = AuditEvent.objects.get(action="workdays.load_year")
        assert event.actor_id == centre_admin.pk
        assert event.object_type == "workdays.calendaryear"
        assert "before" not in event.summary
        after = event.summary["after"]
        assert after["holidays"] == 19
        assert after["adjusted_workdays"] == 4
        assert "2027-10-09 adjusted_workday 国庆节调休" in after["added"]
        assert after["removed"] == []

    def test_reloading_replaces_the_year_and_the_cache_at_once(
        self, tmp_path: Path, centre_admin: Any
    ) -> None:
        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, year_file_2027()))
        assert is_working_day(D(2027, 10, 8)) is False
        corrected = year_file_2027()
        corrected["holidays"] = [h for h in corrected["holidays"] if h["date"] != "2027-10-08"]
        corrected["adjusted_workdays"] = corrected["adjusted_workdays"][:3]

        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, corrected))

        assert is_working_day(D(2027, 10, 8)) is True  # no stale cache
        assert is_working_day(D(2027, 10, 9)) is False  # an ordinary Saturday again
        assert CalendarYear.objects.filter(year=2027).count() == 1
        assert CalendarDay.objects.filter(year__year=2027).count() == 21
        last = AuditEvent.objects.filter(action="workdays.load_year").order_by("-seq").first()
        assert last is not None
        assert last.summary["before"] == {
            "source": f"file: 2027.json; {NOTICE}",
            "holidays": 19,
            "adjusted_workdays": 4,
        }
        assert last.summary["after"]["added"] == []
        assert last.summary["after"]["removed"] == [
            "2027-10-08 holiday 国庆节",
            "2027-10-09 adjusted_workday 国庆节调休",
        ]

    def test_a_clerk_may_not_load_a_calendar(self, tmp_path: Path, clerk: Any) -> None:
        with pytest.raises(PermissionDenied):
            calendar_load_from_file(actor=clerk, path=write(tmp_path, year_file_2027()))
        assert not CalendarYear.objects.filter(year=2027).exists()
        assert not AuditEvent.objects.filter(action="workdays.load_year").exists()

    def test_the_system_may_load_a_calendar(self, tmp_path: Path) -> None:
        row = calendar_load_from_file(actor=None, path=write(tmp_path, year_file_2027()))
        assert row.loaded_by is None
        assert AuditEvent.objects.get(action="workdays.load_year").actor_label == "system"

    def test_a_missing_file_is_named(self, tmp_path: Path, centre_admin: Any) -> None:
        with pytest.raises(ValidationFailed, match=r"无法读取日历文件 .*nope\.json"):
            calendar_load_from_file(actor=centre_admin, path=tmp_path / "nope.json")

    def test_upload_bytes_with_bom_are_accepted(self, centre_admin: Any) -> None:
        content = "\ufeff".encode() + json.dumps(year_file_2027(), ensure_ascii=False).encode()
        row = calendar_load_from_json(actor=centre_admin, content=content, origin="upload.json")
        assert row.source.startswith("file: upload.json; ")


def _holidays_with(*extra: dict[str, str]) -> list[dict[str, str]]:
    return [*year_file_2027()["holidays"], *extra]


BAD_FILES = [
    pytest.param(
        '{"year": 2027, "source": "x", "holidays": [}',
        "日历文件 2027.json 不是有效的 JSON（第 1 行第 44 列",
        id="not-json",
    ),
    pytest.param([1, 2], "最外层必须是一个对象", id="not-an-object"),
    pytest.param(year_file_2027(holiday=[]), "无法识别的字段 holiday", id="unknown-key"),
    pytest.param(
        {k: v for k, v in year_file_2027().items() if k != "source"},
        "缺少必填字段 source",
        id="missing-source",
    ),
    pytest.param(year_file_2027(year="2027"), "年度 “2027” 无效", id="year-as-text"),
    pytest.param(year_file_2027(source="  "), "请填写数据来源", id="blank-source"),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2026-12-31", "name": "元旦"})),
        "holidays 第 20 条（2026-12-31 元旦）的日期 2026-12-31 不在 2027 年内",
        id="date-outside-year",
    ),
    pytest.param(
        year_file_2027(adjusted_workdays=[{"date": "2027-02-17", "name": "春节调休"}]),
        "adjusted_workdays 第 1 条（2027-02-17 春节调休）的日期 2027-02-17 是星期三，"
        "调休上班日必须是星期六或星期日",
        id="adjusted-on-weekday",
    ),
    pytest.param(
        year_file_2027(adjusted_workdays=[{"date": "2027-02-06", "name": "春节调休"}]),
        "2027-02-06 同时出现在holidays 第 4 条（2027-02-06 春节）"
        "和adjusted_workdays 第 1 条（2027-02-06 春节调休）中",
        id="both-holiday-and-workday",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2027-10-01", "name": "国庆节"})),
        "holidays 第 20 条（2027-10-01 国庆节）与holidays 第 12 条（2027-10-01 国庆节）"
        "的日期 2027-10-01 重复",
        id="duplicate",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2027/10/01", "name": "国庆节"})),
        "holidays 第 20 条的日期 “2027/10/01” 格式不对，请写成 YYYY-MM-DD",
        id="bad-date-format",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2027-02-30", "name": "春节"})),
        "holidays 第 20 条的日期 2027-02-30 不存在",
        id="impossible-date",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2027-05-01", "name": "劳动节", "kind": "holiday"})),
        "holidays 第 20 条有无法识别的字段 kind；每条只能有 date 和 name",
        id="unknown-entry-key",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"date": "2027-05-01"})),
        "holidays 第 20 条（2027-05-01）缺少名称",
        id="missing-name",
    ),
    pytest.param(
        year_file_2027(holidays=_holidays_with({"name": "劳动节"})),
        "holidays 第 20 条缺少 date",
        id="missing-date",
    ),
    pytest.param(year_file_2027(holidays=[]), "2027 年没有任何法定节假日", id="no-holidays"),
    pytest.param(
        year_file_2027(holidays={"2027-01-01": "元旦"}), "字段 holidays 必须是列表", id="not-a-list"
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_a_bad_file_is_refused_naming_the_entry(
    tmp_path: Path, centre_admin: Any, content: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, content))
    assert message in info.value.message
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEvent.objects.filter(action="workdays.load_year").exists()


def test_a_bad_file_lists_every_problem(tmp_path: Path, centre_admin: Any) -> None:
    data = year_file_2027(
        adjusted_workdays=[{"date": "2027-02-17", "name": "春节调休"}, {"date": "2028-01-01", "name": "x"}],
        comment="drafted by hand",
    )
    with pytest.raises(ValidationFailed) as info:
        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, data))
    error = info.value
    assert error.message.startswith(
        "日历数据有 3 处错误，未载入任何内容：(1) 文件中有无法识别的字段 comment；"
    )
    assert "2028-01-01 不在 2027 年内" in error.message
    assert "2028-01-01 是星期六" not in error.message  # a Saturday is a valid adjusted workday
    assert len(str(error.details["errors"]).splitlines()) == 3


def test_a_failed_reload_keeps_the_year_as_it_was(tmp_path: Path, centre_admin: Any) -> None:
    calendar_load_from_file(actor=centre_admin, path=write(tmp_path, year_file_2027()))
    with pytest.raises(ValidationFailed):
        calendar_load_from_file(actor=centre_admin, path=write(tmp_path, year_file_2027(holidays=[])))
    assert CalendarDay.objects.filter(year__year=2027).count() == 23


class TestLoadYear:
    def test_loads_tuples(self, centre_admin: Any) -> None:
        row = calendar_load_year(
            actor=centre_admin,
            year=2027,
            days=[
                (D(2027, 1, 1), "holiday", "元旦"),
                (D(2027, 2, 14), CalendarDay.Kind.ADJUSTED_WORKDAY, "春节调休"),
            ],
            source="test",
        )
        assert row.days.count() == 2
        assert is_working_day(D(2027, 1, 1)) is False
        assert is_working_day(D(2027, 2, 14)) is True

    def test_refuses_bad_tuples_naming_the_date(self, centre_admin: Any) -> None:
        with pytest.raises(ValidationFailed) as info:
            calendar_load_year(
                actor=centre_admin,
                year=2027,
                days=[(D(2027, 1, 1), "holiday", "元旦"), (D(2027, 1, 4), "adjusted_workday", "调休")],
                source="test",
            )
        assert "2027-01-04（调休）的日期 2027-01-04 是星期一" in info.value.message
        with pytest.raises(ValidationFailed, match="类型 “weekend” 无效"):
            calendar_load_year(
                actor=centre_admin, year=2027, days=[(D(2027, 1, 1), "weekend", "元旦")], source="test"
            )


class TestLoadFromPackage:
    def test_reloading_a_package_year_changes_nothing_but_is_audited(self, centre_admin: Any) -> None:
        before = list(CalendarDay.objects.filter(year__year=2026).values_list("date", "kind", "name"))
        row = calendar_load_from_package(actor=centre_admin, year=2026)
        assert row.source == "chinese-calendar 1.11.0"
        assert list(row.days.values_list("date", "kind", "name")) == before
        event = AuditEvent.objects.get(action="workdays.load_year")
        assert event.summary["after"]["added"] == event.summary["after"]["removed"] == []

    def test_a_year_the_package_does_not_cover_is_refused_pointing_to_the_file(
        self, centre_admin: Any
    ) -> None:
        with pytest.raises(ValidationFailed) as info:
            calendar_load_from_package(actor=centre_admin, year=2027)
        assert "chinese-calendar 1.11.0 不包含 2027 年的节假日安排" in info.value.message
        assert "--file" in info.value.message
