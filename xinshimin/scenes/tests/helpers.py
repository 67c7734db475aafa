"""Builders for scenes tests: scenes through the services, applicants with children, whole phases."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.residents.tests.factories import (
    DepartmentFactory,
    HouseholdMemberFactory,
    ResidentFactory,
    ReviewerFactory,
    make_id_number,
)
from xinshimin.scenes import services
from xinshimin.scenes.models import Application, Scene
from xinshimin.scoring.models import PolicyRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
_children = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    """A moment in Rui'an local time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def policy() -> PolicyRecord:
    return PolicyRecord.objects.get(version_id="ruian-2025.1")


def school_scene(*, code: str = "school-2025", publish: bool = True, **overrides: Any) -> Scene:
    """The 2025 school scene: apply March–April, review March–May 10, as of 30 April, top 30."""
    values: dict[str, Any] = {
        "actor": None,
        "code": code,
        "name": "2025年积分入学",
        "kind": Scene.Kind.SCHOOL,
        "year": 2025,
        "opens_at": at(2025, 3, 1, 0, 0),
        "closes_at": at(2025, 5, 1, 0, 0),
        "review_starts_on": dt.date(2025, 3, 1),
        "review_ends_on": dt.date(2025, 5, 10),
        "as_of": dt.date(2025, 4, 30),
        "policy": policy(),
        "quota": 500,
        "departments": ["education", "public_security", "hrss"],
    }
    values.update(overrides)
    scene = services.scene_create(**values)
    return services.scene_publish(actor=None, scene=scene) if publish else scene


def housing_scene(*, code: str = "housing-2025", publish: bool = True, **overrides: Any) -> Scene:
    """The 2025 housing subsidy: apply July–September, review to 5 December, as of 30 September."""
    values: dict[str, Any] = {
        "actor": None,
        "code": code,
        "name": "2025年积分住房租赁补贴",
        "kind": Scene.Kind.HOUSING,
        "year": 2025,
        "opens_at": at(2025, 7, 1, 0, 0),
        "closes_at": at(2025, 10, 1, 0, 0),
        "review_starts_on": dt.date(2025, 7, 1),
        "review_ends_on": dt.date(2025, 12, 5),
        "as_of": dt.date(2025, 9, 30),
        "policy": policy(),
        "quota": 200,
        "departments": ["housing", "public_security"],
    }
    values.update(overrides)
    scene = services.scene_create(**values)
    return services.scene_publish(actor=None, scene=scene) if publish else scene


_parents = itertools.count(1)


def parent(**kwargs: Any) -> Resident:
    """A resident with a login, born in 1990 (so the age item gives everyone the same 20 points)."""
    kwargs.setdefault("with_user", True)
    kwargs.setdefault(
        "id_number", make_id_number(next(_parents), born_from=dt.date(1990, 1, 1), span_days=300)
    )
    return ResidentFactory(**kwargs)


def child_of(resident: Resident, born: dt.date, **kwargs: Any) -> HouseholdMember:
    number = make_id_number(next(_children), born_from=born, span_days=1)
    return HouseholdMemberFactory(resident=resident, id_number=number, **kwargs)


def reviewer(department: str) -> Any:
    return ReviewerFactory(department=DepartmentFactory(code=department))


HOUSING_OK = {"no_home": True, "no_other_subsidy": True, "no_penalty": True, "prior_subsidy_years": 0}


def approve_all(application: Application, *, reason: str = "核查无误") -> None:
    for check in application.checks.all():
        services.check_decide(actor=None, check=check, passed=True, reason=reason)
