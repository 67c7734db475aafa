"""Small server-side charts as inline SVG: no JavaScript, no external assets.

Each chart is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` name what it shows (referenced by
``aria-labelledby``), and every bar or point carries its own ``<title>`` (label and value) as a tooltip.
A chart never stands alone: the page that shows one also shows the same figures as a table.

Values are exact numbers (``int`` or ``Decimal``, e.g. yuan); only the drawing coordinates are rounded.

    svg = bar_chart_svg([("疾病", Decimal("5000")), ("意外", Decimal("1200"))], title="按类别的救助金额")
    {{ svg }}   # in a template: the result is already safe HTML
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | Decimal
Series = Sequence[tuple[str, Number]]

PALETTE_BAR = "#c8102e"
INK = "#1f2328"
MUTED = "#5b636d"
GRID = "#e3e6ea"


def _plain(value: Number) -> str:
    """1200 → "1,200", Decimal("1200.50") → "1,200.50"."""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _coord(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def _check(data: Series) -> list[tuple[str, Decimal]]:
    points: list[tuple[str, Decimal]] = []
    for label, value in data:
        if isinstance(value, float | bool):
            raise TypeError("chart values must be int or Decimal, not float or bool")
        number = Decimal(value)
        if number < 0:
            raise ValueError("charts show amounts and counts: values must not be negative")
        points.append((str(label), number))
    return points


def _chart_id(prefix: str, title: str, points: list[tuple[str, Decimal]]) -> str:
    digest = hashlib.sha256(repr((title, points)).encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"


def _header(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _describe(points: list[tuple[str, Decimal]], unit: str, fmt: Callable[[Number], str]) -> str:
    if not points:
        return "没有数据。"
    return "；".join(f"{label}：{fmt(value)}{unit}" for label, value in points) + "。"


def bar_chart_svg(
    data: Series,
    *,
    title: str,
    description: str = "",
    unit: str = "",
    width: int = 640,
    value_format: Callable[[Number], str] = _plain,
) -> SafeString:
    """Horizontal bars, one per (label, value), labels on the left and values at the bar ends."""
    points = _check(data)
    chart_id = _chart_id("bar", title, points)
    row, top, label_w, value_w = Decimal(28), Decimal(8), Decimal(150), Decimal(110)
    height = int(top * 2 + row * max(len(points), 1))
    plot_w = Decimal(width) - label_w - value_w
    top_value = max((v for _, v in points), default=Decimal(0))
    parts = _header(chart_id, width, height, title, description or _describe(points, unit, value_format))
    if not points:
        parts.append(f'<text x="8" y="{_coord(top + row / 2)}" fill="{MUTED}" font-size="13">没有数据</text>')
    for index, (label, value) in enumerate(points):
        y = top + row * index
        bar_w = plot_w * value / top_value if top_value else Decimal(0)
        shown = escape(f"{value_format(value)}{unit}")
        parts.append("<g>")
        parts.append(f"<title>{escape(label)}：{shown}</title>")
        parts.append(
            f'<text x="{_coord(label_w - 8)}" y="{_coord(y + row / 2 + 5)}" text-anchor="end" '
            f'fill="{INK}" font-size="13">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{_coord(label_w)}" y="{_coord(y + 4)}" width="{_coord(bar_w)}" '
            f'height="{_coord(row - 8)}" fill="{PALETTE_BAR}" rx="2"></rect>'
        )
        parts.append(
            f'<text x="{_coord(label_w + bar_w + 6)}" y="{_coord(y + row / 2 + 5)}" fill="{MUTED}" '
            f'font-size="12">{shown}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def line_chart_svg(
    data: Series,
    *,
    title: str,
    description: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 240,
    value_format: Callable[[Number], str] = _plain,
) -> SafeString:
    """A line through the points in order (e.g. months), with a dot and a label under each point."""
    points = _check(data)
    chart_id = _chart_id("line", title, points)
    left, right, top, bottom = Decimal(56), Decimal(16), Decimal(16), Decimal(34)
    plot_w = Decimal(width) - left - right
    plot_h = Decimal(height) - top - bottom
    top_value = max((v for _, v in points), default=Decimal(0))
    parts = _header(chart_id, width, height, title, description or _describe(points, unit, value_format))
    base_y = top + plot_h
    parts.append(
        f'<line x1="{_coord(left)}" y1="{_coord(base_y)}" x2="{_coord(left + plot_w)}" y2="{_coord(base_y)}" '
        f'stroke="{GRID}"></line>'
    )
    parts.append(
        f'<text x="{_coord(left - 6)}" y="{_coord(top + 4)}" text-anchor="end" fill="{MUTED}" '
        f'font-size="11">{escape(value_format(top_value))}</text>'
    )
    if not points:
        parts.append(f'<text x="{_coord(left)}" y="{_coord(top + 16)}" fill="{MUTED}">没有数据</text>')
    step = plot_w / (len(points) - 1) if len(points) > 1 else Decimal(0)
    coords: list[tuple[Decimal, Decimal]] = []
    for index, (_label, value) in enumerate(points):
        x = left + step * index if len(points) > 1 else left + plot_w / 2
        y = base_y - (plot_h * value / top_value if top_value else Decimal(0))
        coords.append((x, y))
    if len(coords) > 1:
        path = " ".join(f"{_coord(x)},{_coord(y)}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE_BAR}" stroke-width="2"></polyline>'
        )
    for (label, value), (x, y) in zip(points, coords, strict=True):
        shown = escape(f"{value_format(value)}{unit}")
        parts.append("<g>")
        parts.append(f"<title>{escape(label)}：{shown}</title>")
        parts.append(f'<circle cx="{_coord(x)}" cy="{_coord(y)}" r="4" fill="{PALETTE_BAR}"></circle>')
        parts.append(
            f'<text x="{_coord(x)}" y="{_coord(base_y + 18)}" text-anchor="middle" fill="{INK}" '
            f'font-size="11">{escape(label)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


__all__ = ["bar_chart_svg", "line_chart_svg"]
