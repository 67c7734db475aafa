"""Printable documents of the fund: the annual report, refusal letters and donation receipts (PDF)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.core.pdf import Bars, Block, Gap, Heading, Paragraph, Table, render_pdf

from .models import Donation, HardshipCase
from .report import AnnualReport

ISSUER = "瑞安市新居民爱心基金管理委员会办公室"
OFFICE_CONTACT = "地址：瑞安时代大厦 A 幢 8 楼 802 室（瑞安市新居民服务中心公共服务科） 电话：0577-66887305"


def yuan(value: Decimal | int | None) -> str:
    """¥1,234.50 (negative amounts as -¥1,234.50)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def cn_date(value: object) -> str:
    year, month, day = (getattr(value, "year", 0), getattr(value, "month", 0), getattr(value, "day", 0))
    return f"{year}年{month}月{day}日"


def report_pdf(report: AnnualReport) -> bytes:
    """The annual public report as a PDF: the same figures as the public page (and no personal data)."""
    blocks: list[Block] = [
        Paragraph(_("本报告依据基金账簿编制，所有金额单位为人民币元。")),
        Heading(_("一、基金章程要点")),
        *[Paragraph(f"{i}. {rule}") for i, rule in enumerate(report.rules, start=1)],
        Heading(_("二、基金收支")),
        Table(
            header=(_("项目"), _("金额")),
            rows=[
                (_("年初余额"), yuan(report.opening_balance)),
                (_("本年募集善款（%(n)d 笔）") % {"n": report.donations_count}, yuan(report.money_raised)),
                (_("本年发放救助金"), yuan(report.grants_paid)),
                (_("本年救助款退回"), yuan(report.grants_returned)),
                (_("年末余额"), yuan(report.closing_balance)),
            ],
            widths=(3, 2),
            numeric_columns=(1,),
        ),
        Paragraph(
            _("本年受理困难申报 %(r)d 件，批准救助 %(a)d 件，不予救助 %(f)d 件。")
            % {"r": report.cases_received, "a": report.cases_approved, "f": report.cases_refused}
        ),
        Heading(_("三、救助金按类别")),
        Bars([(label, max(v, Decimal(0))) for label, v in report.grants_by_category], value_text=yuan),
        Table(
            header=(_("类别"), _("金额")),
            rows=[(label, yuan(v)) for label, v in report.grants_by_category]
            + [(_("合计"), yuan(report.grants_paid))],
            widths=(3, 2),
            numeric_columns=(1,),
        ),
        Heading(_("四、救助金按月份")),
        Bars([(label, max(v, Decimal(0))) for label, v in report.grants_by_month], value_text=yuan),
        Table(
            header=(_("月份"), _("金额")),
            rows=[(label, yuan(v)) for label, v in report.grants_by_month]
            + [(_("合计"), yuan(report.grants_paid))],
            widths=(3, 2),
            numeric_columns=(1,),
        ),
        Heading(_("五、救助案例（已隐去个人信息）")),
        Table(
            header=(_("类别"), _("月份"), _("金额"), _("概况")),
            rows=[
                (c.category, _("%(m)d月") % {"m": c.month}, yuan(c.amount), c.summary) for c in report.cases
            ]
            or [("—", "—", "—", _("本年无救助发放。"))],
            widths=(2, 1, 2, 6),
            numeric_columns=(2,),
        ),
        Heading(_("六、捐款名录")),
        Table(
            header=(_("捐赠人"), _("类型"), _("笔数"), _("金额")),
            rows=[(d.name, d.kind or "—", str(d.count), yuan(d.amount)) for d in report.donors]
            + [(_("合计"), "", "", yuan(report.donors_total))],
            widths=(4, 2, 1, 2),
            numeric_columns=(2, 3),
        ),
        Gap(),
        Paragraph(ISSUER, align_right=True),
        Paragraph(OFFICE_CONTACT, small=True),
    ]
    return render_pdf(
        title=_("瑞安市新居民爱心基金 %(y)d 年度公开报告") % {"y": report.year},
        blocks=blocks,
        author=ISSUER,
        footer=_("瑞安市新居民爱心基金 %(y)d 年度公开报告") % {"y": report.year},
    )


def refusal_letter_blocks(case: HardshipCase) -> list[Block]:
    assert case.decided_on is not None
    return [
        Paragraph(_("%(name)s：") % {"name": case.applicant.name}),
        Paragraph(
            _(
                "您于%(submitted)s提交的爱心基金困难申报（编号 %(number)s，类别：%(category)s，申请金额 %(amount)s）"
                "已由基金管理委员会办公室指派两名以上工作人员核实。经研究，决定不予救助。"
            )
            % {
                "submitted": cn_date(case.submitted_on),
                "number": case.number,
                "category": case.get_category_display(),
                "amount": yuan(case.amount_requested),
            }
        ),
        Heading(_("不予救助的理由"), level=2),
        Paragraph(case.decision_reason),
        Heading(_("您还可以"), level=2),
        Paragraph(
            _(
                "如您对本决定有疑问，或情况发生变化（如有新的证明材料），可携带材料到居住地乡镇街道新居民服务窗口"
                "咨询，或重新提出申请。"
            )
        ),
        Paragraph(OFFICE_CONTACT, small=True),
        Gap(),
        Paragraph(ISSUER, align_right=True),
        Paragraph(cn_date(case.decided_on), align_right=True),
    ]


def refusal_letter_pdf(case: HardshipCase) -> bytes:
    return render_pdf(
        title=_("爱心基金困难申报不予救助书面说明"),
        blocks=refusal_letter_blocks(case),
        author=ISSUER,
        footer=case.number,
    )


def receipt_pdf(donation: Donation) -> bytes:
    return render_pdf(
        title=_("瑞安市新居民爱心基金捐赠收据"),
        blocks=[
            Table(
                header=(_("项目"), _("内容")),
                rows=[
                    (_("收据编号"), donation.receipt_number),
                    (_("捐赠人"), donation.donor_name),
                    (_("捐赠人类型"), str(donation.get_donor_kind_display())),
                    (_("捐赠金额"), yuan(donation.amount)),
                    (_("捐赠日期"), cn_date(donation.donated_on)),
                    (_("记账凭证"), donation.entry.number),
                    (
                        _("年度报告中具名"),
                        _("同意具名") if donation.consent_to_name else _("不具名（列为“爱心人士（匿名）”）"),
                    ),
                ],
                widths=(2, 5),
            ),
            Paragraph(_("感谢您对新居民爱心基金的支持！")),
            Gap(),
            Paragraph(ISSUER, align_right=True),
            Paragraph(cn_date(timezone.localtime(donation.recorded_at).date()), align_right=True),
        ],
        author=ISSUER,
        footer=donation.receipt_number,
    )
