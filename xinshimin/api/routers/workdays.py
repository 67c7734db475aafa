from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from xinshimin.workdays.calendar import add_working_days, working_days_between

router = Router(tags=["workdays"])


class DeadlineOut(Schema):
    start: dt.date
    working_days: int
    deadline: dt.date


class CountOut(Schema):
    start: dt.date
    end: dt.date
    working_days: int


@router.get("/deadline", auth=None, response=DeadlineOut)
def deadline(request: HttpRequest, start: dt.date, working_days: int) -> DeadlineOut:
    """The date ``working_days`` working days after ``start`` on the official calendar (public)."""
    return DeadlineOut(start=start, working_days=working_days, deadline=add_working_days(start, working_days))


@router.get("/count", auth=None, response=CountOut)
def count(request: HttpRequest, start: dt.date, end: dt.date) -> CountOut:
    """How many working days lie after ``start`` up to and including ``end`` (public)."""
    return CountOut(start=start, end=end, working_days=working_days_between(start, end))
