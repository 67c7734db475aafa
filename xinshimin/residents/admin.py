"""Django admin for residents, permits and households: read-only, masked, searchable by exact ID number.

Changes go through ``services`` (which check the rules and write the audit trail), so the admin only
shows records. A full ID number or phone number typed into the search box is looked up through its
blind index; anything else searches names (and permit numbers).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .idnumber import InvalidIdNumber, parse_id_number
from .models import HouseholdMember, ResidencePermit, Resident
from .personal_data import id_number_index, phone_index
from .phone import InvalidPhone, parse_phone


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _exact_index(search_term: str) -> tuple[str, str] | None:
    """("id_number_index"|"phone_index", digest) when the term is a full valid ID or mobile number."""
    term = search_term.strip()
    try:
        return "id_number_index", id_number_index(parse_id_number(term).value)
    except InvalidIdNumber:
        pass
    try:
        return "phone_index", phone_index(parse_phone(term))
    except InvalidPhone:
        return None


class PermitInline(admin.TabularInline[ResidencePermit, Resident]):
    model = ResidencePermit
    fk_name = "resident"
    extra = 0
    can_delete = False
    fields = (
        "number",
        "status",
        "issuing_town",
        "issued_on",
        "valid_until",
        "zj_residence_registered_on",
        "ruian_residence_registered_on",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HouseholdInline(admin.TabularInline[HouseholdMember, Resident]):
    model = HouseholdMember
    extra = 0
    can_delete = False
    fields = ("relation", "name", "id_number_masked", "birth_date", "sex")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "name",
        "id_number_masked",
        "phone_masked",
        "sex",
        "birth_date",
        "town",
        "employer_is_ruian",
        "created_at",
    )
    list_filter = ("town", "sex", "employer_is_ruian")
    list_select_related = ("town",)
    search_fields = ("name",)
    search_help_text = _("输入完整的身份证号码或手机号码精确查找，或输入姓名的一部分。")
    fields = (
        "name",
        "id_number_masked",
        "phone_masked",
        "birth_date",
        "sex",
        "town",
        "employer",
        "employer_is_ruian",
        "user",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (PermitInline, HouseholdInline)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resident]:
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.visible_to(request.user)  # type: ignore[attr-defined]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        exact = _exact_index(search_term)
        if exact is not None:
            return queryset.filter(**{exact[0]: exact[1]}), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(ResidencePermit)
class ResidencePermitAdmin(ReadOnlyAdmin):
    list_display = ("number", "resident", "status", "issuing_town", "issued_on", "valid_until")
    list_filter = ("status", "issuing_town")
    list_select_related = ("resident", "issuing_town")
    search_fields = ("number",)
    search_help_text = _("输入居住证编号，或持证人完整的身份证号码、手机号码。")
    readonly_fields = (
        "resident",
        "number",
        "issuing_town",
        "issued_on",
        "valid_until",
        "status",
        "zj_residence_registered_on",
        "ruian_residence_registered_on",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResidencePermit]:
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(resident__in=Resident.objects.visible_to(request.user))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        exact = _exact_index(search_term)
        if exact is not None:
            return queryset.filter(**{f"resident__{exact[0]}": exact[1]}), False
        return super().get_search_results(request, queryset, search_term.strip().upper())


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(ReadOnlyAdmin):
    list_display = ("resident", "relation", "name", "id_number_masked", "birth_date", "sex")
    list_filter = ("relation", "resident__town")
    list_select_related = ("resident",)
    search_fields = ("name",)
    search_help_text = _("输入家庭成员或新市民完整的身份证号码精确查找，或输入姓名的一部分。")
    fields = ("resident", "relation", "name", "id_number_masked", "birth_date", "sex", "created_at")
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[HouseholdMember]:
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(resident__in=Resident.objects.visible_to(request.user))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        try:
            digest = id_number_index(parse_id_number(term).value)
        except InvalidIdNumber:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(id_number_index=digest) | queryset.filter(
            resident__id_number_index=digest
        ), False
