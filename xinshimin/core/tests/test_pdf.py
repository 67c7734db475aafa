"""core.pdf: documents come out as real PDFs whose text (Chinese included) can be read back."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from xinshimin.core.pdf import Gap, Heading, Paragraph, Table, render_pdf


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def sample() -> bytes:
    return render_pdf(
        title="爱心基金年度报告",
        author="瑞安市新居民服务中心",
        footer="瑞安市新居民爱心基金",
        blocks=[
            Heading("一、募集情况"),
            Paragraph("全年募集善款 ¥120,000.00，支出救助金 ¥8,000.00。"),
            Gap(),
            Heading("按月份", level=2),
            Table(
                header=("月份", "金额（元）"),
                rows=[("1月", "1,000.00"), ("2月", "7,000.00")],
                numeric_columns=(1,),
            ),
            Paragraph("A < B & C > D", small=True),
            Paragraph("2025年12月31日", align_right=True),
        ],
    )


def test_render_pdf_returns_a_pdf_with_its_chinese_text_readable() -> None:
    pdf = sample()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.metadata is not None and reader.metadata.title == "爱心基金年度报告"
    text = text_of(pdf)
    for expected in (
        "爱心基金年度报告",
        "一、募集情况",
        "¥120,000.00",
        "金额（元）",
        "7,000.00",
        "2025年12月31日",
    ):
        assert expected in text


def test_markup_characters_print_as_themselves() -> None:
    assert "A < B & C > D" in text_of(sample())


def test_same_input_gives_same_bytes() -> None:
    assert sample() == sample()


def test_long_tables_continue_on_further_pages() -> None:
    rows = [(f"第{i}行", f"{i},000.00") for i in range(200)]
    pdf = render_pdf(title="长表", blocks=[Table(header=("行", "金额"), rows=rows)])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 2
    assert "第199行" in reader.pages[-1].extract_text()


def test_table_rows_must_match_the_header() -> None:
    with pytest.raises(ValueError, match="as many cells"):
        render_pdf(title="x", blocks=[Table(header=("a", "b"), rows=[("only one",)])])
    with pytest.raises(ValueError, match="widths"):
        render_pdf(title="x", blocks=[Table(header=("a", "b"), rows=[], widths=(1,))])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdftotext_reads_the_document() -> None:
    result = subprocess.run(["pdftotext", "-", "-"], input=sample(), capture_output=True, check=True)  # noqa: S607
    out = result.stdout.decode()
    assert "一、募集情况" in out
    assert "1,000.00" in out


def test_bar_charts_draw_their_labels_and_values() -> None:
    from decimal import Decimal

    from xinshimin.core.pdf import Bars

    pdf = render_pdf(
        title="图表",
        blocks=[Bars([("因病", Decimal("5000")), ("意外事故", 0)], value_text=lambda v: f"¥{v:,}")],
    )
    text = text_of(pdf)
    assert "因病" in text and "¥5,000" in text and "意外事故" in text
    with pytest.raises(ValueError):
        render_pdf(title="x", blocks=[Bars([("a", -1)])])
