from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from xinshimin.api.pagination import LimitOffsetPagination
from xinshimin.residents.models import Resident
from xinshimin.residents.selectors import resident_get, resident_list
from xinshimin.residents.services import resident_reveal_personal_data

router = Router(tags=["residents"])


class PermitOut(Schema):
    number: str
    status: str
    issued_on: dt.date
    valid_until: dt.date
    issuing_town: str


class ResidentOut(Schema):
    id: int
    name_masked: str
    id_number_masked: str
    phone_masked: str
    birth_date: dt.date
    sex: str
    town: str
    employer: str

    @staticmethod
    def resolve_name_masked(obj: Resident) -> str:
        return obj.masked_name

    @staticmethod
    def resolve_town(obj: Resident) -> str:
        return obj.town.name


class ResidentDetailOut(ResidentOut):
    permits: list[PermitOut]

    @staticmethod
    def resolve_permits(obj: Resident) -> list[PermitOut]:
        return [
            PermitOut(
                number=p.number,
                status=p.status,
                issued_on=p.issued_on,
                valid_until=p.valid_until,
                issuing_town=p.issuing_town.name,
            )
            for p in obj.permits.select_related("issuing_town").order_by("-issued_on")
        ]


class RevealIn(Schema):
    field: Literal["id_number", "phone"]


class RevealOut(Schema):
    field: str
    value: str


@router.get("", response=list[ResidentOut])
@paginate(LimitOffsetPagination)
def list_residents(request: HttpRequest, town: str | None = None) -> QuerySet[Resident]:
    """Residents the caller may see: a resident only themself, a clerk their town, the centre everyone."""
    return resident_list(visible_to=request.user, town=town).select_related("town").order_by("pk")


@router.get("/{resident_id}", response=ResidentDetailOut)
def get_resident(request: HttpRequest, resident_id: int) -> Resident:
    return resident_get(visible_to=request.user, pk=resident_id)


@router.post("/{resident_id}/reveal", response=RevealOut)
def reveal(request: HttpRequest, resident_id: int, payload: RevealIn) -> RevealOut:
    """Show a full ID number or phone to staff whose role needs it; every reveal is audited."""
    resident = resident_get(visible_to=request.user, pk=resident_id)
    value = resident_reveal_personal_data(actor=request.user, resident=resident, field=payload.field)
    return RevealOut(field=payload.field, value=value)
