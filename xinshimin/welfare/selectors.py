"""Reads of the welfare area. Visibility is part of each query: what a user may not see is never fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Provider, Role
from xinshimin.core.compiled import CompiledQuery
from xinshimin.core.errors import NotFound, ValidationFailed
from xinshimin.core.masking import mask_name
from xinshimin.residents.models import Resident

from .access import can_manage_offers
from .certificates import certificate_code_normalise, certificate_token
from .errors import OfferNotOpen
from .models import WINNERS_MIN_VISIBLE, Certificate, Offer, ServiceCard


def offer_list_public(*, at: datetime) -> QuerySet[Offer]:
    """Published offers a resident may care about at ``at``: upcoming, open, or with a winners list up."""
    return (
        Offer.objects.published()
        .filter(Q(closes_at__gte=at - WINNERS_MIN_VISIBLE) | Q(winners_visible_until__gte=at))
        .select_related("provider")
        .order_by("opens_at", "id")
    )


def offer_get_public(*, pk: Any, user: Any = None) -> Offer:
    """A published (or cancelled) offer with its provider; drafts only for the centre. ``NotFound``
    otherwise. For everyone but the centre (residents at an opening) the query is compiled once."""
    if can_manage_offers(user):
        try:
            return Offer.objects.select_related("provider").get(pk=pk)
        except (Offer.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("未找到该福利兑换活动。")) from None
    try:
        key = int(pk)
    except (ValueError, TypeError):
        key = -1
    rows = _PUBLIC_OFFER.rows(key) if 0 < key < 2**63 else []
    if not rows:
        raise NotFound(_("未找到该福利兑换活动。"))
    *values, provider_name = rows[0]
    offer = Offer.from_db(DEFAULT_DB_ALIAS, list(_OFFER_FIELDS), values)
    offer.provider = Provider.from_db(DEFAULT_DB_ALIAS, ["id", "name"], [offer.provider_id, provider_name])
    return offer


_OFFER_FIELDS = tuple(field.attname for field in Offer._meta.concrete_fields)


def _public_offer(pk: Any) -> QuerySet[Any]:
    return Offer.objects.filter(
        pk=pk, status__in=[Offer.Status.PUBLISHED, Offer.Status.CANCELLED]
    ).values_list(*_OFFER_FIELDS, "provider__name")


_PUBLIC_OFFER = CompiledQuery(_public_offer, placeholders=(918_273_645_123,))


def offer_list_managed(*, user: Any) -> QuerySet[Offer]:
    """Offers with their counts, for the centre (all) and provider staff (their provider's)."""
    rows = Offer.objects.select_related("provider").annotate(
        used=Count("redemptions", filter=Q(redemptions__certificate__used_at__isnull=False))
    )
    if can_manage_offers(user):
        return rows.order_by("-opens_at", "-id")
    if is_role(user, Role.PROVIDER) and user.provider_id:
        return (
            rows.filter(provider_id=user.provider_id).exclude(status=Offer.Status.DRAFT).order_by("-opens_at")
        )
    return rows.none()


def certificate_list_for(*, user: Any) -> QuerySet[Certificate]:
    """The certificates of the resident logged in as ``user`` (none for anyone else)."""
    if not is_role(user, Role.RESIDENT):
        return Certificate.objects.none()
    return (
        Certificate.objects.filter(redemption__resident__user_id=user.pk)
        .select_related("redemption__offer__provider")
        .order_by("-issued_at", "-id")
    )


def certificate_get_for_owner(*, user: Any, code: str) -> Certificate:
    try:
        clean = certificate_code_normalise(code)
        return certificate_list_for(user=user).select_related("redemption__resident").get(code=clean)
    except (Certificate.DoesNotExist, ValidationFailed):
        raise NotFound(_("未找到该兑换成功证明。")) from None


def certificate_token_for(certificate: Certificate) -> str:
    """The signed token of a certificate (masked holder data only)."""
    resident = certificate.redemption.resident
    return certificate_token(
        code=certificate.code,
        offer_id=certificate.redemption.offer_id,
        holder=resident.masked_name,
        holder_id=resident.id_number_masked,
    )


@dataclass(frozen=True)
class WinnerRow:
    order: int
    name: str
    id_number: str
    granted_at: datetime


def offer_winners(*, offer: Offer, at: datetime | None = None) -> list[WinnerRow]:
    """The public winners list (兑换成功名单), masked, in the order units were granted.

    Visible from the close of the opening until ``offer.winners_until`` (at least 3 days); before that
    ``OfferNotOpen`` says when it will be published, after it ``NotFound``.
    """
    at = at or timezone.now()
    if offer.status != Offer.Status.PUBLISHED:
        raise NotFound(_("该活动没有兑换成功名单。"))
    if at < offer.closes_at:
        raise OfferNotOpen(
            _("兑换成功名单将于兑换截止后（%(when)s）公示。")
            % {"when": timezone.localtime(offer.closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    if at > offer.winners_until:
        raise NotFound(_("该活动的兑换成功名单公示期已结束。如有疑问，请联系市新居民服务中心。"))
    rows = (
        Resident.objects.filter(redemptions__offer_id=offer.pk)
        .values_list("name", "id_number_masked", "redemptions__granted_at", "redemptions__id")
        .order_by("redemptions__granted_at", "redemptions__id")
    )
    return [
        WinnerRow(order=i, name=mask_name(name), id_number=masked_id, granted_at=granted_at)
        for i, (name, masked_id, granted_at, _pk) in enumerate(rows, start=1)
    ]


def service_card_list() -> QuerySet[ServiceCard]:
    return ServiceCard.objects.filter(is_active=True).order_by("order", "id")
