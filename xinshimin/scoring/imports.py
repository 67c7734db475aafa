"""Department import files: the exchange format (JSON Lines), and CSV/XLSX tables of the common fields.

``facts_import_file`` reads a file a department uploads (API ``POST /api/scoring/import``, command
``import_facts``) and hands it to ``services.facts_import``, which does the real work: validate each line,
upsert by ID number and fact kind, idempotent, good lines in one transaction, one audit event. This module
only turns a table into exchange-format lines and puts the report's line numbers back onto the file's rows.

Tables (``docs/import-formats.md``): the first row names the columns (``TABLE_COLUMNS``, or their Chinese
aliases), one person per following row. An empty cell means "no fact in this file" (the stored fact is left
as it is). Values are converted only as far as the file format needs (Excel numbers and dates, yes/no
words, a list of levels separated by ``;``); the exchange parser then checks them exactly as for JSON Lines,
so a bad value gets the same message naming the field. Problems that only a table can have (an unknown
column, an ID number that Excel stored as a number) are reported here, with the row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from xinshimin.accounts.models import Department
from xinshimin.core.errors import ValidationFailed
from xinshimin.policies.facts import FIELD_SPECS, FieldType

from .services import ImportReport, RejectedLine, facts_import

Format = Literal["jsonl", "csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "xlsx")

# The columns of a CSV/XLSX import: who, then the scalar facts of the exchange format (lists of events —
# volunteer hours, donations, awards, patents, deductions … — only come as JSON Lines).
TABLE_FACT_COLUMNS: tuple[str, ...] = (
    "education",
    "skill",
    "zj_social_insurance_months",
    "zj_residence_registered_on",
    "ruian_residence_registered_on",
    "housing",
    "employed_in_ruian",
    "ruian_social_insurance_months",
    "provident_fund_months",
    "tax_paid_last_year_yuan",
    "talent_tier",
    "veteran",
    "party_member",
    "deputy",
)
TABLE_COLUMNS: tuple[str, ...] = ("id_number", "name", *TABLE_FACT_COLUMNS)

# Chinese headings a department's spreadsheet may use instead of the codes.
COLUMN_ALIASES: dict[str, str] = {
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "姓名": "name",
    "文化程度": "education",
    "学历": "education",
    "职业技能": "skill",
    "浙江省内社保月数": "zj_social_insurance_months",
    "浙江省居住登记日期": "zj_residence_registered_on",
    "瑞安居住登记日期": "ruian_residence_registered_on",
    "在瑞住房": "housing",
    "在瑞就业": "employed_in_ruian",
    "在瑞社保月数": "ruian_social_insurance_months",
    "公积金月数": "provident_fund_months",
    "上年度在瑞纳税额": "tax_paid_last_year_yuan",
    "人才层次": "talent_tier",
    "退役军人": "veteran",
    "党员": "party_member",
    "人大代表政协委员": "deputy",
}

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "√"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "×"})
LEVEL_SEPARATORS = (";", "；", "、")

XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 1_000_000


class ImportFormatError(ValidationFailed):
    """The file as a whole cannot be read (format, encoding, header): nothing is imported."""

    code = "invalid_import_file"


@dataclass(frozen=True)
class TableLine:
    """One data row of a table: its row number in the file and its exchange-format JSON line, or the
    problem that stopped it from becoming one."""

    row: int
    line: str = ""
    field: str = ""
    error: str = ""


# --- format --------------------------------------------------------------------------------------------


def detect_format(*, filename: str = "", content_type: str = "", data: bytes = b"") -> Format:
    """The format of an uploaded file: by its name's extension, else its media type, else its content."""
    name = filename.lower().rsplit("/", 1)[-1]
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".csv", "csv")):
        if name.endswith(ext):
            return fmt  # type: ignore[return-value]
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    media = content_type.split(";")[0].strip().lower()
    if media in ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/json"):
        return "jsonl"
    if media in ("text/csv", "application/csv"):
        return "csv"
    if media == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        return "xlsx"
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); GB 18030 as Chinese Excel saves CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ImportFormatError(
            _("文件编码无法识别（第 %(pos)s 字节）：请保存为 UTF-8 编码后重新上传。") % {"pos": error.start},
            field="file",
        ) from None


