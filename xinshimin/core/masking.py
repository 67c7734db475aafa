"""Masking of personal data for every public list and for staff without a need to see it.

Names keep the surname (张*, 张**, 欧阳**); ID numbers keep at most the first 6 and last 4 characters;
phone numbers keep the first 3 and last 4 digits.
"""

from __future__ import annotations

# Compound surnames that keep two characters when a name is masked.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 "  # noqa: SIM905
    "夏侯 轩辕 令狐 钟离 端木 南宫 万俟 独孤 西门 申屠 太史 澹台".split()
)


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张**, 欧阳娜娜 → 欧阳**, 阿依古丽·买买提 → 阿*******."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


def mask_id_number(id_number: str) -> str:
    """330381199001011234 → 330381********1234."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
