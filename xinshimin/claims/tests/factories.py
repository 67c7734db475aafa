"""Test data for claims: people of every role around one resident, and a claim factory through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from xinshimin.accounts.models import User
from xinshimin.claims.models import Claim
from xinshimin.claims.services import claim_file
from xinshimin.residents.models import Resident
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ClerkFactory,
    DepartmentFactory,
    ResidentFactory,
    ReviewerFactory,
    TownFactory,
)

from .helpers import photo

VOLUNTEER = [{"date": "2024-05-01", "hours": 25}]


@dataclass
class World:
    resident: Resident
    other: Resident
    hrss: User
    hrss2: User
    volunteer: User
    volunteer2: User
    education: User
    clerk: User
    clerk_elsewhere: User
    centre: User


def make_world() -> World:
    anyang, tangxia = TownFactory(code="anyang"), TownFactory(code="tangxia")
    return World(
        resident=ResidentFactory(town=anyang, with_user=True, id_number="522401199203154513"),
        other=ResidentFactory(town=tangxia, with_user=True),
        hrss=ReviewerFactory(department=DepartmentFactory(code="hrss")),
        hrss2=ReviewerFactory(department=DepartmentFactory(code="hrss")),
        volunteer=ReviewerFactory(department=DepartmentFactory(code="volunteer")),
        volunteer2=ReviewerFactory(department=DepartmentFactory(code="volunteer")),
        education=ReviewerFactory(department=DepartmentFactory(code="education")),
        clerk=ClerkFactory(town=anyang),
        clerk_elsewhere=ClerkFactory(town=tangxia),
        centre=CentreAdminFactory(),
    )


def file_claim(
    resident: Resident,
    *,
    item_code: str = "local.volunteer",
    kind: str = "claim",
    value: Any = None,
    today: dt.date | None = None,
    statement: str = "",
    files: Any = None,
) -> Claim:
    return claim_file(
        actor=resident.user,
        resident=resident,
        kind=kind,
        item_code=item_code,
        value=VOLUNTEER if value is None else value,
        statement=statement or ("该记录有误，请核实。" if kind == "dispute" else ""),
        files=[photo()] if files is None else files,
        today=today,
    )
