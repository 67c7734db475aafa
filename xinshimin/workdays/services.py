"""Loading the official calendar: from the ``chinesecalendar`` package or from a year file.

Every load replaces one year's exceptions atomically, is audited as ``workdays.load_year`` and clears
the working-day cache (here at once, in other processes after commit). ``actor=None`` means the system
(migrations, the ``calendar_load`` command run by an operator without ``--user``).

The year file an administrator writes when the State Council publishes a new year (each autumn)::

    {"year": 2027,
     "source": "国务院办公厅关于2027年部分节假日安排的通知",
     "holidays": [{"date": "2027-01-01", "name": "元旦"}, ...],
     "adjusted_workdays": [{"date": "2027-02-07", "name": "春节调休"}, ...],
     "note": "optional"}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import can_load_calendar, require
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import ValidationFailed

from .calendar import calendar_cache_clear
from .models import CalendarDay, CalendarYear

MAX_FILE_BYTES = 1_000_000
FILE_KEYS = frozenset({"year", "source", "holidays", "adjusted_workdays", "note"})
ENTRY_KEYS = frozenset({"date", "name"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_SOURCE_MAX = CalendarYear._meta.get_field("source").max_length or 255
_NAME_MAX = CalendarDay._meta.get_field("name").max_length or 64


@dataclass(frozen=True)
class _Entry:
    date: date
    kind: str
    name: str
    label: str  # how a message names this entry for the person who wrote it


def _refuse(errors: list[str]) -> ValidationFailed:
    shown = errors[:10]
    message = _("日历数据有 %(count)s 处错误，未载入任何内容：") % {"count": len(errors)}
    message += "；".join(f"({i}) {e.rstrip('。')}" for i, e in enumerate(shown, start=1)) + "。"
    if len(errors) > len(shown):
        message += _("另有 %(more)s 处错误未列出。") % {"more": len(errors) - len(shown)}
    return ValidationFailed(message, code="calendar_invalid", errors="\n".join(errors))


def _check_entries(year: int, entries: list[_Entry]) -> list[str]:
    """Every problem with one year's exceptions, each naming the entry."""
    errors: list[str] = []
    kinds = {k.value for k in CalendarDay.Kind}
    seen: dict[date, _Entry] = {}
    for entry in entries:
        if entry.kind not in kinds:
            errors.append(_("%(entry)s的类型 “%(kind)s” 无效。") % {"entry": entry.label, "kind": entry.kind})
            continue
        if entry.date.year != year:
            errors.append(
                _("%(entry)s的日期 %(date)s 不在 %(year)s 年内。")
                % {"entry": entry.label, "date": entry.date.isoformat(), "year": year}
            )
        if not entry.name.strip():
            errors.append(_("%(entry)s缺少名称（例如 国庆节、春节调休）。") % {"entry": entry.label})
        elif len(entry.name) > _NAME_MAX:
            errors.append(_("%(entry)s的名称超过 %(max)s 个字。") % {"entry": entry.label, "max": _NAME_MAX})
        if entry.kind == CalendarDay.Kind.ADJUSTED_WORKDAY and entry.date.weekday() < 5:
            errors.append(
                _("%(entry)s的日期 %(date)s 是%(weekday)s，调休上班日必须是星期六或星期日。")
                % {
                    "entry": entry.label,
                    "date": entry.date.isoformat(),
                    "weekday": _WEEKDAYS[entry.date.weekday()],
                }
            )
        earlier = seen.get(entry.date)
        if earlier is None:
            seen[entry.date] = entry
        elif earlier.kind == entry.kind:
            errors.append(
                _("%(entry)s与%(earlier)s的日期 %(date)s 重复。")
                % {"entry": entry.label, "earlier": earlier.label, "date": entry.date.isoformat()}
            )
        else:
            errors.append(
                _("%(date)s 同时出现在%(earlier)s和%(entry)s中，一天不能既是法定节假日又是调休上班日。")
                % {"entry": entry.label, "earlier": earlier.label, "date": entry.date.isoformat()}
            )
    if not any(e.kind == CalendarDay.Kind.HOLIDAY for e in entries):
        errors.append(_("%(year)s 年没有任何法定节假日，请检查数据是否完整。") % {"year": year})
    return errors


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise ValidationFailed(
            _("年度 “%(year)s” 无效，请填写四位数的年份，例如 2027。") % {"year": year}, field="year"
        )
    return int(year)


def _check_source(source: Any) -> str:
    if not isinstance(source, str) or not source.strip():
        raise ValidationFailed(
            _("请填写数据来源（例如 国务院办公厅关于2027年部分节假日安排的通知）。"), field="source"
        )
    return source.strip()[:_SOURCE_MAX]


