from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Town(models.Model):
    """A town or street (乡镇街道) of the jurisdiction: where people live and where windows are."""

    class Kind(models.TextChoices):
        STREET = "street", _("街道")
        TOWN = "town", _("镇")
        TOWNSHIP = "township", _("乡")

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=32, unique=True)
    name_en = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department that supplies facts and reviews claims (公安, 人力社保, 教育, 住建 …)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64, unique=True)
    name_en = models.CharField(max_length=128)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """An organisation that provides welfare items and checks certificates (景区, 剧院, 夜校 …)."""

    name = models.CharField(max_length=128, unique=True)
    contact = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("新市民")
    CLERK = "clerk", _("窗口工作人员")
    REVIEWER = "reviewer", _("部门审核员")
    CENTRE_ADMIN = "centre_admin", _("服务中心管理员")
    FUND_OFFICER = "fund_officer", _("爱心基金办公室")
    AUDITOR = "auditor", _("审计员")
    PROVIDER = "provider", _("福利提供方")


STAFF_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.CENTRE_ADMIN, Role.FUND_OFFICER, Role.AUDITOR})


class User(AbstractUser):
    """Every login. The role decides what the person may do; the scope fields decide over which rows."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.RESIDENT)
    town = models.ForeignKey(Town, null=True, blank=True, on_delete=models.PROTECT, related_name="clerks")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="reviewers"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(name="clerk_has_town", condition=~Q(role="clerk") | Q(town__isnull=False)),
            models.CheckConstraint(
                name="reviewer_has_department", condition=~Q(role="reviewer") | Q(department__isnull=False)
            ),
            models.CheckConstraint(
                name="provider_staff_has_provider", condition=~Q(role="provider") | Q(provider__isnull=False)
            ),
        ]

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT

    @property
    def scope_label(self) -> str:
        scope = self.town or self.department or self.provider
        return f"{self.get_role_display()} · {scope}" if scope else str(self.get_role_display())


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for a department system. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, help_text="What system uses it, e.g. 人社局数据交换")
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise the token in lists.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        return "xsm_" + secrets.token_urlsafe(32)

    @staticmethod
    def digest_of(raw: str) -> str:
        return _digest(raw)
