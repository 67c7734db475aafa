from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.test import override_settings

from xinshimin.accounts.models import User
from xinshimin.accounts.tests.factories import ClerkFactory, FundOfficerFactory, ReviewerFactory, TownFactory
from xinshimin.charity.models import Donation, HardshipCase
from xinshimin.charity.services import (
    case_decide,
    case_submit,
    donation_record,
    verification_record,
    verifiers_assign,
)
from xinshimin.residents.models import Resident
from xinshimin.residents.tests.factories import ResidentFactory

D = date(2025, 3, 3)  # a Monday; the 2025 calendar is loaded by the workdays migration


@pytest.fixture(autouse=True)
def _private_media(tmp_path: Path) -> Iterator[Path]:
    """Evidence files go to a temporary folder per test."""
    with override_settings(PRIVATE_MEDIA_ROOT=tmp_path / "private"):
        yield tmp_path / "private"


@pytest.fixture
def officer(db: None) -> User:
    return FundOfficerFactory(username="fund_a")


@pytest.fixture
def officer2(db: None) -> User:
    return FundOfficerFactory(username="fund_b")


@pytest.fixture
def reviewer(db: None) -> User:
    return ReviewerFactory(username="reviewer_v")


@pytest.fixture
def applicant(db: None) -> Resident:
    return ResidentFactory(
        with_user=True,
        name="王小明",
        id_number="522401199203154513",
        phone="13812345678",
        employer="瑞安宏达鞋业有限公司",
    )


@pytest.fixture
def clerk(db: None) -> User:
    return ClerkFactory(town=TownFactory(code="anyang"))


def submit(applicant: Resident, *, today: date = D, **kwargs) -> HardshipCase:
    fields = {
        "category": HardshipCase.Category.ILLNESS,
        "amount_requested": "5000",
        "description": "本人突发重病住院治疗，医疗费用负担沉重，家庭无力承担。",
    }
    fields.update(kwargs)
    return case_submit(actor=applicant.user, applicant=applicant, today=today, **fields)


def fund(officer: User, amount: str = "100000", *, on: date = D, **kwargs) -> Donation:
    fields = {"donor_kind": Donation.DonorKind.ORGANISATION, "donor_name": "瑞安市慈善总会"}
    fields.update(kwargs)
    return donation_record(actor=officer, amount=amount, donated_on=on, today=on, **fields)


def verify_twice(case: HardshipCase, officer: User, first: User, second: User) -> None:
    verifiers_assign(actor=officer, case=case, verifiers=[first, second])
    for verifier in (first, second):
        verification_record(
            actor=verifier,
            case=case,
            checked="查看住院病历与费用清单，电话联系所在单位。",
            found="情况属实。",
            finding="confirmed",
        )


def approve(case: HardshipCase, officer: User, amount: str | None = None, *, today: date = D):
    return case_decide(
        actor=officer,
        case=case,
        outcome="approved",
        reason="经两人核实，情况属实，符合救助条件。",
        amount_approved=amount,
        today=today,
    )
