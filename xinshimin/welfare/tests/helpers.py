"""Test helpers: offers in any state, points for residents, many eligible residents at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from xinshimin.accounts.models import Provider, Role, Town, User
from xinshimin.accounts.tests.factories import TEST_PASSWORD, ProviderFactory, TownFactory
from xinshimin.residents.models import ResidencePermit, Resident
from xinshimin.residents.personal_data import id_number_columns, phone_columns
from xinshimin.residents.tests.factories import ResidentFactory, make_id_number
from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot
from xinshimin.welfare.models import Offer

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))  # 10:00 Beijing time


def policy_for_tests() -> PolicyRecord:
    record, _ = PolicyRecord.objects.get_or_create(
        version_id="welfare-tests",
        defaults={"jurisdiction": "test", "title": "welfare tests", "document": {}, "status": "draft"},
    )
    return record


def give_points(
    resident: Resident, total: Decimal | int | str, *, as_of: date = date(2025, 1, 1)
) -> ScoreSnapshot:
    value = Decimal(str(total))
    return ScoreSnapshot.objects.create(
        resident=resident,
        policy=policy_for_tests(),
        as_of=as_of,
        total=value,
        raw_total=value,
        common=value,
        local=Decimal(0),
        deductions=Decimal(0),
        items={},
        facts_digest="0" * 64,
        computed_at=timezone.now(),
    )


def eligible_resident(points: Decimal | int | str = 50, **kwargs: Any) -> Resident:
    """A resident with a login, a valid permit and points."""
    resident = ResidentFactory(with_user=True, **kwargs)
    give_points(resident, points)
    return resident


def make_offer(
    *,
    provider: Provider | None = None,
    stock: int = 10,
    opens_at: datetime = T0,
    closes_at: datetime | None = None,
    status: str = Offer.Status.PUBLISHED,
    **fields: Any,
) -> Offer:
    """An offer written directly (the services are tested separately); published and open at T0."""
    return Offer.objects.create(
        title=fields.pop("title", "瑞安博物馆讲解票"),
        provider=provider or ProviderFactory(),
        stock=stock,
        remaining=fields.pop("remaining", stock),
        opens_at=opens_at,
        closes_at=closes_at or opens_at + timedelta(days=2),
        status=status,
        **fields,
    )


def bulk_eligible_residents(count: int, *, points: int = 50, town: Town | None = None) -> list[Resident]:
    """``count`` residents with logins, valid permits and points, with bulk_create (fast)."""
    town = town or TownFactory(code="anyang")
    password = make_password(TEST_PASSWORD)
    users = User.objects.bulk_create(
        [User(username=f"bulk{i}", role=Role.RESIDENT, password=password) for i in range(count)]
    )
    residents = Resident.objects.bulk_create(
        [
            Resident(
                user=user,
                name=f"王{'一二三四五六七八九十'[i % 10]}{'春夏秋冬'[i % 4]}",
                birth_date=date(1990, 1, 1),
                sex="M",
                town=town,
                **id_number_columns(make_id_number(200_000 + i)),
                **phone_columns(f"137{i:08d}"),
            )
            for i, user in enumerate(users)
        ]
    )
    ResidencePermit.objects.bulk_create(
        [
            ResidencePermit(
                resident=resident,
                number=f"ZJBULK{i:08d}",
                issuing_town=town,
                issued_on=date(2022, 3, 1),
                valid_until=date(2030, 12, 31),
                zj_residence_registered_on=date(2020, 9, 1),
            )
            for i, resident in enumerate(residents)
        ]
    )
    policy = policy_for_tests()
    ScoreSnapshot.objects.bulk_create(
        [
            ScoreSnapshot(
                resident=resident,
                policy=policy,
                as_of=date(2025, 1, 1),
                total=Decimal(points),
                raw_total=Decimal(points),
                common=Decimal(points),
                local=Decimal(0),
                deductions=Decimal(0),
                items={},
                facts_digest="0" * 64,
                computed_at=timezone.now(),
            )
            for resident in residents
        ]
    )
    return residents