def jsonl_lines(data: bytes) -> list[str]:
    """The lines of a JSON Lines file (UTF-8)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFormatError(
            _("JSON Lines 文件必须是 UTF-8 编码（第 %(pos)s 字节无法解码）。") % {"pos": error.start},
            field="file",
        ) from None
    return text.splitlines()


# --- tables --------------------------------------------------------------------------------------------


def _header(cells: Sequence[Any]) -> list[str | None]:
    """Column codes of a header row (``None`` for an empty trailing heading); ``ImportFormatError`` on an
    unknown or repeated column, or without ``id_number``."""
    columns: list[str | None] = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            columns.append(None)
            continue
        code = COLUMN_ALIASES.get(text, text.lower())
        if code not in TABLE_COLUMNS:
            raise ImportFormatError(
                _(
                    "第 %(col)s 列的列名“%(name)s”无法识别。可用的列：%(allowed)s（列表类事实请用 JSON Lines）。"
                )
                % {"col": index + 1, "name": text, "allowed": ", ".join(TABLE_COLUMNS)},
                field="columns",
            )
        if code in columns:
            raise ImportFormatError(
                _("列“%(name)s”出现了两次，请删除重复的列。") % {"name": code}, field="columns"
            )
        columns.append(code)
    if "id_number" not in columns:
        raise ImportFormatError(_("第一行应为列名，且必须有 id_number（身份证号码）列。"), field="columns")
    return columns


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


class _CellError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _integral(field: str, value: float) -> int:
    if not math.isfinite(value) or value != int(value):
        raise _CellError(field, _("应为整数，收到 %(value)s") % {"value": value})
    return int(value)


def _cell_value(field: str, cell: Any) -> Any:
    """A table cell as the exchange-format value of ``field`` (values the parser will refuse are passed
    through as text, so that its message names them)."""
    if isinstance(cell, str):
        cell = cell.strip()
    if field in ("id_number", "name"):
        if isinstance(cell, bool | int | float | Decimal):
            if field == "id_number":
                raise _CellError(
                    field,
                    _("身份证号码被存成了数字（Excel 会丢失后几位）：请把该列设为“文本”格式后重新录入。"),
                )
            return str(cell)
        return cell
    kind = FIELD_SPECS[field].type
    if isinstance(cell, dt.datetime):
        if kind is FieldType.DATE:
            if cell.time() != dt.time(0, 0):
                raise _CellError(field, _("应为日期（YYYY-MM-DD），不应带时间：%(value)s") % {"value": cell})
            return cell.date().isoformat()
        return cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if kind is FieldType.LEVELS:
        text = str(cell)
        for separator in LEVEL_SEPARATORS[1:]:
            text = text.replace(separator, LEVEL_SEPARATORS[0])
        values = [part.strip().lower() for part in text.split(LEVEL_SEPARATORS[0]) if part.strip()]
        return values[0] if len(values) == 1 else values
    if kind in (FieldType.COUNT, FieldType.TIER):
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float):
            return _integral(field, cell)
        text = str(cell)
        if text.lstrip("+-").isdigit():
            return int(text)
        return text
    if kind is FieldType.FLAG:
        if isinstance(cell, bool):
            return cell
        text = str(cell).strip().lower()
        if isinstance(cell, int | float):
            text = str(int(cell)) if float(cell) in (0.0, 1.0) else text
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        return str(cell)
    if kind is FieldType.AMOUNT:
        if isinstance(cell, bool):
            return cell
        try:
            number = Decimal(repr(cell)) if isinstance(cell, float) else Decimal(str(cell).replace(",", ""))
        except InvalidOperation:
            return str(cell)
        if not number.is_finite():
            return str(cell)
        return number
    return cell  # pragma: no cover - every table column is one of the kinds above


def _json_number(field: str, value: Decimal) -> int | float:
    """An exact amount as a JSON number that reads back (``parse_float=Decimal``) as the same decimal."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise _CellError(field, _("金额 %(value)s 的位数过多，请保留两位小数。") % {"value": value})
    return number


