"""ORM queries compiled once, run as SQL: for the few hottest reads (the welfare redemption path).

Turning a queryset into SQL costs Django ~1–3 ms of CPU for a query with subqueries, much more than
PostgreSQL takes to answer it (bench/README-welfare.md). ``CompiledQuery`` builds the queryset once with
placeholder values for its parameters, keeps the SQL and the parameter list, and on each call puts the real
values where the placeholders were. The query is still written once, with the ORM and the shared query
methods (permits that count, bans in force …), so its rules cannot drift from the rest of the code.

Placeholders are matched by value: choose values that cannot occur as constants in the query (the
constructor checks that each one occurs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

Slot = tuple[int, Callable[[Any], Any]] | None  # (placeholder index, how the backend wrote its value)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list[Slot]
    constants: tuple[Any, ...]
    converters: list[tuple[int, tuple[list[Any], Any]]]


class CompiledQuery:
    """``CompiledQuery(build, placeholders)``: ``build(*placeholders)`` returns the queryset (a ``values_list``
    for plain rows); ``rows(*values)`` runs it with ``values`` in their place and returns the rows as
    ``values_list`` would (the fields' converters applied)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], placeholders: Sequence[Any]) -> None:
        self._build = build
        self._placeholders = tuple(placeholders)
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build(*self._placeholders).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [self._slot(value) for value in params]
        missing = set(range(len(self._placeholders))) - {slot[0] for slot in slots if slot is not None}
        if missing:
            raise ValueError(f"placeholders {sorted(missing)} do not occur in the compiled query")
        # The field converters the ORM would apply (dates from SQLite's text, decimals, booleans …).
        converters = list(
            compiler.get_converters([column for column, _sql, _alias in compiler.select]).items()
        )
        return _Compiled(sql, slots, tuple(params), converters)

    def _slot(self, value: Any) -> Slot:
        for index, placeholder in enumerate(self._placeholders):
            if type(value) is type(placeholder) and value == placeholder:
                return index, _as_is
            if isinstance(value, type(placeholder)) and value == placeholder:
                return index, type(value)  # the driver's typed wrapper (psycopg's Int4 for an integer field)
            if (
                isinstance(value, str)
                and hasattr(placeholder, "isoformat")
                and value == placeholder.isoformat()
            ):
                return index, _isoformat  # SQLite's backend binds dates as text
        return None

    def rows(self, *values: Any, using: str = "default") -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = [
            constant if slot is None else slot[1](values[slot[0]])
            for constant, slot in zip(compiled.constants, compiled.slots, strict=True)
        ]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in map(list, rows):
            for position, (functions, expression) in compiled.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


def _as_is(value: Any) -> Any:
    return value


def _isoformat(value: Any) -> Any:
    return value.isoformat()
