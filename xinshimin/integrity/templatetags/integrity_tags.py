"""Template helpers of the integrity area: the workbench card numbers."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def integrity_workbench(user: Any) -> dict[str, Any]:
    """Numbers for the integrity cards on /workbench/ (auditors, the centre; a banned resident's ban)."""
    from xinshimin.integrity.gates import ban_message
    from xinshimin.integrity.selectors import workbench_numbers

    numbers = workbench_numbers(user)
    if numbers.get("ban") is not None:
        numbers["ban_message"] = ban_message(numbers["ban"])
    return numbers
