"""Errors of the policies package. Pure Python: they build on ``xinshimin.core.errors`` (no Django)."""

from __future__ import annotations

from collections.abc import Sequence

from xinshimin.core.errors import ValidationFailed


class PolicyDocumentError(ValidationFailed):
    """A policy document is not valid. ``problems`` lists every problem found, one line each."""

    code = "invalid_policy"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("积分政策文件有误：\n" + "\n".join(f"- {p}" for p in self.problems))


class ExchangeError(ValidationFailed):
    """A line of the data-exchange format is not valid. ``field`` names the field (``volunteer[0].hours``)."""

    code = "invalid_exchange"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else str(self.message)
