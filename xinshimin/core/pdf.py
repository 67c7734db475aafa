"""Simple documents (a title, headings, paragraphs, tables, bar charts) rendered to PDF bytes with reportlab.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe's Asian font pack names it; PDF
readers supply the glyphs), so no font file ships with the project. Text is plain text: it is escaped
before reportlab's paragraph markup sees it, so a ``<`` or ``&`` in a name prints as itself.

    pdf = render_pdf(
        title="爱心基金 2025 年度报告",
        blocks=[Heading("一、募集情况"), Paragraph("全年募集 ¥120,000.00。"),
                Table(header=("月份", "金额"), rows=[("1月", "¥1,000.00")])],
    )
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

FONT = "STSong-Light"
_registered = False


def _ensure_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 or 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    align_right: bool = False
    small: bool = False


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    # Relative column widths (any positive numbers); equal widths when empty.
    widths: Sequence[int] = field(default_factory=tuple)
    # Indexes of columns to right-align (amounts).
    numeric_columns: Sequence[int] = field(default_factory=tuple)


@dataclass(frozen=True)
class Gap:
    height_mm: int = 4


@dataclass(frozen=True)
class Bars:
    """A horizontal bar chart of (label, value) pairs (values ``int`` or ``Decimal``, not negative), each bar
    labelled with ``value_text`` of its value. Show the same figures in a ``Table`` too."""

    data: Sequence[tuple[str, Decimal | int]]
    value_text: Callable[[Decimal | int], str] = str


Block = Heading | Paragraph | Table | Gap | Bars


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK", spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=18, spaceBefore=6, spaceAfter=2),
        "body": base,
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, spaceAfter=0),
        "cell_right": ParagraphStyle(
            "cell_right", parent=base, fontSize=9.5, leading=13, spaceAfter=0, alignment=TA_RIGHT
        ),
    }


def _text(value: object) -> str:
    """Plain text → reportlab paragraph markup (escaped; line breaks kept)."""
    return escape(str(value)).replace("\n", "<br/>")


def _table(block: Table, styles: dict[str, ParagraphStyle], width: float) -> RLTable:
    columns = len(block.header)
    if any(len(row) != columns for row in block.rows):
        raise ValueError("every table row needs as many cells as the header")
    weights = list(block.widths) or [1] * columns
    if len(weights) != columns or any(w <= 0 for w in weights):
        raise ValueError("table widths: one positive number per column")
    col_widths = [width * w / sum(weights) for w in weights]

    def cell(value: object, index: int) -> RLParagraph:
        style = styles["cell_right"] if index in block.numeric_columns else styles["cell"]
        return RLParagraph(_text(value), style)

    data = [[cell(h, i) for i, h in enumerate(block.header)]]
    data += [[cell(v, i) for i, v in enumerate(row)] for row in block.rows]
    table = RLTable(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa0a6")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _bars(block: Bars, width: float) -> Drawing:
    row, label_w, value_w = 16.0, 90.0, 90.0
    values = [Decimal(v) for _, v in block.data]
    if any(v < 0 for v in values):
        raise ValueError("bar values must not be negative")
    top = max(values, default=Decimal(0))
    drawing = Drawing(width, row * max(len(values), 1) + 4)
    plot_w = width - label_w - value_w
    for index, ((label, value), number) in enumerate(zip(block.data, values, strict=True)):
        y = drawing.height - row * (index + 1)
        bar_w = float(number / top) * plot_w if top else 0.0
        drawing.add(String(label_w - 6, y + 4, str(label), fontName=FONT, fontSize=9, textAnchor="end"))
        drawing.add(
            Rect(label_w, y + 2, bar_w, row - 5, fillColor=colors.HexColor("#c8102e"), strokeColor=None)
        )
        drawing.add(String(label_w + bar_w + 4, y + 4, block.value_text(value), fontName=FONT, fontSize=8.5))
    return drawing


def render_pdf(*, title: str, blocks: Sequence[Block], author: str = "", footer: str = "") -> bytes:
    """The document as PDF bytes (A4, page numbers at the foot). Same input → same bytes."""
    _ensure_font()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        invariant=1,
    )
    story: list[Flowable] = [RLParagraph(_text(title), styles["title"])]
    for block in blocks:
        if isinstance(block, Heading):
            story.append(RLParagraph(_text(block.text), styles["h1" if block.level <= 1 else "h2"]))
        elif isinstance(block, Paragraph):
            style = styles["small"] if block.small else styles["right" if block.align_right else "body"]
            story.append(RLParagraph(_text(block.text), style))
        elif isinstance(block, Table):
            story.append(_table(block, styles, doc.width))
            story.append(Spacer(1, 3 * mm))
        elif isinstance(block, Bars):
            story.append(_bars(block, doc.width))
            story.append(Spacer(1, 2 * mm))
        elif isinstance(block, Gap):
            story.append(Spacer(1, block.height_mm * mm))
        else:  # pragma: no cover - the type says this cannot happen
            raise TypeError(f"unknown block {block!r}")

    def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        text = f"{footer}  —  {document.page}" if footer else str(document.page)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, text)
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


__all__ = ["Bars", "Block", "Gap", "Heading", "Paragraph", "Table", "render_pdf"]
