"""XLSX exports of the dashboards (openpyxl): one sheet per table, numbers as numbers, dates as dates.

Each sheet starts with the section's title, the filter it was made with and when, then the header row and
the rows: the same figures as the page's table.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .dashboard import DashboardFilter, Section

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = re.compile(r"[\[\]\*\?/\\:]")


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None)  # Excel has no time zones: local (Asia/Shanghai) wall time
    if isinstance(value, bool | int | Decimal | dt.date):
        return value
    return str(value)


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title)[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}{n}", n + 1
    used.add(name)
    return name


def sections_xlsx(sections: Sequence[Section], flt: DashboardFilter) -> bytes:
    """A workbook with every table of ``sections``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    made = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for section in sections:
        for table in section.tables:
            title = table.title if len(section.tables) == 1 else f"{section.title}·{table.title}"
            sheet = workbook.create_sheet(_sheet_title(title, used))
            sheet.append([title])
            sheet["A1"].font = Font(bold=True, size=13)
            sheet.append([_("筛选：%(filter)s") % {"filter": flt.describe()}])
            sheet.append([_("导出时间：%(at)s（北京时间）") % {"at": made}])
            if section.note:
                sheet.append([section.note])
            sheet.append([])
            sheet.append(list(table.header))
            header_row = sheet.max_row
            for cell in sheet[header_row]:
                cell.font = Font(bold=True)
            widths = [len(str(h)) * 2 + 2 for h in table.header]
            for row in table.rows:
                sheet.append([_cell(value) for value in row])
                for index, value in enumerate(row):
                    if index < len(widths):
                        widths[index] = max(widths[index], min(len(str(value)) * 2 + 2, 60))
            for row_cells in sheet.iter_rows(min_row=header_row + 1):
                for cell in row_cells:
                    if isinstance(cell.value, dt.datetime):
                        cell.number_format = "yyyy-mm-dd hh:mm"
                    elif isinstance(cell.value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
                    elif isinstance(cell.value, Decimal) and cell.value.as_tuple().exponent == -2:
                        cell.number_format = "#,##0.00"
            for index, width in enumerate(widths, start=1):
                sheet.column_dimensions[get_column_letter(index)].width = width
            sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if not workbook.sheetnames:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(key: str, flt: DashboardFilter) -> str:
    town = f"-{flt.town.code}" if flt.town is not None else ""
    return f"dashboard-{key}{town}-{flt.period.start:%Y%m%d}-{flt.period.end:%Y%m%d}.xlsx"
