"""core.charts: accessible inline SVG, escaped text, exact values."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils.safestring import SafeString

from xinshimin.core.charts import bar_chart_svg, line_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def test_bar_chart_has_a_title_a_description_and_one_bar_per_item() -> None:
    svg = bar_chart_svg([("疾病", Decimal("5000")), ("意外", Decimal("2500.50"))], title="按类别", unit="元")
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "按类别"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "疾病：5,000元；意外：2,500.50元。"
    bars = root.findall(f"{SVG}g/{SVG}rect")
    assert len(bars) == 2
    widths = [Decimal(b.get("width")) for b in bars]
    assert widths[0] == Decimal("380.0")  # the largest value fills the plot
    assert widths[1] == Decimal("190.0")  # half of it (2500.50 / 5000 * 380, rounded to 0.1)


def test_text_is_escaped() -> None:
    svg = bar_chart_svg([("<script>alert(1)</script>", 1)], title="A & B <c>")
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "A & B <c>"


def test_empty_and_all_zero_data_draw_without_dividing_by_zero() -> None:
    assert "没有数据" in bar_chart_svg([], title="空")
    root = parse(bar_chart_svg([("一月", 0), ("二月", 0)], title="零"))
    assert [r.get("width") for r in root.iter(f"{SVG}rect")] == ["0.0", "0.0"]
    assert "没有数据" in line_chart_svg([], title="空")


def test_line_chart_has_one_point_per_item_in_order() -> None:
    data = [(f"{m}月", Decimal(m * 100)) for m in range(1, 13)]
    root = parse(line_chart_svg(data, title="按月", description="每月救助金额"))
    circles = root.findall(f"{SVG}g/{SVG}circle")
    assert len(circles) == 12
    xs = [Decimal(c.get("cx")) for c in circles]
    ys = [Decimal(c.get("cy")) for c in circles]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)  # rising values are drawn higher (smaller y)
    assert root.find(f"{SVG}desc").text == "每月救助金额"
    assert len(re.findall(r"\d+(?:\.\d)?,\d+(?:\.\d)?", root.find(f"{SVG}polyline").get("points"))) == 12


def test_single_point_line_chart() -> None:
    root = parse(line_chart_svg([("1月", 5)], title="一个点"))
    assert len(root.findall(f"{SVG}g/{SVG}circle")) == 1


def test_values_must_be_exact_and_not_negative() -> None:
    with pytest.raises(TypeError):
        bar_chart_svg([("a", 1.5)], title="x")  # type: ignore[list-item]
    with pytest.raises(ValueError):
        bar_chart_svg([("a", -1)], title="x")


def test_ids_differ_between_charts_on_one_page() -> None:
    a = parse(bar_chart_svg([("a", 1)], title="一"))
    b = parse(bar_chart_svg([("a", 1)], title="二"))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")
