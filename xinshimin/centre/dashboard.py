"""The centre's dashboards (数据看板): each section is a chart (inline SVG) and the same figures as a table,
and every section exports to XLSX (``exports.py``).

    flt = dashboard_filter(request.GET, today=timezone.localdate())   # town + period, or ValidationFailed
    sections = dashboard_sections(flt, today=...)                       # every section
    section = dashboard_section("scores", flt, today=...)

Sections: residents by town, score distribution, applications per scene and town, review backlog per
department, welfare openings (stock over time), charity fund in/out per month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from xinshimin.accounts.models import Town
from xinshimin.core import charts
from xinshimin.core.errors import ValidationFailed

from . import selectors
from .selectors import Period
from .templatetags.centre_tags import cn_date, cn_month, cn_range

MAX_PERIOD_DAYS = 366 * 5
CHART_WIDTH = 480  # drawn narrower than the charts' default so that their text stays readable on a phone


def bar_chart_svg(data: Any, **kwargs: Any) -> SafeString:
    return charts.bar_chart_svg(data, width=CHART_WIDTH, **kwargs)


def line_chart_svg(data: Any, **kwargs: Any) -> SafeString:
    return charts.line_chart_svg(data, width=CHART_WIDTH, **kwargs)


def _axis_month(month: dt.date, months: list[Any]) -> str:
    """A short month label for a chart axis: 3月 within one year, 2026-03 across years."""
    if len({m.month.year for m in months}) > 1:
        return f"{month:%Y-%m}"
    if (get_language() or "").startswith("en"):
        return f"{month:%b}"
    return f"{month.month}月"


@dataclass(frozen=True)
class DashboardFilter:
    town: Town | None
    period: Period

    def as_params(self) -> dict[str, str]:
        params = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        if self.town is not None:
            params["town"] = self.town.code
        return params

    @property
    def query(self) -> str:
        return urlencode(self.as_params())

    def describe(self) -> str:
        town = self.town.name if self.town is not None else _("全部乡镇街道")
        return _("%(town)s；%(period)s") % {
            "town": town,
            "period": cn_range(self.period.start, self.period.end),
        }


def _parse_day(value: str, field_name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            _("日期格式不正确，请按“年-月-日”填写，例如 2026-03-01。"), field=field_name
        ) from None


def dashboard_filter(params: Mapping[str, Any], *, today: dt.date) -> DashboardFilter:
    """Town (code) and period from query parameters: ``from``/``to`` dates, or a ``year``; the default is
    the current calendar year. Raises ``ValidationFailed`` with a message saying how to fix the input."""
    town = None
    code = (params.get("town") or "").strip()
    if code:
        town = Town.objects.filter(code=code).first()
        if town is None:
            raise ValidationFailed(_("没有这个乡镇街道，请从列表中选择。"), field="town")
    year_text = (params.get("year") or "").strip()
    year = today.year
    if year_text:
        if not (year_text.isascii() and year_text.isdigit()) or not 2000 <= int(year_text) <= 2100:
            raise ValidationFailed(_("年度应为四位数字，例如 2026。"), field="year")
        year = int(year_text)
    start_text, end_text = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    start = _parse_day(start_text, "from") if start_text else dt.date(year, 1, 1)
    end = _parse_day(end_text, "to") if end_text else dt.date(year, 12, 31)
    if start_text and not end_text and not year_text:
        end = dt.date(start.year, 12, 31)
    if end_text and not start_text and not year_text:
        start = dt.date(end.year, 1, 1)
    if end < start:
        raise ValidationFailed(_("结束日期早于开始日期，请调换或重新选择。"), field="to")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(_("统计期间最长 5 年，请缩短期间。"), field="from")
    return DashboardFilter(town=town, period=Period(start, end))


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    tables: list[Table]
    charts: list[SafeString] = field(default_factory=list)
    note: str = ""


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _residents(flt: DashboardFilter, today: dt.date) -> Section:
    on = min(flt.period.end, today)
    rows = selectors.residents_by_town(town=flt.town, on=on)
    title = _("各乡镇街道新市民人数")
    table_rows: list[tuple[Any, ...]] = [(r.name, r.residents, r.scoring) for r in rows]
    table_rows.append((_("合计"), sum(r.residents for r in rows), sum(r.scoring for r in rows)))
    return Section(
        key="residents",
        title=title,
        description=_("在册新市民，以及截至 %(day)s 持有可计分居住证的人数。") % {"day": cn_date(on)},
        charts=[bar_chart_svg([(r.name, r.residents) for r in rows], title=title, unit=_("人"))],
        tables=[Table(title, (_("乡镇街道"), _("在册人数"), _("持有可计分居住证")), table_rows)],
    )


def _scores(flt: DashboardFilter, today: dt.date) -> Section:
    on = min(flt.period.end, today)
    bins = selectors.score_histogram(town=flt.town, on=on)
    total = sum(b.count for b in bins)
    title = _("积分分布（每人最新一次积分快照）")
    return Section(
        key="scores",
        title=title,
        description=_("每位新市民截至 %(day)s 最新一次积分快照的总分，按 %(width)s 分一档统计，共 %(n)s 人。")
        % {"day": cn_date(on), "width": selectors.SCORE_BIN, "n": total},
        charts=[bar_chart_svg([(b.label, b.count) for b in bins], title=title, unit=_("人"))],
        tables=[
            Table(
                title,
                (_("分数段"), _("人数"), _("占比（%）")),
                [(b.label, b.count, _percent(b.count, total)) for b in bins],
            )
        ],
        note=_("每档含下限、不含上限；最后一档含最高分 %(top)s 分。") % {"top": selectors.SCORE_TOP},
    )


def _applications(flt: DashboardFilter, today: dt.date) -> Section:
    rows = selectors.applications_by_scene_and_town(town=flt.town, period=flt.period)
    per_scene: dict[int, tuple[str, int]] = {}
    for row in rows:
        label = f"{row.year} {row.scene}"
        per_scene[row.scene_id] = (label, per_scene.get(row.scene_id, (label, 0))[1] + row.total)
    title = _("各场景、各乡镇街道的申请数")
    return Section(
        key="applications",
        title=title,
        description=_("期间内提交的场景申请（不含已撤回），按申请人现居住地统计。"),
        charts=[bar_chart_svg(list(per_scene.values()), title=_("各场景申请数"), unit=_("件"))],
        tables=[
            Table(
                title,
                (_("场景"), _("年度"), _("乡镇街道"), _("申请数"), _("审核通过"), _("审核未通过")),
                [(r.scene, r.year, r.town, r.total, r.eligible, r.rejected) for r in rows],
            )
        ],
    )


def _backlog(flt: DashboardFilter, today: dt.date) -> Section:
    rows = selectors.review_backlog(town=flt.town, period=flt.period, today=today)
    busy = [r for r in rows if r.waiting or r.overdue or r.claims_evidence or r.claims_decided]
    title = _("各部门待办与逾期")
    return Section(
        key="backlog",
        title=title,
        description=_(
            "当前（%(today)s）各部门待审核的积分申报和场景资格核查，其中超过办理期限的为逾期；"
            "“期间内已办结”按审核时间统计。"
        )
        % {"today": cn_date(today)},
        charts=[
            bar_chart_svg([(r.name, r.waiting) for r in busy], title=_("各部门待办件数"), unit=_("件")),
            bar_chart_svg([(r.name, r.overdue) for r in busy], title=_("各部门逾期件数"), unit=_("件")),
        ],
        tables=[
            Table(
                title,
                (
                    _("部门"),
                    _("申报待审核"),
                    _("其中逾期"),
                    _("待申请人补充材料"),
                    _("期间内已办结"),
                    _("场景资格待核查"),
                    _("其中逾期"),
                ),
                [
                    (
                        r.name,
                        r.claims_waiting,
                        r.claims_overdue,
                        r.claims_evidence,
                        r.claims_decided,
                        r.checks_pending,
                        r.checks_overdue,
                    )
                    for r in rows
                ],
            )
        ],
        note=_("只列出有待办或已办结事项的部门的图；表格列出全部部门。"),
    )


def _welfare(flt: DashboardFilter, today: dt.date) -> Section:
    months = selectors.welfare_by_month(town=flt.town, period=flt.period)
    offers = selectors.welfare_openings(town=flt.town, period=flt.period)
    in_town = flt.town is not None
    offer_header: tuple[str, ...] = (
        _("活动"),
        _("提供方"),
        _("开放时间"),
        _("截止时间"),
        _("总数量"),
        _("已兑换"),
    )
    if in_town:
        offer_header = (*offer_header, _("其中本乡镇街道居民"))
    offer_rows = [
        (
            o.title,
            o.provider,
            o.opens_at,
            o.closes_at,
            o.stock,
            o.granted,
            *((o.granted_in_town,) if in_town else ()),
        )
        for o in offers
    ]
    title = _("福利兑换开放情况")
    return Section(
        key="welfare",
        title=title,
        description=_("期间内开放的福利兑换活动：每月开放的数量与实际兑换的数量%(town)s。")
        % {"town": _("（兑换数量仅计本乡镇街道居民）") if in_town else ""},
        charts=[
            line_chart_svg(
                [(_axis_month(m.month, months), m.stock) for m in months],
                title=_("每月开放数量"),
                unit=_("份"),
            ),
            line_chart_svg(
                [(_axis_month(m.month, months), m.redeemed) for m in months],
                title=_("每月兑换数量"),
                unit=_("份"),
            ),
        ],
        tables=[
            Table(
                _("按月统计"),
                (_("月份"), _("开放活动数"), _("开放数量"), _("兑换数量")),
                [(cn_month(m.month), m.offers, m.stock, m.redeemed) for m in months],
            ),
            Table(_("各场活动"), offer_header, offer_rows),
        ],
    )


def _fund(flt: DashboardFilter, today: dt.date) -> Section:
    months = selectors.fund_by_month(period=flt.period)
    title = _("爱心基金每月收支")
    total_in = sum((m.money_in for m in months), Decimal("0.00"))
    total_out = sum((m.money_out for m in months), Decimal("0.00"))
    rows: list[tuple[Any, ...]] = [(cn_month(m.month), m.money_in, m.money_out, m.net) for m in months]
    rows.append((_("合计"), total_in, total_out, total_in - total_out))
    return Section(
        key="fund",
        title=title,
        description=_("基金银行存款账户每月的收入（捐赠、退回）与支出（救助金发放），按记账日期统计。"),
        charts=[
            line_chart_svg(
                [(_axis_month(m.month, months), m.money_in) for m in months],
                title=_("每月收入"),
                unit=_("元"),
                value_format=lambda v: _money(Decimal(v)),
            ),
            line_chart_svg(
                [(_axis_month(m.month, months), m.money_out) for m in months],
                title=_("每月支出"),
                unit=_("元"),
                value_format=lambda v: _money(Decimal(v)),
            ),
        ],
        tables=[Table(title, (_("月份"), _("收入（元）"), _("支出（元）"), _("净额（元）")), rows)],
        note=_("爱心基金不按乡镇街道分账，乡镇街道筛选对本节不适用。") if flt.town is not None else "",
    )


SECTIONS: dict[str, tuple[Any, Callable[[DashboardFilter, dt.date], Section]]] = {
    "residents": (gettext_lazy("新市民人数"), _residents),
    "scores": (gettext_lazy("积分分布"), _scores),
    "applications": (gettext_lazy("场景申请"), _applications),
    "backlog": (gettext_lazy("审核待办"), _backlog),
    "welfare": (gettext_lazy("福利兑换"), _welfare),
    "fund": (gettext_lazy("爱心基金"), _fund),
}


def dashboard_section(key: str, flt: DashboardFilter, *, today: dt.date) -> Section:
    if key not in SECTIONS:
        raise ValidationFailed(_("没有这个统计项目。"), field="section")
    return SECTIONS[key][1](flt, today)


def dashboard_sections(flt: DashboardFilter, *, today: dt.date, only: str | None = None) -> list[Section]:
    keys = [only] if only in SECTIONS else list(SECTIONS)
    return [SECTIONS[key][1](flt, today) for key in keys]
