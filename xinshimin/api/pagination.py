"""Limit/offset pagination with bounds the database can take: ninja's own leaves ``offset`` unbounded, and
``?offset=10**30`` then fails in SQL ("bigint out of range") with a server error instead of a 422."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as _NinjaLimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class LimitOffsetPagination(_NinjaLimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
