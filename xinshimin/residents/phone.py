"""Mainland China mobile numbers (11 digits, ``1[3-9]`` then 9 digits).

``parse_phone`` accepts what people type (``+86``/``0086``/``86`` prefixes, spaces, dashes, brackets,
full-width digits) and returns the 11 bare digits, or raises ``InvalidPhone`` saying what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from xinshimin.core.errors import ValidationFailed

PHONE_RE = re.compile(r"1[3-9]\d{9}")

# Full-width digits and plus → ASCII.
_NORMALISE = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "＋": "+"})
# Separators people put between digit groups.
_SEPARATORS = re.compile(r"[\s\u3000\-‐‑–—－()（）.．]")


class InvalidPhone(ValidationFailed):
    """The text is not a mainland mobile number."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, field="phone", **details)


def normalise_phone(raw: str) -> str:
    """Drop separators and a country prefix (+86, 0086, 86). Does not validate."""
    value = _SEPARATORS.sub("", (raw or "").translate(_NORMALISE))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    if len(value) == 13 and value.startswith("86"):
        return value[2:]
    return value


def parse_phone(raw: str) -> str:
    """The 11-digit mobile number in ``raw``, or ``InvalidPhone`` naming the problem."""
    value = normalise_phone(raw)
    if not value:
        raise InvalidPhone(_("请输入手机号码。"))
    bad = next((ch for ch in value if not ("0" <= ch <= "9")), None)
    if bad is not None:
        raise InvalidPhone(_("手机号码只能包含数字，请删除其中的“%(char)s”。") % {"char": bad})
    if len(value) != 11:
        raise InvalidPhone(
            _("手机号码应为11位，您输入了%(count)d位。") % {"count": len(value)}, length=len(value)
        )
    if not PHONE_RE.fullmatch(value):
        raise InvalidPhone(
            _("请填写中国大陆手机号码（以13至19开头），您输入的号码以 %(start)s 开头。")
            % {"start": value[:2]}
        )
    return value


def is_valid_phone(raw: str) -> bool:
    try:
        parse_phone(raw)
    except InvalidPhone:
        return False
    return True
