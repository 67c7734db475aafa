"""Writes of the welfare area: offers, redemptions, certificate use.

First come, first served is decided by the database: one short transaction inserts the redemption under
UNIQUE (offer, resident, n) and UNIQUE (resident, idempotency key), takes a unit with the conditional
``UPDATE offer SET remaining = remaining - 1 WHERE remaining > 0`` and issues the certificate; if any step
fails, nothing of it stays. The Python checks before it only give the person a precise answer early.

Redeeming never reads or writes points or rankings beyond the eligibility check (points > 0).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import require
from xinshimin.accounts.models import Provider
from xinshimin.audit.services import audit_record
from xinshimin.core.compiled import CompiledQuery
from xinshimin.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from xinshimin.integrity.gates import certificate_void_reason

from .access import can_check_certificates, can_manage_offers, can_redeem
from .certificates import certificate_code_new, certificate_code_normalise, certificate_token_verify
from .eligibility import resident_and_eligibility
from .errors import (
    AlreadyRedeemed,
    CertificateAlreadyUsed,
    CertificateExpired,
    CertificateVoid,
    IdempotencyKeyReused,
    NotEligible,
    OfferCancelled,
    OfferClosed,
    OfferNotOpen,
    SoldOut,
)
from .models import WINNERS_MIN_VISIBLE, Certificate, Offer, Redemption
from .selectors import offer_get_public

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,64}$")
PICTURE_MAX_BYTES = 2 * 1024 * 1024
TITLE_MAX_LENGTH = 100
MAX_PER_PERSON = 10
# Fields an offer may still change after publication (texts, picture and the later deadlines).
PUBLISHED_EDITABLE = frozenset(
    {"description", "instructions", "picture", "use_until", "winners_visible_until"}
)
OFFER_FIELDS = frozenset(
    {
        "title",
        "category",
        "description",
        "picture",
        "provider",
        "stock",
        "opens_at",
        "closes_at",
        "per_person_limit",
        "instructions",
        "use_until",
        "winners_visible_until",
    }
)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime) -> str:
    """Machine-readable time in the local zone (+08:00), for error details."""
    return timezone.localtime(moment).isoformat()


def _field_label(name: str) -> str:
    return str(getattr(Offer._meta.get_field(name), "verbose_name", name))


def _require_manage(actor: Any) -> None:
    require(can_manage_offers(actor), _("只有市新居民服务中心可以设置福利兑换活动。"))


# --- offers ------------------------------------------------------------------------------------------


def offer_values_check(values: dict[str, Any]) -> None:
    """Refuse impossible offers with a message per field (``values`` holds every field of the offer)."""
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        raise ValidationFailed(_("请填写活动名称。"), field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationFailed(_("活动名称最多 %(max)d 个字。") % {"max": TITLE_MAX_LENGTH}, field="title")
    values["title"] = title
    if not isinstance(values.get("provider"), Provider):
        raise ValidationFailed(_("请选择提供兑换物品的单位（福利提供方）。"), field="provider")
    stock = values.get("stock")
    if not isinstance(stock, int) or stock < 1:
        raise ValidationFailed(_("总数量至少为 1。"), field="stock")
    limit = values.get("per_person_limit", 1)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PER_PERSON:
        raise ValidationFailed(
            _("每人限兑数量应在 1 到 %(max)d 之间。") % {"max": MAX_PER_PERSON}, field="per_person_limit"
        )
    opens_at, closes_at = values.get("opens_at"), values.get("closes_at")
    if not isinstance(opens_at, datetime) or timezone.is_naive(opens_at):
        raise ValidationFailed(_("请填写开放兑换的日期和时间。"), field="opens_at")
    if not isinstance(closes_at, datetime) or timezone.is_naive(closes_at):
        raise ValidationFailed(_("请填写截止兑换的日期和时间。"), field="closes_at")
    if closes_at <= opens_at:
        raise ValidationFailed(_("截止兑换时间应晚于开放兑换时间。"), field="closes_at")
    winners_until = values.get("winners_visible_until")
    if winners_until is not None and winners_until < closes_at + WINNERS_MIN_VISIBLE:
        raise ValidationFailed(
            _("兑换成功名单公示期不得少于 3 天：请设为 %(min)s 或更晚，或留空（默认截止后 3 天）。")
            % {"min": _local(closes_at + WINNERS_MIN_VISIBLE)},
            field="winners_visible_until",
        )
    use_until = values.get("use_until")
    if use_until is not None and use_until <= closes_at:
        raise ValidationFailed(_("证明有效期应晚于截止兑换时间，或留空表示不限。"), field="use_until")
    picture = values.get("picture")
    if picture is None:
        values["picture"] = ""
    elif picture and getattr(picture, "size", 0) > PICTURE_MAX_BYTES:
        raise ValidationFailed(_("图片不能超过 2 MB，请压缩后再上传。"), field="picture")


def _offer_summary(offer: Offer) -> dict[str, Any]:
    return {
        "title": offer.title,
        "category": offer.category,
        "provider": offer.provider_id,
        "stock": offer.stock,
        "remaining": offer.remaining,
        "opens_at": offer.opens_at,
        "closes_at": offer.closes_at,
        "per_person_limit": offer.per_person_limit,
        "use_until": offer.use_until,
        "winners_visible_until": offer.winners_visible_until,
        "status": offer.status,
    }


def offer_create(*, actor: Any, **fields: Any) -> Offer:
    """A draft offer. Fields: title, provider, stock, opens_at, closes_at (required), category,
    description, picture, per_person_limit (default 1), instructions, use_until, winners_visible_until."""
    _require_manage(actor)
    unknown = sorted(set(fields) - OFFER_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(f)s。") % {"f": "、".join(unknown)}, field=unknown[0])
    values = {"per_person_limit": 1, **fields}
    offer_values_check(values)
    with transaction.atomic():
        offer = Offer(**values, remaining=values["stock"], created_by=actor, status=Offer.Status.DRAFT)
        offer.save()
        audit_record(actor=actor, action="welfare.offer_create", obj=offer, after=_offer_summary(offer))
    return offer


def offer_update(*, actor: Any, offer: Offer, **changes: Any) -> Offer:
    """Change a draft freely; a published offer only in its texts, picture and later deadlines."""
    _require_manage(actor)
    unknown = sorted(set(changes) - OFFER_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(f)s。") % {"f": "、".join(unknown)}, field=unknown[0])
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.CANCELLED:
            raise Conflict(_("该活动已取消，不能再修改。"))
        if locked.status == Offer.Status.PUBLISHED:
            frozen = sorted(
                key for key in set(changes) - PUBLISHED_EDITABLE if getattr(locked, key) != changes[key]
            )
            if frozen:
                raise Conflict(
                    _(
                        "活动已发布，数量、时间、提供方和限兑数量不能再改（%(f)s）；如确需调整，请取消后重新设置。"
                    )
                    % {"f": "、".join(_field_label(k) for k in frozen)},
                    field=frozen[0],
                )
            if "winners_visible_until" in changes:
                wanted = changes["winners_visible_until"]
                minimum = locked.closes_at + WINNERS_MIN_VISIBLE
                if max(wanted or minimum, minimum) < locked.winners_until:
                    raise Conflict(
                        _("已发布活动的名单公示期只能延长，不能缩短（当前公示至 %(until)s）。")
                        % {"until": _local(locked.winners_until)},
                        field="winners_visible_until",
                    )
        values = {key: getattr(locked, key) for key in OFFER_FIELDS}
        values.update(changes)
        offer_values_check(values)
        before = _offer_summary(locked)
        for key, value in values.items():
            setattr(locked, key, value)
        if locked.status == Offer.Status.DRAFT:
            locked.remaining = locked.stock
        locked.save()
        after = _offer_summary(locked)
        audit_record(
            actor=actor,
            action="welfare.offer_update",
            obj=locked,
            before={k: v for k, v in before.items() if before[k] != after[k]},
            after={k: v for k, v in after.items() if before[k] != after[k]},
            note="picture changed" if "picture" in changes else "",
        )
        transaction.on_commit(lambda: sold_out_forget(locked.pk))
    return locked


def offer_publish(*, actor: Any, offer: Offer, at: datetime | None = None) -> Offer:
    """Publish a draft: residents see it (with a countdown) and can redeem from ``opens_at``."""
    _require_manage(actor)
    at = at or timezone.now()
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status != Offer.Status.DRAFT:
            raise Conflict(
                _("只能发布草稿状态的活动；该活动当前为“%(s)s”。") % {"s": locked.get_status_display()}
            )
        if locked.closes_at <= at:
            raise Conflict(_("截止兑换时间已过，不能发布。请先修改开放和截止时间。"), field="closes_at")
        locked.status = Offer.Status.PUBLISHED
        locked.published_at = at
        locked.remaining = locked.stock
        locked.save(update_fields=["status", "published_at", "remaining"])
        audit_record(actor=actor, action="welfare.offer_publish", obj=locked, after=_offer_summary(locked))
    logger.info("welfare offer %s published", locked.pk)
    return locked


def offer_cancel(*, actor: Any, offer: Offer, reason: str, at: datetime | None = None) -> Offer:
    """Cancel an offer; certificates already issued become void (providers will refuse them)."""
    _require_manage(actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("请填写取消原因（将记入审计日志）。"), field="reason")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.CANCELLED:
            raise Conflict(_("该活动已于 %(when)s 取消。") % {"when": _local(locked.cancelled_at or at)})
        before = {"status": locked.status}
        locked.status = Offer.Status.CANCELLED
        locked.cancelled_at = at
        locked.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=actor,
            action="welfare.offer_cancel",
            obj=locked,
            before=before,
            after={"status": locked.status, "granted": locked.granted},
            note=reason,
        )
        transaction.on_commit(lambda: sold_out_forget(locked.pk, cancelled=True))
    return locked


# --- redemption --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    certificate: Certificate
    replayed: bool = False


class _NoUnitLeft(Exception):
    """Raised inside the transaction to roll back the inserted redemption when no unit was taken."""


def idempotency_key_clean(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key:
        raise ValidationFailed(
            _(
                "缺少幂等键（Idempotency-Key）：每次兑换请求都要带一个新的随机值（如 UUID），重试时沿用同一个值。"
            ),
            field="idempotency_key",
        )
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise ValidationFailed(
            _("幂等键（Idempotency-Key）应为 8–64 位字母、数字或 - _ . : 符号，建议使用 UUID。"),
            field="idempotency_key",
        )
    return key


def _earlier_query(user_id: Any, offer_id: Any, key: str) -> QuerySet[Any]:
    return (
        Redemption.objects.filter(resident__user_id=user_id)
        .filter(Q(offer_id=offer_id) | Q(idempotency_key=key))
        .order_by()
        .values_list("pk", "offer_id", "idempotency_key")
    )


# Asked by every redemption request that reaches the database: compiled once (xinshimin/core/compiled.py).
_EARLIER = CompiledQuery(
    _earlier_query, placeholders=(-918_273_645, -546_372_819, "~earlier-key-placeholder~")
)


def _earlier_redemptions(*, user: Any, offer: Offer, key: str) -> list[Redemption]:
    """The caller's redemptions of ``offer``, and the one made with ``key`` (any offer), so that a retry or a
    refusal after the sell-out needs no other lookup. One compiled query; the rows themselves (with what a
    replay's answer shows) are loaded only when there are any."""
    rows = _EARLIER.rows(user.pk, offer.pk, key)
    if not rows:
        return []
    return list(
        Redemption.objects.filter(pk__in=[row[0] for row in rows]).select_related(
            "certificate", "resident", "offer__provider"
        )
    )


def _replay_or_limit(*, earlier: list[Redemption], offer: Offer, key: str) -> RedemptionResult | int:
    """The earlier result for ``key``, or refuse above the limit, or the next slot number ``n``."""
    for row in earlier:
        if row.idempotency_key == key:
            if row.offer_id != offer.pk:
                raise IdempotencyKeyReused(
                    _("该幂等键已用于另一项兑换；新的兑换请求请使用新的幂等键。"), field="idempotency_key"
                )
            return RedemptionResult(redemption=row, certificate=row.certificate, replayed=True)
    held = sum(1 for row in earlier if row.offer_id == offer.pk)
    if held >= offer.per_person_limit:
        raise AlreadyRedeemed(
            _("您已兑换过该活动（每人限兑 %(limit)d 份），请在“我的兑换证明”中查看。")
            % {"limit": offer.per_person_limit},
            limit=offer.per_person_limit,
        )
    return held + 1


def _refuse_outside_window(offer: Offer, at: datetime) -> None:
    if offer.status == Offer.Status.CANCELLED:
        raise OfferCancelled(_("该福利兑换活动已取消。"))
    if offer.status != Offer.Status.PUBLISHED:
        raise NotFound(_("未找到该福利兑换活动。"))
    if at < offer.opens_at:
        raise OfferNotOpen(
            _("兑换尚未开始，将于 %(when)s 开放，请届时再来。") % {"when": _local(offer.opens_at)},
            opens_at=_iso(offer.opens_at),
        )
    if at >= offer.closes_at:
        raise _closed(offer.closes_at)


def _closed(closes_at: datetime) -> OfferClosed:
    return OfferClosed(
        _("兑换已于 %(when)s 截止。请关注“瑞安新居民”公众号获取下一次活动预告。")
        % {"when": _local(closes_at)},
        closes_at=_iso(closes_at),
    )


def _sold_out_message(title: str, stock: int) -> SoldOut:
    return SoldOut(
        _("很遗憾，“%(title)s”已兑完（共 %(stock)d 份）。兑换不扣积分，欢迎参加下一次活动。")
        % {"title": title, "stock": stock}
    )


def _sold_out(offer: Offer, *, at: datetime) -> SoldOut:
    sold_out_remember(offer, at=at)
    return _sold_out_message(offer.title, offer.stock)


# --- the sold-out answer from the cache -------------------------------------------------------------------
# At the opening instant almost every request arrives after the last unit is gone (bench/README-welfare.md).
# Once the database has said "remaining = 0" — final: units are never given back — the offer's answer is
# kept in the shared cache together with the logins that hold one of its units, read from the database
# *after* that 0 (each unit's redemption commits with its decrement, so the list is complete and can
# never grow). A later request from anyone else is then answered "sold out" (or "closed", after the
# closing time) from one cache read, without touching the database: exactly what the database path would
# answer, since it answers sold out before looking at eligibility. Holders, and everything when the entry
# is missing, take the database path (replays, the per-person limit). Cancelling an offer replaces the
# entry by a "cancelled" mark that a late writer cannot overwrite (``cache.add``); changing its texts
# drops it. Only with a cache shared by every worker (Redis: ``XINSHIMIN_WELFARE_SOLD_OUT_CACHE``).

_SOLD_OUT_CANCELLED = "cancelled"


def _sold_out_key(offer_id: Any) -> str:
    return f"welfare:sold-out:{offer_id}"


def _sold_out_cache_on() -> bool:
    return bool(getattr(settings, "XINSHIMIN_WELFARE_SOLD_OUT_CACHE", False))


def _sold_out_timeout(closes_at: datetime, at: datetime) -> int:
    """Until an hour after closing (then the database answers "closed"), at most 8 days."""
    return max(60, min(int((closes_at - at + timedelta(hours=1)).total_seconds()), 8 * 24 * 3600))


# Each worker also keeps an entry it has read for a moment (an entry never changes, it can only be replaced
# by "cancelled" or dropped), so most requests after the sell-out need no cache round trip either: a
# cancellation or a text change reaches every worker within ``_LOCAL_SECONDS``.
_LOCAL: dict[str, tuple[float, Any]] = {}
_LOCAL_SECONDS = 2.0
_LOCAL_MISS_SECONDS = 0.5


def _sold_out_entry(offer_id: Any) -> Any:
    key = _sold_out_key(offer_id)
    now = time.monotonic()
    held = _LOCAL.get(key)
    if held is not None and held[0] > now:
        return held[1]
    entry = cache.get(key)
    if len(_LOCAL) >= 1000:
        _LOCAL.clear()
    # A miss is remembered for a shorter moment: meanwhile the database answers, which is always right.
    _LOCAL[key] = (now + (_LOCAL_SECONDS if entry is not None else _LOCAL_MISS_SECONDS), entry)
    return entry


def sold_out_memo_clear() -> None:
    """Forget this worker's copies (tests, after clearing the cache)."""
    _LOCAL.clear()


def sold_out_remember(offer: Offer, *, at: datetime) -> None:
    """Called by the database path once it has read ``remaining = 0`` for ``offer`` (see above)."""
    if not _sold_out_cache_on() or cache.get(_sold_out_key(offer.pk)) is not None:
        return
    holders = frozenset(
        Redemption.objects.filter(offer_id=offer.pk, resident__user_id__isnull=False).values_list(
            "resident__user_id", flat=True
        )
    )
    entry = {"title": offer.title, "stock": offer.stock, "closes_at": offer.closes_at, "holders": holders}
    key = _sold_out_key(offer.pk)
    if cache.add(key, entry, _sold_out_timeout(offer.closes_at, at)):
        _LOCAL[key] = (time.monotonic() + _LOCAL_SECONDS, entry)
    else:
        _LOCAL.pop(key, None)  # someone else's entry (or "cancelled"): read it next time


def sold_out_forget(offer_id: Any, *, cancelled: bool = False) -> None:
    _LOCAL.pop(_sold_out_key(offer_id), None)
    if cancelled:
        cache.set(_sold_out_key(offer_id), _SOLD_OUT_CANCELLED, 8 * 24 * 3600)
    else:
        cache.delete(_sold_out_key(offer_id))


def sold_out_refusal(*, offer_id: Any, user_id: Any, at: datetime) -> DomainError | None:
    """The refusal the database path would give, from the cache alone; None: ask the database."""
    if not _sold_out_cache_on():
        return None
    entry = _sold_out_entry(offer_id)
    if entry is None:
        return None
    if entry == _SOLD_OUT_CANCELLED:
        return OfferCancelled(_("该福利兑换活动已取消。"))
    if user_id in entry["holders"]:
        return None  # a replay or the per-person limit: the database answers
    if at >= entry["closes_at"]:
        return _closed(entry["closes_at"])
    return _sold_out_message(entry["title"], entry["stock"])


def offer_redeem_by_id(
    *, actor: Any, offer_id: Any, idempotency_key: str | None, at: datetime | None = None
) -> RedemptionResult:
    """``offer_redeem`` of the offer with id ``offer_id`` that ``actor`` may see (``NotFound`` otherwise);
    after the sell-out, other residents' requests are answered from the cache (see above)."""
    key, at = _redeem_request(actor, idempotency_key, at)
    answer = sold_out_refusal(offer_id=offer_id, user_id=actor.pk, at=at)
    if answer is not None:
        raise answer
    return _redeem(actor=actor, offer=offer_get_public(pk=offer_id, user=actor), key=key, at=at)


def _redeem_request(actor: Any, idempotency_key: str | None, at: datetime | None) -> tuple[str, datetime]:
    """Who may redeem, and a usable key: checked once, before any lookup."""
    require(can_redeem(actor), _("积分福利只能由新市民本人登录后兑换。"))
    return idempotency_key_clean(idempotency_key), at or timezone.now()


def _maybe_async_commit() -> None:
    """With ``XINSHIMIN_WELFARE_ASYNC_COMMIT`` on PostgreSQL, this transaction's COMMIT does not wait for
    the WAL flush, so the offer's row lock is released sooner (see bench/README-welfare.md). Atomicity
    and order are unchanged (no oversell); a server crash may lose the last fraction of a second of
    acknowledged redemptions. Off by default."""
    if getattr(settings, "XINSHIMIN_WELFARE_ASYNC_COMMIT", False) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def offer_redeem(
    *, actor: Any, offer: Offer, idempotency_key: str | None, at: datetime | None = None
) -> RedemptionResult:
    """Redeem one unit of ``offer`` for the resident logged in as ``actor``, first come first served.

    Returns the redemption and its certificate (``replayed`` when the same key was granted before), or
    raises: ``OfferNotOpen`` (with the opening time), ``OfferClosed``, ``OfferCancelled``, ``SoldOut``,
    ``NotEligible`` (with the reason), ``AlreadyRedeemed``, ``IdempotencyKeyReused``, ``ValidationFailed``
    (no or bad key), ``PermissionDenied`` (not a resident).
    """
    key, at = _redeem_request(actor, idempotency_key, at)
    return _redeem(actor=actor, offer=offer, key=key, at=at)


def _redeem(*, actor: Any, offer: Offer, key: str, at: datetime) -> RedemptionResult:
    # Cheapest answers first: at the opening instant most requests are retries or come after the sell-out.
    earlier = _earlier_redemptions(user=actor, offer=offer, key=key)
    slot = _replay_or_limit(earlier=earlier, offer=offer, key=key)
    if isinstance(slot, RedemptionResult):
        return slot
    _refuse_outside_window(offer, at)
    if offer.remaining <= 0:  # units are never given back, so a 0 read at any time is final
        raise _sold_out(offer, at=at)
    resident, eligibility = resident_and_eligibility(user=actor, offer=offer, at=at)
    if resident is None:
        raise PermissionDenied(_("您的账户尚未关联新市民档案，请到乡镇街道新居民服务窗口办理关联后再兑换。"))
    if not eligibility.ok:
        raise NotEligible(eligibility.reason, reason=eligibility.code)

    for _attempt in range(3):
        try:
            with transaction.atomic():
                _maybe_async_commit()
                redemption = Redemption.objects.create(
                    offer=offer, resident=resident, n=slot, idempotency_key=key, granted_at=at
                )
                certificate = Certificate.objects.create(
                    redemption=redemption, code=certificate_code_new(), issued_at=at
                )
                # The unit is taken last: the offer's row stays locked only for this UPDATE, the audit
                # append and the commit (every redemption of the offer queues on that lock).
                taken = Offer.objects.filter(
                    pk=offer.pk, status=Offer.Status.PUBLISHED, remaining__gt=0
                ).update(remaining=F("remaining") - 1)
                if not taken:
                    raise _NoUnitLeft
                audit_record(
                    actor=actor,
                    action="welfare.redeem",
                    obj=redemption,
                    after={
                        "offer": offer.pk,
                        "resident": resident.pk,
                        "holder": resident.masked_name,
                        "n": slot,
                        "certificate": certificate.pk,
                    },
                )
        except _NoUnitLeft:
            fresh = Offer.objects.only("status", "remaining", "stock", "title", "closes_at").get(pk=offer.pk)
            if fresh.status == Offer.Status.CANCELLED:
                raise OfferCancelled(_("该福利兑换活动已取消。")) from None
            raise _sold_out(fresh, at=at) from None
        except IntegrityError:
            # A concurrent request of the same resident won a slot or the key (or, once in 10^14, a
            # certificate code collided): look again and answer from what is now committed.
            earlier = _earlier_redemptions(user=actor, offer=offer, key=key)
            slot = _replay_or_limit(earlier=earlier, offer=offer, key=key)
            if isinstance(slot, RedemptionResult):
                return slot
            continue
        offer.remaining = max(offer.remaining - 1, 0)
        return RedemptionResult(redemption=redemption, certificate=certificate)
    raise Conflict(_("兑换请求处理冲突，请稍后用同一个请求重试。"))


# --- certificates ------------------------------------------------------------------------------------


def _certificate_for_provider(actor: Any, code: str) -> Certificate:
    try:
        return Certificate.objects.select_related(
            "redemption__offer__provider", "redemption__resident", "used_by__provider"
        ).get(code=code, redemption__offer__provider_id=actor.provider_id)
    except Certificate.DoesNotExist:
        raise NotFound(
            _("未找到兑换码 %(code)s，或它不是本单位活动的兑换成功证明。请核对兑换码。")
            % {"code": f"{code[:5]}-{code[5:]}"},
            field="code",
        ) from None


def certificate_code_from(*, code: str | None = None, token: str | None = None) -> str:
    """The normalised code from a typed code or a scanned token (the token's signature is checked)."""
    if token:
        return certificate_token_verify(token).code
    return certificate_code_normalise(code or "")


def _already_used(certificate: Certificate) -> CertificateAlreadyUsed:
    assert certificate.used_at is not None
    return CertificateAlreadyUsed(
        _("该兑换成功证明已于 %(when)s 核销（核销人：%(who)s），不能重复使用。")
        % {"when": _local(certificate.used_at), "who": certificate.used_by_label},
        used_at=_iso(certificate.used_at),
        used_by=certificate.used_by_label,
    )


def certificate_check(*, actor: Any, code: str | None = None, token: str | None = None) -> Certificate:
    """Look a certificate up for provider staff (their own provider's offers only); nothing is changed."""
    require(can_check_certificates(actor), _("只有福利提供方的核销人员可以核验兑换成功证明。"))
    return _certificate_for_provider(actor, certificate_code_from(code=code, token=token))


def certificate_use(
    *, actor: Any, code: str | None = None, token: str | None = None, at: datetime | None = None
) -> Certificate:
    """Mark a certificate used, once. A second use is refused with when and by whom it was used.

    The conditional ``UPDATE … WHERE used_at IS NULL`` decides: of any number of concurrent scans of one
    certificate, exactly one marks it.
    """
    certificate = certificate_check(actor=actor, code=code, token=token)
    at = at or timezone.now()
    offer = certificate.redemption.offer
    if offer.status == Offer.Status.CANCELLED:
        raise CertificateVoid(_("该活动已取消，此兑换成功证明作废，不能核销。"))
    void_reason = certificate_void_reason(certificate)  # integrity: voided by a fraud sanction
    if void_reason is not None:
        raise CertificateVoid(void_reason)
    if certificate.is_used:
        raise _already_used(certificate)
    if offer.use_until is not None and at > offer.use_until:
        raise CertificateExpired(
            _("该兑换成功证明的有效期已于 %(when)s 截止，不能再核销。") % {"when": _local(offer.use_until)}
        )
    label = (
        f"{actor.get_full_name() or actor.get_username()}（{actor.get_username()}）· {offer.provider.name}"
    )
    with transaction.atomic():
        marked = Certificate.objects.filter(pk=certificate.pk, used_at__isnull=True).update(
            used_at=at, used_by=actor, used_by_label=label[:200]
        )
        if marked:
            audit_record(
                actor=actor,
                action="welfare.certificate_use",
                obj=certificate,
                after={"offer": offer.pk, "provider": offer.provider_id, "used_at": at},
            )
    if not marked:
        raise _already_used(Certificate.objects.get(pk=certificate.pk))
    certificate.used_at, certificate.used_by, certificate.used_by_label = at, actor, label[:200]
    return certificate