def _row_line(columns: Sequence[str | None], cells: Sequence[Any]) -> str:
    """An exchange-format JSON line for one table row (``_CellError`` for a problem only a table has)."""
    record: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None or _blank(cell):
            continue
        value = _cell_value(column, cell)
        if isinstance(value, Decimal):
            value = _json_number(column, value)
        if column in ("id_number", "name"):
            record[column] = value
        else:
            facts[column] = value
    record["facts"] = facts
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def table_lines(rows: Iterable[tuple[int, Sequence[Any]]]) -> Iterator[TableLine]:
    """(row number, cells) of a table, header first → one ``TableLine`` per non-empty data row."""
    columns: list[str | None] | None = None
    for number, cells in rows:
        if all(_blank(cell) for cell in cells):
            continue
        if columns is None:
            columns = _header(cells)
            continue
        extra = [cell for cell in cells[len(columns) :] if not _blank(cell)]
        if extra:
            yield TableLine(number, field="(row)", error=_("该行的单元格多于列名，请检查是否有未命名的列。"))
            continue
        try:
            yield TableLine(number, line=_row_line(columns, cells))
        except _CellError as error:
            yield TableLine(number, field=error.field, error=f"{error.field}: {error.message}")
    if columns is None:
        raise ImportFormatError(_("文件是空的：第一行应为列名，之后每行一人。"), field="file")


def csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = "\t" if "\t" in first else (";" if ";" in first else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise ImportFormatError(
            _("CSV 文件第 %(line)s 行格式错误：%(error)s") % {"line": reader.line_num, "error": error},
            field="file",
        ) from None


def xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows of the first worksheet (values, not formulas)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFormatError(
            _("不是有效的 XLSX 文件（%(error)s）：请用 Excel 或 WPS 另存为 .xlsx 后重新上传。")
            % {"error": type(error).__name__},
            field="file",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


# --- the import ----------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def facts_import_file(
    *,
    actor: Any,
    department: Department,
    data: bytes,
    format: Format,
    source_ref: str = "",
    all_or_nothing: bool = False,
) -> ImportReport:
    """Import a department's file (JSON Lines, CSV or XLSX) through ``services.facts_import``.

    Rejected lines carry the file's own line (JSON Lines) or row number (tables; the header is row 1).
    ``ImportFormatError`` if the file cannot be read at all (nothing imported). ``all_or_nothing``: any
    rejected line or row cancels the whole file.
    """
    if format not in FORMATS:
        raise ImportFormatError(
            _("未知的文件格式 %(format)s，可选：%(allowed)s。")
            % {"format": format, "allowed": ", ".join(FORMATS)},
            field="format",
        )
    if format == "jsonl":
        return facts_import(
            actor=actor,
            department=department,
            lines=jsonl_lines(data),
            source_ref=source_ref,
            all_or_nothing=all_or_nothing,
        )
    rows = csv_rows(data) if format == "csv" else xlsx_rows(data)
    parsed = list(table_lines(rows))
    if len(parsed) > MAX_ROWS:
        raise ImportFormatError(
            _("文件超过 %(max)s 行，请拆分后分批导入。") % {"max": MAX_ROWS}, field="file"
        )
    good = [entry for entry in parsed if not entry.error]
    early = [RejectedLine(entry.row, entry.field, entry.error) for entry in parsed if entry.error]
    report = ImportReport()
    try:
        with transaction.atomic():
            report = facts_import(
                actor=actor,
                department=department,
                lines=[entry.line for entry in good],
                source_ref=source_ref,
                all_or_nothing=all_or_nothing,
            )
            if all_or_nothing and early and report.committed:
                raise _Rollback
    except _Rollback:
        report.committed = False
        report.imported_lines = report.facts_created = report.facts_updated = report.facts_unchanged = 0
    rows_of = [entry.row for entry in good]
    for rejected in report.rejected:
        rejected.line = rows_of[rejected.line - 1]
    report.rejected = sorted([*report.rejected, *early], key=lambda r: r.line)
    report.lines = len(parsed)
    return report


__all__ = [
    "COLUMN_ALIASES",
    "FORMATS",
    "TABLE_COLUMNS",
    "Format",
    "ImportFormatError",
    "detect_format",
    "facts_import_file",
    "table_lines",
]
