"""Django admin for the centre: offers (through the services, so rules and audit apply), the service
directory, and read-only redemptions and certificates for supervising fulfilment.

Access is decided by role (``can_manage_offers``), not by Django model permissions. Nothing is deleted
here: offers are cancelled, redemptions and certificates are kept for the audit trail.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xinshimin.core.errors import DomainError, ValidationFailed

from .access import can_manage_offers
from .models import Certificate, Offer, Redemption, ServiceCard
from .services import (
    OFFER_FIELDS,
    PUBLISHED_EDITABLE,
    offer_create,
    offer_publish,
    offer_update,
    offer_values_check,
)


class CentreAdmin(admin.ModelAdmin[Any]):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_offers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_offers(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_offers(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_offers(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyCentreAdmin(CentreAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfferForm(forms.ModelForm[Offer]):
    class Meta:
        model = Offer
        fields = sorted(OFFER_FIELDS)

    def clean(self) -> dict[str, Any]:
        """The service's own checks, shown next to the field they concern."""
        cleaned = super().clean() or {}
        values = {key: getattr(self.instance, key, None) for key in OFFER_FIELDS}
        values.update({key: value for key, value in cleaned.items() if key in OFFER_FIELDS})
        if values.get("picture") is False:
            values["picture"] = ""
        try:
            offer_values_check(values)
        except ValidationFailed as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


@admin.register(Offer)
class OfferAdmin(CentreAdmin):
    form = OfferForm
    list_display = ("title", "provider", "status", "opens_at", "closes_at", "stock", "remaining")
    list_filter = ("status", "category", "provider")
    search_fields = ("title",)
    date_hierarchy = "opens_at"
    actions = ["publish_selected"]
    fieldsets = (
        (None, {"fields": ("title", "category", "provider", "description", "picture")}),
        (_("兑换规则"), {"fields": ("stock", "per_person_limit", "opens_at", "closes_at", "instructions")}),
        (_("证明与公示"), {"fields": ("use_until", "winners_visible_until")}),
        (_("状态"), {"fields": ("status", "remaining", "published_at", "cancelled_at")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ("status", "remaining", "published_at", "cancelled_at")
        if obj is None or obj.status == Offer.Status.DRAFT:
            return fixed
        if obj.status == Offer.Status.PUBLISHED:
            return (*fixed, *sorted(OFFER_FIELDS - PUBLISHED_EDITABLE))
        return (*fixed, *sorted(OFFER_FIELDS))

    def save_model(self, request: HttpRequest, obj: Offer, form: Any, change: bool) -> None:
        values = {key: form.cleaned_data[key] for key in form.cleaned_data if key in OFFER_FIELDS}
        if values.get("picture") is False:  # the "clear" checkbox
            values["picture"] = ""
        try:
            if change:
                saved = offer_update(actor=request.user, offer=obj, **values)
            else:
                saved = offer_create(actor=request.user, **values)
        except DomainError as exc:
            messages.error(request, exc.message)
            raise
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description=_("发布所选草稿"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        for offer in queryset:
            try:
                offer_publish(actor=request.user, offer=offer)
            except DomainError as exc:
                self.message_user(request, f"{offer.title}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("已发布：%(t)s") % {"t": offer.title}, messages.SUCCESS)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyCentreAdmin):
    list_display = ("offer", "resident", "n", "granted_at")
    list_filter = ("offer",)
    list_select_related = ("offer", "resident")
    fields = ("offer", "resident", "n", "granted_at")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyCentreAdmin):
    list_display = ("display_code", "offer_title", "holder", "issued_at", "used_at", "used_by_label")
    list_filter = ("redemption__offer",)
    list_select_related = ("redemption__offer", "redemption__resident")
    fields = ("display_code", "offer_title", "holder", "issued_at", "used_at", "used_by_label")
    readonly_fields = fields
    search_fields = ("code",)

    @admin.display(description=_("活动"))
    def offer_title(self, obj: Certificate) -> str:
        return obj.redemption.offer.title

    @admin.display(description=_("持有人"))
    def holder(self, obj: Certificate) -> str:
        return str(obj.redemption.resident)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        return super().get_search_results(request, queryset, search_term.replace("-", "").upper())


@admin.register(ServiceCard)
class ServiceCardAdmin(CentreAdmin):
    list_display = ("title", "category", "order", "is_active", "updated_at")
    list_editable = ("order", "is_active")
    list_filter = ("category", "is_active")
    fields = ("title", "category", "summary", "link", "link_label", "order", "is_active")
