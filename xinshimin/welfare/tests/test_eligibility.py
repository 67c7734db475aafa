from __future__ import annotations

from datetime import date, timedelta

import pytest

from xinshimin.residents.tests.factories import ResidentFactory
from xinshimin.welfare.eligibility import offer_eligibility, resident_points

from .helpers import T0, give_points, make_offer

pytestmark = pytest.mark.django_db


def test_resident_with_valid_permit_and_points_is_eligible():
    resident = ResidentFactory()
    give_points(resident, "0.25")
    result = offer_eligibility(offer=make_offer(), resident=resident, at=T0)
    assert result.ok and result.reason == ""


def test_permit_awaiting_endorsement_still_counts():
    resident = ResidentFactory(permit__status="awaiting_endorsement")
    give_points(resident, 10)
    assert offer_eligibility(offer=make_offer(), resident=resident, at=T0).ok


@pytest.mark.parametrize("permit", [{"status": "expired"}, {"status": "cancelled"}, None])
def test_resident_without_a_scoring_permit_is_refused_with_how_to_fix(permit):
    resident = (
        ResidentFactory(permit=None) if permit is None else ResidentFactory(permit__status=permit["status"])
    )
    give_points(resident, 80)
    result = offer_eligibility(offer=make_offer(), resident=resident, at=T0)
    assert not result.ok
    assert result.code == "no_valid_permit"
    assert "居住证" in result.reason and "申领" in result.reason


def test_permit_that_ended_before_the_request_day_does_not_count():
    resident = ResidentFactory(permit__valid_until=T0.date() - timedelta(days=1))
    give_points(resident, 80)
    assert offer_eligibility(offer=make_offer(), resident=resident, at=T0).code == "no_valid_permit"


@pytest.mark.parametrize("points", [None, 0])
def test_resident_without_points_is_refused(points):
    resident = ResidentFactory()
    if points is not None:
        give_points(resident, points)
    result = offer_eligibility(offer=make_offer(), resident=resident, at=T0)
    assert not result.ok
    assert result.code == "no_points"
    assert "积分需大于 0" in result.reason


def test_points_are_read_as_of_the_request_day_latest_first():
    resident = ResidentFactory()
    give_points(resident, 30, as_of=date(2025, 1, 1))
    give_points(resident, 0, as_of=date(2025, 5, 1))
    give_points(resident, 99, as_of=date(2025, 7, 1))  # computed for a later day: not yet true on T0
    assert resident_points(resident, on=T0.date()) == 0
    assert offer_eligibility(offer=make_offer(), resident=resident, at=T0).code == "no_points"
    assert resident_points(resident, on=date(2025, 2, 1)) == 30
