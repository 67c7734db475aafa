"""Django admin for accounts: users with their role and scope, and the reference data."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Provider, Town, User


@admin.register(Town)
class TownAdmin(admin.ModelAdmin[Town]):
    list_display = ("code", "name", "name_en", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name", "name_en")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin[Provider]):
    list_display = ("name", "contact")
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ("username", "role", "scope", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff", "town", "department")
    list_select_related = ("town", "department", "provider")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("角色与范围"), {"fields": ("role", "town", "department", "provider")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("角色与范围"), {"fields": ("role", "town", "department", "provider")}),
    )

    @admin.display(description=_("范围"))
    def scope(self, obj: User) -> str:
        return str(obj.town or obj.department or obj.provider or "—")
