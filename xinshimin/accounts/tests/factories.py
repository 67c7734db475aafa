"""factory-boy factories for accounts, for every app's tests.

Towns and departments are reference data loaded by a migration, so the factories fetch them by code
(``TownFactory(code="tangxia")``) and only create one when the code is new.

    UserFactory()                                   # a resident-role login
    UserFactory(role="clerk")                       # a clerk of 安阳街道 (the default town)
    UserFactory(role="clerk", town=TownFactory(code="tangxia"))
    UserFactory(role="reviewer")                    # a reviewer of 市公安局
    UserFactory(role="reviewer", department=DepartmentFactory(code="hrss"))
    UserFactory(role="provider")                    # staff of a new provider
    ClerkFactory(), ReviewerFactory(), CentreAdminFactory(), AuditorFactory(), FundOfficerFactory(), …

Every user's password is ``TEST_PASSWORD`` (hashed once per test run, so creating users stays fast).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from xinshimin.accounts.models import Department, Provider, Role, Town, User

TEST_PASSWORD = "test-password-2025"
DEFAULT_TOWN_CODE = "anyang"
DEFAULT_DEPARTMENT_CODE = "public_security"


@cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD)


class TownFactory(factory.django.DjangoModelFactory[Town]):
    class Meta:
        model = Town
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"town{n}")
    name = factory.Sequence(lambda n: f"测试镇{n}")
    name_en = factory.Sequence(lambda n: f"Test Town {n}")
    kind = Town.Kind.TOWN


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试局{n}")
    name_en = factory.Sequence(lambda n: f"Test Bureau {n}")


class ProviderFactory(factory.django.DjangoModelFactory[Provider]):
    class Meta:
        model = Provider
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试福利提供方{n}")
    contact = "0577-65800000"


def _default_town(user: Any) -> Town | None:
    return TownFactory(code=DEFAULT_TOWN_CODE) if user.role == Role.CLERK else None


def _default_department(user: Any) -> Department | None:
    return DepartmentFactory(code=DEFAULT_DEPARTMENT_CODE) if user.role == Role.REVIEWER else None


def _default_provider(user: Any) -> Provider | None:
    return ProviderFactory() if user.role == Role.PROVIDER else None


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A login of any role; scope fields default to what the role needs (see the module docstring)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.RESIDENT
    town = factory.LazyAttribute(_default_town)
    department = factory.LazyAttribute(_default_department)
    provider = factory.LazyAttribute(_default_provider)
    is_active = True
    password = factory.LazyFunction(_test_password_hash)


class ResidentUserFactory(UserFactory):
    role = Role.RESIDENT


class ClerkFactory(UserFactory):
    role = Role.CLERK


class ReviewerFactory(UserFactory):
    role = Role.REVIEWER


class CentreAdminFactory(UserFactory):
    role = Role.CENTRE_ADMIN


class FundOfficerFactory(UserFactory):
    role = Role.FUND_OFFICER


class AuditorFactory(UserFactory):
    role = Role.AUDITOR


class ProviderUserFactory(UserFactory):
    role = Role.PROVIDER
