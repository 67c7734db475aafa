"""Exports of ranking lists: the public (masked) list as XLSX and PDF, the final list for departments.

Every export carries only masked names and ID numbers (they are the only ones stored on a row), never a
birth date or a phone number. The public list's SHA-256 digest is printed with it so that anyone can
recompute it from the rows (see ``ranking.output_digest``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from xinshimin.core.pdf import Block, Gap, Paragraph, Table, render_pdf

from . import ranking
from .models import Application, RankingRow, RankingRun
from .selectors import final_rows, outcome_text, public_rows

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _yes(value: bool) -> str:
    return _("是") if value else ""


def run_title(run: RankingRun) -> str:
    return _("%(scene)s 积分排名公示名单（第 %(version)s 版）") % {"scene": run.scene, "version": run.version}


def run_header_lines(run: RankingRun) -> list[str]:
    scene = run.scene
    lines = []
    notice = getattr(scene, "notice", None)
    if notice is not None:
        lines.append(
            _("公示期：%(start)s 至 %(end)s（5 个工作日）")
            % {"start": notice.starts_on, "end": notice.ends_on}
        )
    if run.is_superseded:
        successor = getattr(run, "superseded_by", None)
        lines.append(
            _("本版本已被第 %(next)s 版更正名单取代，仅供查阅。")
            % {"next": successor.version if successor else "?"}
        )
    elif run.status == RankingRun.Status.FINAL:
        lines.append(_("本版本为最终名单。"))
    lines.append(
        _("积分计算日期 %(as_of)s，积分政策 %(policy)s；同分排序：%(chain)s。")
        % {
            "as_of": run.as_of,
            "policy": run.policy.version_id,
            "chain": " → ".join(ranking.describe_chain(run.chain)),
        }
    )
    lines.append(_("摇号种子：%(seed)s") % {"seed": run.seed})
    lines.append(_("名单摘要 SHA-256：%(digest)s") % {"digest": run.output_digest})
    return lines


def _public_row_cells(row: RankingRow) -> tuple[Any, ...]:
    return (
        row.rank,
        row.number,
        row.name_masked,
        row.id_number_masked,
        str(row.total),
        _yes(row.is_top_n),
        _yes(row.is_selected),
    )


def public_header(run: RankingRun) -> tuple[str, ...]:
    return (
        _("名次"),
        _("申请编号"),
        _("姓名"),
        _("身份证号"),
        _("总积分"),
        _("前 %(n)s 名优先") % {"n": run.top_n} if run.top_n else _("优先"),
        _("入围"),
    )


def _xlsx(
    title: str, lines: Iterable[str], header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("名单"))
    sheet.append([title])
    for line in lines:
        sheet.append([line])
    sheet.append([])
    sheet.append(list(header))
    for cells in rows:
        sheet.append(list(cells))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def public_list_xlsx(run: RankingRun) -> bytes:
    """The masked public list of a run as an XLSX workbook."""
    rows = (_public_row_cells(r) for r in public_rows(run).iterator(chunk_size=5000))
    return _xlsx(run_title(run), run_header_lines(run), public_header(run), rows)


def public_list_pdf(run: RankingRun) -> bytes:
    """The masked public list of a run as a PDF document."""
    rows = [tuple(str(c) for c in _public_row_cells(r)) for r in public_rows(run).iterator(chunk_size=5000)]
    blocks: list[Block] = [
        *(Paragraph(line, small=True) for line in run_header_lines(run)),
        Gap(),
        Table(header=public_header(run), rows=rows, widths=(6, 18, 9, 20, 9, 8, 6), numeric_columns=(0, 4)),
        Paragraph(
            _("名单中的姓名仅保留姓氏，身份证号仅保留前 6 位和后 4 位。可在公示页面凭回执码核验本人所在行。"),
            small=True,
        ),
    ]
    return render_pdf(
        title=run_title(run),
        blocks=blocks,
        author=_("瑞安市新居民服务中心"),
        footer=_("名单摘要 SHA-256 %(digest)s") % {"digest": run.output_digest[:16] + "…"},
    )


def final_header(run: RankingRun) -> tuple[str, ...]:
    return (
        _("名次"),
        _("申请编号"),
        _("申请人"),
        _("申请人身份证号"),
        _("子女"),
        _("子女身份证号"),
        _("入学阶段"),
        _("总积分"),
        _("前 %(n)s 名优先") % {"n": run.top_n} if run.top_n else _("优先"),
        _("入围"),
        _("结果"),
    )


def _final_cells(row: RankingRow) -> tuple[Any, ...]:
    application: Application = row.application
    return (
        row.rank,
        row.number,
        row.name_masked,
        row.id_number_masked,
        application.child_name_masked,
        application.child_id_number_masked,
        application.get_stage_display() if application.stage else "",
        str(row.total),
        _yes(row.is_top_n),
        _yes(row.is_selected),
        "；".join(outcome_text(o) for o in application.outcomes.all()),
    )


def final_list_xlsx(run: RankingRun) -> bytes:
    """The final list for the receiving department: application numbers are the key to the department's
    own registration system; names and IDs stay masked."""
    lines = [
        _("最终名单，确定于 %(at)s。")
        % {"at": timezone.localtime(run.finalised_at).strftime("%Y-%m-%d %H:%M")}
        if run.finalised_at
        else "",
        *run_header_lines(run),
    ]
    rows = (_final_cells(r) for r in final_rows(run))
    return _xlsx(run_title(run), [line for line in lines if line], final_header(run), rows)
