"""factory-boy factories for residents, permits and households, for every app's tests.

    ResidentFactory()                                   # in 安阳街道, with one valid permit
    ResidentFactory(town=TownFactory(code="tangxia"))   # in 塘下镇
    ResidentFactory(permit__status="expired")           # the permit's fields through permit__…
    ResidentFactory(permit=None)                        # no permit at all
    ResidentFactory(with_user=True)                     # with a resident-role login (resident.user)
    ResidentFactory(id_number="522401199203154513", phone="13812345678")
    PermitFactory(resident=r, issued_on=..., valid_until=...)
    HouseholdMemberFactory(resident=r)                  # a child; relation="spouse" for a spouse

ID numbers are valid and unique (birth dates 1970–1997 for residents, 2008–2021 for children);
birth date and sex are derived from the ID number as in the services. User factories live in
``xinshimin.accounts.tests.factories`` and are re-exported here for convenience.
"""

from __future__ import annotations

from datetime import date, timedelta

import factory

from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    DepartmentFactory,
    FundOfficerFactory,
    ProviderFactory,
    ProviderUserFactory,
    ResidentUserFactory,
    ReviewerFactory,
    TownFactory,
    UserFactory,
)
from xinshimin.residents.idnumber import id_number_checksum, parse_id_number
from xinshimin.residents.models import HouseholdMember, ResidencePermit, Resident
from xinshimin.residents.personal_data import id_number_columns, phone_columns

__all__ = [
    "AuditorFactory",
    "CentreAdminFactory",
    "ClerkFactory",
    "DepartmentFactory",
    "FundOfficerFactory",
    "HouseholdMemberFactory",
    "PermitFactory",
    "ProviderFactory",
    "ProviderUserFactory",
    "ResidentFactory",
    "ResidentUserFactory",
    "ReviewerFactory",
    "TownFactory",
    "UserFactory",
    "make_id_number",
]

_COUNTIES = (
    "522401",
    "510722",
    "360731",
    "341221",
    "411623",
    "430521",
    "420921",
    "530602",
    "500233",
    "450921",
)


def make_id_number(n: int, *, born_from: date = date(1970, 1, 1), span_days: int = 10_000) -> str:
    """The n-th of a sequence of distinct valid ID numbers with birth dates from ``born_from``."""
    birth = born_from + timedelta(days=n % span_days)
    sequence = 100 + 2 * ((n // span_days) % 450) + (n % 2)  # odd: man, even: woman
    first17 = f"{_COUNTIES[n % len(_COUNTIES)]}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_checksum(first17)


def _child_id_number(n: int) -> str:
    return make_id_number(n, born_from=date(2008, 1, 1), span_days=5_000)


class ResidentFactory(factory.django.DjangoModelFactory[Resident]):
    class Meta:
        model = Resident
        skip_postgeneration_save = True

    class Params:
        id_number = factory.Sequence(make_id_number)
        phone = factory.Sequence(lambda n: f"139{n % 100_000_000:08d}")
        with_user = factory.Trait(user=factory.SubFactory(ResidentUserFactory))

    user = None
    name = factory.Faker("name", locale="zh_CN")
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).birth_date)
    sex = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).sex)
    id_number_cipher = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_cipher"])
    id_number_index = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_index"])
    id_number_masked = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_masked"])
    phone_cipher = factory.LazyAttribute(lambda o: phone_columns(o.phone)["phone_cipher"])
    phone_index = factory.LazyAttribute(lambda o: phone_columns(o.phone)["phone_index"])
    phone_masked = factory.LazyAttribute(lambda o: phone_columns(o.phone)["phone_masked"])
    employer = factory.Faker("company", locale="zh_CN")
    employer_is_ruian = True
    town = factory.LazyFunction(lambda: TownFactory(code="anyang"))
    permit = factory.RelatedFactory(
        "xinshimin.residents.tests.factories.PermitFactory", factory_related_name="resident"
    )


class PermitFactory(factory.django.DjangoModelFactory[ResidencePermit]):
    class Meta:
        model = ResidencePermit

    resident = factory.SubFactory(ResidentFactory, permit=None)
    number = factory.Sequence(lambda n: f"ZJ330381{n:08d}")
    issuing_town = factory.LazyAttribute(lambda o: o.resident.town)
    issued_on = date(2022, 3, 1)
    valid_until = date(2030, 12, 31)
    status = ResidencePermit.Status.VALID
    zj_residence_registered_on = date(2020, 9, 1)
    ruian_residence_registered_on = factory.LazyAttribute(lambda o: o.zj_residence_registered_on)


class HouseholdMemberFactory(factory.django.DjangoModelFactory[HouseholdMember]):
    class Meta:
        model = HouseholdMember

    class Params:
        id_number = factory.Sequence(_child_id_number)

    resident = factory.SubFactory(ResidentFactory)
    relation = HouseholdMember.Relation.CHILD
    name = factory.Faker("name", locale="zh_CN")
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).birth_date)
    sex = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).sex)
    id_number_cipher = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_cipher"])
    id_number_index = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_index"])
    id_number_masked = factory.LazyAttribute(lambda o: id_number_columns(o.id_number)["id_number_masked"])
