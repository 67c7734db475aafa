"""A demo population: residents with permits and households, and one login per role.

Everything is invented: names from Faker (zh_CN), ID numbers valid by the standard but drawn at random
from the home provinces of Rui'an's new citizens, phone numbers at random. Never run in production.

``build_demo`` is what the ``demo`` command calls; other parts of the demo (facts, claims, scenes …)
extend it by adding their own step and a count to ``DemoSummary.extra``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from xinshimin.accounts.models import Department, Provider, Role, Town, User
from xinshimin.audit.services import audit_record

from .idnumber import MIGRANT_HOME_PROVINCES, random_valid_id_number
from .models import HouseholdMember, ResidencePermit, Resident, Sex
from .personal_data import id_number_columns, id_number_index, phone_columns

DEMO_PASSWORD = "ruian-demo-2025"  # noqa: S105 - the published password of the demo logins
DEMO_PROVIDER_NAME = "瑞安市文化旅游演艺中心"
BATCH_SIZE = 500

BIRTH_FROM, BIRTH_TO = date(1965, 1, 1), date(2004, 12, 31)
REGISTERED_FROM, REGISTERED_TO = date(2012, 1, 1), date(2025, 12, 31)
CHILD_BIRTH_FROM, CHILD_BIRTH_TO = date(2010, 1, 1), date(2020, 12, 31)
PERMIT_YEARS = 5

# Share of residents by home province (Guizhou first), in the order of MIGRANT_HOME_PROVINCES.
PROVINCE_WEIGHTS = (24, 16, 12, 11, 9, 8, 7, 5, 4, 4)

# Where new citizens live: the industrial towns and the central streets have most of them.
TOWN_WEIGHTS = {
    "tangxia": 14, "xincheng": 9, "tingtian": 7, "shangwang": 7, "feiyun": 6, "anyang": 6, "dongshan": 5,
    "jinhu": 5, "yuhai": 4, "xianjiang": 5, "nanbin": 4, "yunzhou": 3, "pandai": 3, "mayu": 4, "taoshan": 3,
    "tongpu": 2, "huling": 2, "linchuan": 1, "caocun": 1, "gaolou": 1, "pingyangkeng": 1, "fangzhuang": 0.5,
    "beiji": 0.3,
}  # fmt: skip

# Names written with the middle dot, with the province they usually come from (Xinjiang).
DOTTED_NAMES = {
    Sex.FEMALE: ("阿依古丽·买买提", "古丽娜尔·艾力", "热依拉·吐尔逊", "迪丽娜尔·阿不都", "帕提古丽·艾山"),
    Sex.MALE: ("艾力·买买提", "阿不都热合曼·吐尔逊", "买买提·艾山", "伊力哈木·托合提", "努尔艾力·克里木"),
}
DOTTED_PROVINCE = "65"

RUIAN_TRADES = (
    "汽摩配件有限公司", "鞋业有限公司", "机械制造有限公司", "包装有限公司", "电器有限公司", "服饰有限公司",
    "科技有限公司", "塑胶制品有限公司", "物流有限公司", "餐饮管理有限公司",
)  # fmt: skip

# (username, role, scope kind, scope code/name, display name)
STAFF_ACCOUNTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("centre", Role.CENTRE_ADMIN, "", "", "服务中心管理员"),
    ("clerk_anyang", Role.CLERK, "town", "anyang", "安阳街道窗口"),
    ("clerk_tangxia", Role.CLERK, "town", "tangxia", "塘下镇窗口"),
    ("reviewer_ps", Role.REVIEWER, "department", "public_security", "公安局审核员"),
    ("reviewer_hrss", Role.REVIEWER, "department", "hrss", "人社局审核员"),
    ("reviewer_education", Role.REVIEWER, "department", "education", "教育局审核员"),
    ("reviewer_housing", Role.REVIEWER, "department", "housing", "住建局审核员"),
    ("fund", Role.FUND_OFFICER, "", "", "爱心基金办公室"),
    ("auditor", Role.AUDITOR, "", "", "审计员"),
    ("provider", Role.PROVIDER, "provider", DEMO_PROVIDER_NAME, "演艺中心核验员"),
)
RESIDENT_LOGINS = 5
DEMO_USERNAMES: tuple[str, ...] = (
    "admin",
    *(row[0] for row in STAFF_ACCOUNTS),
    *(f"resident{i}" for i in range(1, RESIDENT_LOGINS + 1)),
)


class DemoRefused(RuntimeError):
    """The demo must never write invented people into a production database."""


@dataclass
class DemoSummary:
    residents: int = 0
    permits: int = 0
    households: int = 0
    household_members: int = 0
    users_created: int = 0
    seed: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "residents": self.residents,
            "permits": self.permits,
            "households": self.households,
            "household_members": self.household_members,
            "users_created": self.users_created,
            "seed": self.seed,
            **self.extra,
        }

    def lines(self) -> list[str]:
        lines = [
            f"residents created:         {self.residents}",
            f"residence permits created: {self.permits}",
            f"households created:        {self.households} ({self.household_members} members)",
            f"user accounts created:     {self.users_created}",
        ]
        lines += [f"{key + ' created:':<27}{value}" for key, value in self.extra.items()]
        return lines


def _add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def refuse_in_production() -> None:
    if getattr(settings, "PRODUCTION", False):
        raise DemoRefused("the demo population is for development only; refusing to run in production")


def demo_is_loaded() -> bool:
    return Resident.objects.exists()


def build_demo(*, residents: int, seed: int = 2025, today: date | None = None) -> DemoSummary:
    """Create ``residents`` residents (with permits, about half with a household) and the demo logins.

    Deterministic for a given ``seed`` and ``today`` (default: today in the configured time zone).
    One audit event ``demo.load`` records the counts.
    """
    refuse_in_production()
    if residents < 0:
        raise ValueError("residents must not be negative")
    today = today or timezone.localdate()
    summary = DemoSummary(seed=seed)
    with transaction.atomic():
        builder = _PopulationBuilder(seed=seed, today=today)
        created = builder.create_residents(residents, summary)
        summary.users_created = _create_logins(created[:RESIDENT_LOGINS])
        audit_record(actor=None, action="demo.load", object_type="demo", after=summary.as_dict())
    return summary


# --- accounts ----------------------------------------------------------------------------------------


def _create_logins(residents: list[Resident]) -> int:
    """The staff logins, the superuser ``admin`` and ``resident1``… linked to ``residents``. Idempotent."""
    password = make_password(DEMO_PASSWORD)  # hashed once: demo accounts share it
    existing = set(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
    created = 0
    if "admin" not in existing:
        User.objects.create(
            username="admin",
            password=password,
            role=Role.CENTRE_ADMIN,
            is_staff=True,
            is_superuser=True,
            first_name="系统管理员",
        )
        created += 1
    provider = None
    for username, role, scope_kind, scope, display in STAFF_ACCOUNTS:
        if username in existing:
            continue
        scope_fields: dict[str, Any] = {}
        if scope_kind == "town":
            scope_fields["town"] = Town.objects.get(code=scope)
        elif scope_kind == "department":
            scope_fields["department"] = Department.objects.get(code=scope)
        elif scope_kind == "provider":
            provider = (
                provider
                or Provider.objects.get_or_create(name=scope, defaults={"contact": "0577-65800000"})[0]
            )
            scope_fields["provider"] = provider
        User.objects.create(
            username=username,
            password=password,
            role=role,
            is_staff=role == Role.CENTRE_ADMIN,
            first_name=display,
            **scope_fields,
        )
        created += 1
    centre = User.objects.filter(username="centre").first()
    if centre is not None:
        centre.user_permissions.add(*_centre_admin_site_permissions())
    for number, resident in enumerate(residents, start=1):
        username = f"resident{number}"
        if username in existing or resident.user_id is not None:
            continue
        user = User.objects.create(
            username=username, password=password, role=Role.RESIDENT, first_name=resident.name
        )
        Resident.objects.filter(pk=resident.pk).update(user=user)
        resident.user = user
        created += 1
    return created


def _centre_admin_site_permissions() -> list[Permission]:
    """What the demo centre login may do in the Django admin: view accounts and residents, edit providers."""
    return list(
        Permission.objects.filter(
            Q(content_type__app_label__in=["accounts", "residents"], codename__startswith="view_")
            | Q(content_type__app_label="accounts", codename__in=["add_provider", "change_provider"])
        )
    )


# --- population --------------------------------------------------------------------------------------


class _PopulationBuilder:
    def __init__(self, *, seed: int, today: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        towns = list(Town.objects.order_by("code"))
        if not towns:
            raise DemoRefused("no towns found: run `manage.py migrate` first (it loads the reference data)")
        self.towns = towns
        self.town_weights = [TOWN_WEIGHTS.get(t.code, 1) for t in towns]
        self.used_ids = set(Resident.objects.values_list("id_number_index", flat=True))
        self.used_phones: set[str] = set()
        self.permit_serial = ResidencePermit.objects.count()

    # random values

    def _date_between(self, low: date, high: date) -> date:
        if high < low:
            return low
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def _id_number(self, *, provinces: Iterable[str], birth_from: date, birth_to: date, sex: str) -> str:
        while True:
            value = random_valid_id_number(
                self.rng,
                province_codes=tuple(provinces),
                birth_from=birth_from,
                birth_to=birth_to,
                sex=sex,  # type: ignore[arg-type]
            )
            digest = id_number_index(value)
            if digest not in self.used_ids:
                self.used_ids.add(digest)
                return value

    def _phone(self) -> str:
        while True:
            prefix = self.rng.choice(("13", "15", "17", "18", "19"))
            value = prefix + str(self.rng.randint(0, 9)) + f"{self.rng.randint(0, 99_999_999):08d}"
            if value not in self.used_phones:
                self.used_phones.add(value)
                return value

    def _given_name(self, sex: str) -> str:
        return self.fake.first_name_male() if sex == Sex.MALE else self.fake.first_name_female()

    def _employer(self) -> tuple[str, bool]:
        roll = self.rng.random()
        if roll < 0.70:
            trade = self.rng.choice(RUIAN_TRADES)
            return f"瑞安市{self.fake.company_prefix()}{trade}", True
        if roll < 0.85:
            return self.fake.company(), False
        return "", False

    # one resident

    def _resident(self) -> tuple[Resident, dict[str, Any]]:
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        surname = self.fake.last_name()
        if self.rng.random() < 0.015:
            name = self.rng.choice(DOTTED_NAMES[sex])
            provinces: tuple[str, ...] = (DOTTED_PROVINCE,)
        else:
            name = surname + self._given_name(sex)
            provinces = (self.rng.choices(MIGRANT_HOME_PROVINCES, weights=PROVINCE_WEIGHTS)[0],)
        id_number = self._id_number(provinces=provinces, birth_from=BIRTH_FROM, birth_to=BIRTH_TO, sex=sex)
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        employer, employer_is_ruian = self._employer()
        town = self.rng.choices(self.towns, weights=self.town_weights)[0]
        resident = Resident(
            name=name,
            birth_date=birth,
            sex=sex,
            employer=employer,
            employer_is_ruian=employer_is_ruian,
            town=town,
            **id_number_columns(id_number),
            **phone_columns(self._phone()),
        )
        return resident, {"surname": surname, "provinces": provinces}

    def _permit(self, resident: Resident) -> ResidencePermit:
        latest_registration = min(REGISTERED_TO, self.today - timedelta(days=200))
        adult = _add_years(resident.birth_date, 16)
        zj_on = self._date_between(max(REGISTERED_FROM, adult), latest_registration)
        roll = self.rng.random()
        ruian_on: date | None = zj_on
        if roll < 0.02:
            ruian_on = None
        elif roll < 0.12:
            ruian_on = self._date_between(zj_on + timedelta(days=30), latest_registration)
        eligible_from = (ruian_on or zj_on) + timedelta(days=183)  # six months of registration first
        status = self.rng.choices(
            (
                ResidencePermit.Status.VALID,
                ResidencePermit.Status.AWAITING_ENDORSEMENT,
                ResidencePermit.Status.EXPIRED,
            ),
            weights=(86, 9, 5),
        )[0]
        last_day = self.today - timedelta(days=1)
        if status == ResidencePermit.Status.EXPIRED and eligible_from < self.today - timedelta(days=400):
            issued_on = self._date_between(
                eligible_from, min(last_day - timedelta(days=366), eligible_from + timedelta(days=730))
            )
            valid_until = min(
                _add_years(issued_on, PERMIT_YEARS),
                self._date_between(issued_on + timedelta(days=365), last_day),
            )
        else:
            if status == ResidencePermit.Status.EXPIRED:
                status = ResidencePermit.Status.VALID  # registered too recently to have an expired permit
            # The current permit was issued (or last renewed) within the last four and a half years.
            issued_on = self._date_between(max(eligible_from, self.today - timedelta(days=1640)), last_day)
            valid_until = _add_years(issued_on, PERMIT_YEARS)
        self.permit_serial += 1
        issuing_town = resident.town if self.rng.random() < 0.95 else self.rng.choice(self.towns)
        return ResidencePermit(
            resident=resident,
            number=f"RA{issued_on:%Y}{self.permit_serial:08d}",
            issuing_town=issuing_town,
            issued_on=issued_on,
            valid_until=valid_until,
            status=status,
            zj_residence_registered_on=zj_on,
            ruian_residence_registered_on=ruian_on,
        )

    def _household(self, resident: Resident, info: dict[str, Any]) -> list[HouseholdMember]:
        members: list[HouseholdMember] = []
        surname = info["surname"]
        is_adult_enough = resident.age_on(self.today) >= 22
        spouse_surname = self.fake.last_name()
        if is_adult_enough and self.rng.random() < 0.7:
            spouse_sex = Sex.FEMALE if resident.sex == Sex.MALE else Sex.MALE
            born = resident.birth_date
            spouse_id = self._id_number(
                provinces=info["provinces"],
                birth_from=max(date(1960, 1, 1), born - timedelta(days=5 * 365)),
                birth_to=min(BIRTH_TO, born + timedelta(days=5 * 365)),
                sex=spouse_sex,
            )
            members.append(
                self._member(HouseholdMember.Relation.SPOUSE, spouse_surname, spouse_sex, spouse_id, resident)
            )
        children_from = max(CHILD_BIRTH_FROM, resident.birth_date + timedelta(days=20 * 365))
        children_to = min(CHILD_BIRTH_TO, self.today)
        if children_from <= children_to:
            father_surname = surname if resident.sex == Sex.MALE else spouse_surname
            for _ in range(self.rng.choices((0, 1, 2, 3), weights=(15, 45, 32, 8))[0]):
                child_sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
                child_id = self._id_number(
                    provinces=info["provinces"], birth_from=children_from, birth_to=children_to, sex=child_sex
                )
                members.append(
                    self._member(
                        HouseholdMember.Relation.CHILD, father_surname, child_sex, child_id, resident
                    )
                )
        return members

    def _member(
        self, relation: str, surname: str, sex: str, id_number: str, resident: Resident
    ) -> HouseholdMember:
        return HouseholdMember(
            resident=resident,
            relation=relation,
            name=surname + self._given_name(sex),
            birth_date=date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
            sex=sex,
            **id_number_columns(id_number),
        )

    # the whole population

    def create_residents(self, count: int, summary: DemoSummary) -> list[Resident]:
        drafts = [self._resident() for _ in range(count)]
        residents = [resident for resident, _ in drafts]
        Resident.objects.bulk_create(residents, batch_size=BATCH_SIZE)
        if any(r.pk is None for r in residents):  # a backend that cannot return ids from a bulk insert
            ids = dict(
                Resident.objects.filter(
                    id_number_index__in=[r.id_number_index for r in residents]
                ).values_list("id_number_index", "pk")
            )
            for r in residents:
                r.pk = ids[r.id_number_index]
        permits = [self._permit(r) for r in residents]
        ResidencePermit.objects.bulk_create(permits, batch_size=BATCH_SIZE)
        members: list[HouseholdMember] = []
        households = 0
        for resident, info in drafts:
            if self.rng.random() < 0.5:
                household = self._household(resident, info)
                if household:
                    households += 1
                    members.extend(household)
        HouseholdMember.objects.bulk_create(members, batch_size=BATCH_SIZE)
        summary.residents += len(residents)
        summary.permits += len(permits)
        summary.households += households
        summary.household_members += len(members)
        return residents
