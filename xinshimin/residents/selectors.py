"""Reads of residents. Visibility is part of the query: a row a user may not see is never fetched."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from xinshimin.accounts.models import Town
from xinshimin.core.errors import NotFound

from .idnumber import InvalidIdNumber, normalise_id_number, parse_id_number
from .models import ResidencePermit, Resident, ResidentQuerySet
from .personal_data import id_number_index, phone_index
from .phone import InvalidPhone, parse_phone


def resident_list(
    *, visible_to: Any, town: Town | str | None = None, search: str | None = None
) -> ResidentQuerySet:
    """Residents ``visible_to`` may see, optionally in one town (a Town or its code) and matching ``search``.

    ``search`` is an exact full ID number or mobile number (looked up through the blind index), an exact
    permit number, or part of a name.
    """
    rows = Resident.objects.visible_to(visible_to).select_related("town")
    if isinstance(town, Town):
        rows = rows.filter(town=town)
    elif town:
        rows = rows.filter(town__code=town)
    term = (search or "").strip()
    if term:
        rows = rows.filter(_search_condition(term))
    return rows


def _search_condition(term: str) -> Q:
    try:
        return Q(id_number_index=id_number_index(parse_id_number(term).value))
    except InvalidIdNumber:
        pass
    try:
        return Q(phone_index=phone_index(parse_phone(term)))
    except InvalidPhone:
        pass
    permit = ResidencePermit.objects.filter(resident_id=OuterRef("pk"), number=term.upper())
    return Q(name__contains=term) | Q(Exists(permit))


def resident_get(*, visible_to: Any, pk: Any) -> Resident:
    """One resident ``visible_to`` may see, or ``NotFound`` (also when it exists but is hidden)."""
    try:
        return Resident.objects.visible_to(visible_to).select_related("town", "user").get(pk=pk)
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该新市民，或您无权查看。")) from None


def resident_find_by_id_number(id_number: str) -> Resident | None:
    """The resident with this exact ID number, for system use (imports, data feeds); no visibility check.

    Spaces, full-width characters and a lower-case x are tolerated; an invalid number finds no one.
    """
    value = normalise_id_number(id_number)
    if len(value) != 18:
        return None
    return Resident.objects.select_related("town").filter(id_number_index=id_number_index(value)).first()


def resident_for_user(user: Any) -> Resident | None:
    """The resident record linked to a login, or None (anonymous, staff, or not linked)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Resident.objects.select_related("town").filter(user_id=user.pk).first()
