"""The official calendar: per year, the days that differ from the ordinary Monday-to-Friday week.

Only exceptions are stored. An ordinary weekday is a working day and an ordinary Saturday or Sunday is
not, unless a ``CalendarDay`` says otherwise: a statutory holiday (法定节假日, on any day of the week)
or a weekend day turned into a working day (调休上班). A year without a ``CalendarYear`` row is unknown:
working-day arithmetic refuses to guess about it (see ``xinshimin.workdays.calendar``).

Rows are written only by ``xinshimin.workdays.services`` (audited, and the in-process cache is cleared).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """One year of the official holiday arrangement (国务院办公厅关于某年部分节假日安排的通知)."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    source = models.CharField(
        _("来源"),
        max_length=255,
        help_text=_('数据来源，例如 "chinese-calendar 1.11.0" 或 "file: 2027.json; 国务院办公厅通知"。'),
    )
    loaded_at = models.DateTimeField(_("载入时间"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("载入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("年度日历")
        verbose_name_plural = _("年度日历")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that is not what its weekday suggests."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        ADJUSTED_WORKDAY = "adjusted_workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    year = models.ForeignKey(
        CalendarYear, verbose_name=_("年度"), on_delete=models.CASCADE, related_name="days"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=64, help_text=_("例如 国庆节、春节调休。"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("特殊日期")
        verbose_name_plural = _("特殊日期")
        constraints = [
            models.CheckConstraint(
                name="workdays_calendarday_kind_valid", condition=Q(kind__in=["holiday", "adjusted_workday"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"
