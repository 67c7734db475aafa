"""Admin for the official calendar: years with their days (read-only), upload of a year file, and
reloading years from the ``chinesecalendar`` package. Every change goes through the services (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinshimin.accounts.access import can_load_calendar
from xinshimin.core.errors import DomainError

from .models import CalendarDay, CalendarYear
from .services import MAX_FILE_BYTES, calendar_load_from_json, calendar_load_from_package

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")

EXAMPLE_FILE = """{
  "year": 2027,
  "source": "国务院办公厅关于2027年部分节假日安排的通知",
  "holidays": [
    {"date": "2027-01-01", "name": "元旦"},
    {"date": "2027-10-01", "name": "国庆节"}
  ],
  "adjusted_workdays": [
    {"date": "2027-10-09", "name": "国庆节调休"}
  ]
}"""


class CalendarFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("年度日历文件（JSON）"),
        help_text=gettext_lazy("按下方格式编写，载入后将整体替换该年度已有的特殊日期。"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("日历文件过大（超过 1 MB），请检查是否选错了文件。"))
        return upload


class CalendarDayInline(admin.TabularInline[CalendarDay, CalendarYear]):
    model = CalendarDay
    fields = ("date", "weekday", "kind", "name")
    readonly_fields = ("date", "weekday", "kind", "name")
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return "星期" + WEEKDAYS[obj.date.weekday()]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    list_display = ("year", "holiday_count", "adjusted_count", "source", "loaded_at", "loaded_by")
    readonly_fields = ("year", "source", "loaded_at", "loaded_by", "note")
    inlines = [CalendarDayInline]
    actions = ["reload_from_package"]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        queryset: QuerySet[CalendarYear] = (
            super()
            .get_queryset(request)
            .select_related("loaded_by")
            .annotate(
                n_holidays=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
                n_adjusted=Count("days", filter=Q(days__kind=CalendarDay.Kind.ADJUSTED_WORKDAY)),
            )
        )
        return queryset

    @admin.display(description=gettext_lazy("法定节假日"), ordering="n_holidays")
    def holiday_count(self, obj: Any) -> int:
        return int(obj.n_holidays)

    @admin.display(description=gettext_lazy("调休上班日"), ordering="n_adjusted")
    def adjusted_count(self, obj: Any) -> int:
        return int(obj.n_adjusted)

    # Years are loaded (and replaced) only through the services: upload or package reload.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_load_calendar(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_load_calendar(request.user) or super().has_module_permission(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not can_load_calendar(request.user):
            actions.pop("reload_from_package", None)
        return actions

    @admin.action(description=gettext_lazy("从 chinesecalendar 软件包重新载入所选年度"))
    def reload_from_package(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in queryset.values_list("year", flat=True):
            try:
                calendar_load_from_package(actor=request.user, year=year)
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(
                    request, _("已重新载入 %(year)s 年日历。") % {"year": year}, messages.SUCCESS
                )

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="workdays_calendaryear_upload"
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not can_load_calendar(request.user):
            raise PermissionDenied
        form = CalendarFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                row = calendar_load_from_json(actor=request.user, content=upload.read(), origin=upload.name)
            except DomainError as exc:
                problems = str(exc.details.get("errors", "")).splitlines() or [str(exc.message)]
                for problem in problems:
                    form.add_error("file", problem)
            else:
                self.message_user(
                    request,
                    _("已载入 %(year)s 年日历：%(count)s 个特殊日期。")
                    % {"year": row.year, "count": row.days.count()},
                    messages.SUCCESS,
                )
                return redirect("admin:workdays_calendaryear_change", row.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("上传年度日历文件"),
            "form": form,
            "example": EXAMPLE_FILE,
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/upload.html", context)
