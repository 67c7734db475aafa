"""Personal names as written on a resident identity card: Chinese characters and the middle dot.

Names of 2 to 20 characters made of CJK ideographs (every extension, incl. the rare characters of
Extension B and later that some people's names need) and the middle dot ``·`` that separates the parts
of a transliterated name (阿依古丽·买买提). Look-alike dots (•, ・, ‧, ･) become ``·``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from xinshimin.core.errors import ValidationFailed

NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 20
MIDDLE_DOT = "\u00b7"

_DOT_LOOKALIKES = str.maketrans(
    {"\u2022": MIDDLE_DOT, "\u30fb": MIDDLE_DOT, "\u2027": MIDDLE_DOT, "\uff65": MIDDLE_DOT}
)

# Code point ranges of CJK ideographs (Unicode 15.1).
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3007, 0x3007),  # 〇, used as a character in some names
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # Unified Ideographs
    (0xF900, 0xFAFF),  # Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2B73F),  # Extension C
    (0x2B740, 0x2B81F),  # Extension D
    (0x2B820, 0x2CEAF),  # Extension E
    (0x2CEB0, 0x2EBEF),  # Extension F
    (0x2EBF0, 0x2EE5F),  # Extension I
    (0x2F800, 0x2FA1F),  # Compatibility Ideographs Supplement
    (0x30000, 0x3134F),  # Extension G
    (0x31350, 0x323AF),  # Extension H
)


class InvalidName(ValidationFailed):
    """The text is not a name as written on an identity card."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, field="name", **details)


def is_cjk_ideograph(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _CJK_RANGES)


def normalise_name(raw: str) -> str:
    """Drop spaces (names on ID cards have none) and turn look-alike dots into ``·``."""
    return "".join((raw or "").split()).translate(_DOT_LOOKALIKES)


def parse_name(raw: str) -> str:
    """The normalised name, or ``InvalidName`` naming the problem."""
    name = normalise_name(raw)
    if not name:
        raise InvalidName(_("请输入姓名。"))
    for char in name:
        if char != MIDDLE_DOT and not is_cjk_ideograph(char):
            raise InvalidName(
                _("姓名中的“%(char)s”不是汉字。姓名请按身份证填写，只能包含汉字和间隔号“·”。")
                % {"char": char}
            )
    if name.startswith(MIDDLE_DOT) or name.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in name:
        raise InvalidName(_("间隔号“·”只能写在两个字之间，不能在开头、结尾或连续使用。"))
    if len(name) < NAME_MIN_LENGTH:
        raise InvalidName(
            _("姓名至少%(min)d个字，您输入了%(count)d个字。") % {"min": NAME_MIN_LENGTH, "count": len(name)}
        )
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(
            _("姓名最多%(max)d个字，您输入了%(count)d个字。") % {"max": NAME_MAX_LENGTH, "count": len(name)}
        )
    return name