def _entry_counts(days: Iterable[tuple[date, str, str]]) -> dict[str, int]:
    counts = {"holidays": 0, "adjusted_workdays": 0}
    for _day, kind, _name in days:
        counts["holidays" if kind == CalendarDay.Kind.HOLIDAY else "adjusted_workdays"] += 1
    return counts


def _load_entries(*, actor: Any, year: int, entries: list[_Entry], source: str, note: str) -> CalendarYear:
    require(actor is None or can_load_calendar(actor), _("只有服务中心管理员可以载入法定节假日日历。"))
    year = _check_year(year)
    source = _check_source(source)
    errors = _check_entries(year, entries)
    if errors:
        raise _refuse(errors)
    new_days = {(e.date, str(e.kind), e.name.strip()) for e in entries}
    is_user = actor is not None and getattr(actor, "is_authenticated", False)

    with transaction.atomic():
        row, created = CalendarYear.objects.select_for_update().get_or_create(
            year=year, defaults={"source": source, "loaded_at": timezone.now()}
        )
        old_days = set(row.days.values_list("date", "kind", "name")) if not created else set()
        before = None if created else {"source": row.source, **_entry_counts(old_days)}
        row.days.all().delete()
        row.source = source
        row.note = note
        row.loaded_at = timezone.now()
        row.loaded_by = actor if is_user else None
        row.save()
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=row, date=d, kind=k, name=n) for d, k, n in sorted(new_days)]
        )
        after = {
            "source": source,
            **_entry_counts(new_days),
            "added": [f"{d.isoformat()} {k} {n}" for d, k, n in sorted(new_days - old_days)],
            "removed": [f"{d.isoformat()} {k} {n}" for d, k, n in sorted(old_days - new_days)],
        }
        audit_record(actor=actor, action="workdays.load_year", obj=row, before=before, after=after, note=note)
        calendar_cache_clear()
        transaction.on_commit(lambda: calendar_cache_clear(broadcast=True))
    return row


def calendar_load_year(
    *,
    actor: Any,
    year: int,
    days: Iterable[tuple[date, str, str]],
    source: str,
    note: str = "",
) -> CalendarYear:
    """Replace the exceptions of ``year`` with ``days`` = [(date, kind, name), …], atomically.

    ``kind`` is ``CalendarDay.Kind.HOLIDAY`` or ``CalendarDay.Kind.ADJUSTED_WORKDAY``. Raises
    ``PermissionDenied`` unless the actor may load calendars (or is the system, ``None``) and
    ``ValidationFailed`` (listing every bad entry) if the data do not make a coherent year.
    """
    entries = []
    for day, kind, name in days:
        if not isinstance(day, date) or hasattr(day, "hour"):
            raise ValidationFailed(_("“%(day)s” 不是日期。") % {"day": day})
        if not isinstance(name, str):
            raise ValidationFailed(_("%(date)s 的名称必须是文字。") % {"date": day.isoformat()})
        label = f"{day.isoformat()}（{name}）" if name.strip() else day.isoformat()
        entries.append(_Entry(day, str(kind), name, label))
    return _load_entries(actor=actor, year=year, entries=entries, source=source, note=note)


def package_holiday_name(english: str) -> str:
    """The Chinese name of a ``chinese_calendar`` holiday ("National Day" → "国庆节")."""
    from chinese_calendar.constants import Holiday

    try:
        return str(Holiday(english).chinese)
    except ValueError:
        return english


def package_source() -> str:
    return f"chinese-calendar {package_version('chinesecalendar')}"


def package_days(year: int) -> list[tuple[date, str, str]]:
    """The exceptions ``chinesecalendar`` knows for ``year`` (empty if it does not cover the year)."""
    import chinese_calendar
    from chinese_calendar.constants import holidays, workdays

    days: list[tuple[date, str, str]] = []
    for day in sorted(d for d in holidays if d.year == year):
        _is_holiday, english = chinese_calendar.get_holiday_detail(day)
        days.append((day, CalendarDay.Kind.HOLIDAY, package_holiday_name(english or "")))
    for day in sorted(d for d in workdays if d.year == year):
        _is_holiday, english = chinese_calendar.get_holiday_detail(day)
        days.append((day, CalendarDay.Kind.ADJUSTED_WORKDAY, f"{package_holiday_name(english or '')}调休"))
    return days


def calendar_load_from_package(*, actor: Any, year: int) -> CalendarYear:
    """Load ``year`` from the installed ``chinesecalendar`` package (2004–2026 in 1.11.0)."""
    year = _check_year(year)
    days = package_days(year)
    if not days:
        raise ValidationFailed(
            _(
                "%(source)s 不包含 %(year)s 年的节假日安排。请按国务院办公厅的通知编写年度日历文件，"
                "再用 “xinshimin calendar load --year %(year)s --file 文件.json” 或管理后台上传载入。"
            )
            % {"source": package_source(), "year": year},
            field="year",
        )
    return calendar_load_year(actor=actor, year=year, days=days, source=package_source())


