"""The written notice of a sanction (违规处理决定书): one content, shown as a page and printed as a PDF.

``sanction_letter`` builds the letter's parts from the sanction and its recorded effects; the page renders
them with a template, ``sanction_letter_pdf`` with ``core.pdf.render_pdf``. The letter names the person
(it is addressed to them) but shows their ID number masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from xinshimin.core.pdf import Block, Gap, Heading, Paragraph, Table, render_pdf

from .models import Sanction
from .periods import chinese_date

ISSUER = "瑞安市新居民服务中心"
OFFICE_CONTACT = "地址：瑞安时代大厦 A 幢 8 楼 802 室 电话：0577-66887305"
BASIS = "《瑞安市新市民积分制服务指南（2025 年）》十、其他注意事项；六、积分住房租赁补贴申请流程（五）"


@dataclass(frozen=True)
class LetterTable:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class LetterSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: LetterTable | None = None


@dataclass(frozen=True)
class SanctionLetter:
    title: str
    number: str
    salutation: str
    opening: list[str]
    sections: list[LetterSection]
    closing: list[str]
    issuer: str
    issued_on: str
    contact: str


def _yuan(value: Any) -> str:
    return f"¥{Decimal(str(value)):,.2f}"


def sanction_letter(sanction: Sanction) -> SanctionLetter:
    """The letter of an approved sanction (its effects as recorded when it was approved)."""
    if sanction.status != Sanction.Status.APPROVED or sanction.effective_on is None:
        raise ValueError("only an approved sanction has a letter")
    effects = sanction.effects or {}
    start = sanction.effective_on
    last = sanction.ban.ends_on
    resident = sanction.resident
    subject = sanction.sample.subject_label
    sections: list[LetterSection] = []

    cancelled: list[tuple[str, ...]] = [
        (_("积分申报"), f"{c['reference']} {c['item']}", _("已取消"))
        for c in effects.get("claims_cancelled", [])
    ]
    cancelled += [
        (_("积分申报"), str(f["claim"]), _("认定的积分已撤销"))
        for f in effects.get("facts_reverted", [])
        if f.get("reverted")
    ]
    cancelled += [
        (_("场景申请"), f"{a['number']} {a['scene']}", _("资格已取消"))
        for a in effects.get("applications_revoked", [])
    ]
    cancelled += [
        (_("积分福利兑换成功证明"), f"{c['code']} {c['offer']}", _("已作废"))
        for c in effects.get("certificates_voided", [])
    ]
    sections.append(
        LetterSection(
            heading=_("一、取消当年积分申请兑换资格"),
            paragraphs=[
                _("自 %(start)s 起，取消您当年的积分申请兑换资格；已取得的入学、租赁补贴等资格一并取消。")
                % {"start": chinese_date(start)}
                + ("" if cancelled else _("经查，您目前没有需要取消的申报、申请或兑换。"))
            ],
            table=LetterTable((_("事项"), _("编号及名称"), _("处理")), cancelled) if cancelled else None,
        )
    )
    sections.append(
        LetterSection(
            heading=_("二、积分清零"),
            paragraphs=[
                _(
                    "您的积分自 %(start)s 起清零。限制期内您的积分均为 0 分；限制期满后，按届时经核实的材料重新计分，本次认定为虚假的材料不再计分。"
                )
                % {"start": chinese_date(start)}
            ],
        )
    )
    sections.append(
        LetterSection(
            heading=_("三、三年内不得申请积分制服务"),
            paragraphs=[
                _(
                    "%(start)s 至 %(end)s（含当日），您不得申请积分制服务，包括积分申报、积分入学、积分住房租赁补贴等场景申请和积分福利兑换。"
                    "自 %(free)s 起可以重新申请。"
                )
                % {
                    "start": chinese_date(start),
                    "end": chinese_date(last),
                    "free": chinese_date(last + timedelta(days=1)),
                }
            ],
        )
    )
    recoveries = list(sanction.recoveries.order_by("pk"))
    if recoveries:
        sections.append(
            LetterSection(
                heading=_("四、追回已领取的住房租赁补贴"),
                paragraphs=[
                    _("您以提供虚假材料的方式取得的住房租赁补贴予以追回，请按服务中心通知的方式和期限缴回：")
                ],
                table=LetterTable(
                    (_("计算依据"), _("应追回金额")),
                    [(r.basis, _yuan(r.amount_due)) for r in recoveries],
                ),
            )
        )
    return SanctionLetter(
        title=_("违规处理决定书"),
        number=_("瑞新居违〔%(year)d〕%(reference)s 号")
        % {"year": start.year, "reference": sanction.reference},
        salutation=_("%(name)s（身份证号 %(id)s）：")
        % {"name": resident.name, "id": resident.id_number_masked},
        opening=[
            _("经本中心抽查审核核实，您在“%(subject)s”中提供了虚假材料，事实如下：") % {"subject": subject},
            sanction.reason,
            _("依据%(basis)s，决定如下：") % {"basis": BASIS},
        ],
        sections=sections,
        closing=[
            _(
                "如对本决定有异议，可以自收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。"
            ),
            _("如需咨询，请携带本决定书和身份证件到居住地乡镇街道新居民服务窗口或本中心办理。"),
        ],
        issuer=ISSUER,
        issued_on=chinese_date(start),
        contact=OFFICE_CONTACT,
    )


def sanction_letter_pdf(sanction: Sanction) -> bytes:
    letter = sanction_letter(sanction)
    blocks: list[Block] = [
        Paragraph(letter.number, align_right=True),
        Paragraph(letter.salutation),
        *[Paragraph(text) for text in letter.opening],
    ]
    for section in letter.sections:
        blocks.append(Heading(section.heading, level=2))
        blocks += [Paragraph(text) for text in section.paragraphs]
        if section.table is not None:
            blocks.append(Table(header=section.table.header, rows=section.table.rows))
    blocks += [Gap(), *[Paragraph(text) for text in letter.closing], Gap(8)]
    blocks += [Paragraph(letter.issuer, align_right=True), Paragraph(letter.issued_on, align_right=True)]
    blocks += [Gap(), Paragraph(letter.contact, small=True)]
    return render_pdf(title=letter.title, blocks=blocks, author=ISSUER, footer=letter.number)
