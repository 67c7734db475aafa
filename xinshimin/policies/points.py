"""Exact point arithmetic in integer quarter points.

Every point value of the rules is a multiple of 0.25, so the engine counts in quarters (``int``):
24 points are ``96`` quarters, 20.25 points are ``81``. Nothing here ever touches a binary float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

QUARTERS_PER_POINT = 4

_TWO_PLACES = ("00", "25", "50", "75")
_SHORT = ("", ".25", ".5", ".75")
_CENT = Decimal("0.01")


class NotQuarterPoints(ValueError):
    """A value that is not a whole number of quarter points (or not a number at all)."""


def to_quarters(value: object) -> int:
    """``"0.25"`` → 1, ``"24"`` → 96, ``Decimal("20.25")`` → 81, ``5`` → 20.

    Accepts ``int``, ``Decimal`` and decimal strings. Refuses floats and booleans (they are never exact
    enough to be trusted) and anything that is not a multiple of 0.25.
    """
    if isinstance(value, bool | float):
        raise NotQuarterPoints(f"{value!r} is not an exact decimal")
    if isinstance(value, int):
        return value * QUARTERS_PER_POINT
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise NotQuarterPoints(f"{value!r} is not a number") from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise NotQuarterPoints(f"{value!r} is not a number")
    if not number.is_finite():
        raise NotQuarterPoints(f"{value!r} is not a finite number")
    quarters = number * QUARTERS_PER_POINT
    if quarters != quarters.to_integral_value():
        raise NotQuarterPoints(f"{value} is not a multiple of 0.25")
    return int(quarters)


def from_quarters(quarters: int) -> Decimal:
    """96 → ``Decimal("24.00")``: two decimal places, ready for a ``DecimalField(decimal_places=2)``."""
    return (Decimal(quarters) / QUARTERS_PER_POINT).quantize(_CENT)


def format_points(quarters: int) -> str:
    """96 → ``"24.00"``, 81 → ``"20.25"``, -80 → ``"-20.00"`` (the exchange and display format)."""
    sign = "-" if quarters < 0 else ""
    whole, part = divmod(abs(quarters), QUARTERS_PER_POINT)
    return f"{sign}{whole}.{_TWO_PLACES[part]}"


def short_points(quarters: int) -> str:
    """96 → ``"24"``, 81 → ``"20.25"``, 2 → ``"0.5"``: how numbers read inside an explanation."""
    text = _SHORT_CACHE.get(quarters)
    if text is None:
        sign = "-" if quarters < 0 else ""
        whole, part = divmod(abs(quarters), QUARTERS_PER_POINT)
        text = f"{sign}{whole}{_SHORT[part]}"
        if len(_SHORT_CACHE) < 20_000:
            _SHORT_CACHE[quarters] = text
    return text


_SHORT_CACHE: dict[int, str] = {}


def short_decimal(value: Decimal | int) -> str:
    """``Decimal("12.50")`` → ``"12.5"``, ``Decimal("20000")`` → ``"20000"`` (never scientific notation)."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