def _parse_entries(value: Any, key: str, kind: str, errors: list[str]) -> list[_Entry]:
    if not isinstance(value, list):
        errors.append(
            _('字段 %(key)s 必须是列表，例如 [{"date": "2027-01-01", "name": "元旦"}]。') % {"key": key}
        )
        return []
    entries = []
    for index, item in enumerate(value, start=1):
        where = _("%(key)s 第 %(index)s 条") % {"key": key, "index": index}
        if not isinstance(item, dict):
            errors.append(_("%(where)s必须是包含 date 和 name 的对象。") % {"where": where})
            continue
        unknown = sorted(set(item) - ENTRY_KEYS)
        if unknown:
            errors.append(
                _("%(where)s有无法识别的字段 %(keys)s；每条只能有 date 和 name。")
                % {"where": where, "keys": "、".join(unknown)}
            )
        raw_date, name = item.get("date"), item.get("name", "")
        if not isinstance(name, str):
            errors.append(_("%(where)s的 name 必须是文字。") % {"where": where})
            continue
        if raw_date is None:
            errors.append(_("%(where)s缺少 date（日期）。") % {"where": where})
            continue
        if not isinstance(raw_date, str) or not _ISO_DATE.match(raw_date):
            errors.append(
                _("%(where)s的日期 “%(date)s” 格式不对，请写成 YYYY-MM-DD，例如 2027-10-01。")
                % {"where": where, "date": raw_date}
            )
            continue
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(_("%(where)s的日期 %(date)s 不存在。") % {"where": where, "date": raw_date})
            continue
        label = f"{where}（{raw_date} {name}）" if name.strip() else f"{where}（{raw_date}）"
        entries.append(_Entry(day, kind, name, label))
    return entries


def calendar_parse_year_file(content: str | bytes, *, origin: str = "") -> dict[str, Any]:
    """Parse and check a year file: {"year", "source", "note", "entries"}, or raise ValidationFailed."""
    if isinstance(content, bytes):
        if len(content) > MAX_FILE_BYTES:
            raise ValidationFailed(_("日历文件过大（超过 1 MB），请检查是否选错了文件。"))
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(_("日历文件不是 UTF-8 编码的文本，请用 UTF-8 保存后重试。")) from exc
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            _("日历文件 %(origin)s 不是有效的 JSON（第 %(line)s 行第 %(col)s 列：%(msg)s），请修正后重试。")
            % {"origin": origin, "line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_("日历文件的最外层必须是一个对象，包含 year、source、holidays 等字段。"))
    errors: list[str] = []
    unknown = sorted(set(data) - FILE_KEYS)
    if unknown:
        errors.append(
            _(
                "文件中有无法识别的字段 %(keys)s；"
                "允许的字段为 year、source、holidays、adjusted_workdays、note。"
            )
            % {"keys": "、".join(unknown)}
        )
    missing = [key for key in ("year", "source", "holidays") if key not in data]
    for key in missing:
        errors.append(_("文件缺少必填字段 %(key)s。") % {"key": key})
    if missing:
        raise _refuse(errors)
    year = _check_year(data["year"])
    source = _check_source(data["source"])
    note = data.get("note", "")
    if not isinstance(note, str):
        errors.append(_("字段 note 必须是文字。"))
    entries = _parse_entries(data["holidays"], "holidays", CalendarDay.Kind.HOLIDAY, errors)
    entries += _parse_entries(
        data.get("adjusted_workdays", []), "adjusted_workdays", CalendarDay.Kind.ADJUSTED_WORKDAY, errors
    )
    errors += _check_entries(year, entries)
    if errors:
        raise _refuse(errors)
    return {"year": year, "source": source, "note": note, "entries": entries}


def calendar_load_from_json(*, actor: Any, content: str | bytes, origin: str = "") -> CalendarYear:
    """Load a year from the text of a year file (an upload); ``origin`` names it in ``source``."""
    require(actor is None or can_load_calendar(actor), _("只有服务中心管理员可以载入法定节假日日历。"))
    parsed = calendar_parse_year_file(content, origin=origin)
    source = f"file: {origin}; {parsed['source']}" if origin else f"file: {parsed['source']}"
    return _load_entries(
        actor=actor, year=parsed["year"], entries=parsed["entries"], source=source, note=parsed["note"]
    )


def calendar_load_from_file(*, actor: Any, path: str | Path) -> CalendarYear:
    """Load a year from a year file on disk (see the module docstring for the format)."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            _("无法读取日历文件 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}
        ) from exc
    return calendar_load_from_json(actor=actor, content=content, origin=path.name)
