from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    FundOfficerFactory,
    ProviderUserFactory,
    ReviewerFactory,
)
from xinshimin.core.errors import NotFound
from xinshimin.residents.selectors import (
    resident_find_by_id_number,
    resident_for_user,
    resident_get,
    resident_list,
)
from xinshimin.residents.tests.factories import PermitFactory, ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(anyang: Town, tangxia: Town) -> dict[str, Any]:
    return {
        "me": ResidentFactory(town=anyang, with_user=True),
        "neighbour": ResidentFactory(town=anyang, with_user=True),
        "far": ResidentFactory(town=tangxia),
    }


def _ids(rows: Any) -> set[int]:
    return {r.pk for r in rows}


def test_a_resident_sees_only_their_own_row(population: dict[str, Any]) -> None:
    me = population["me"]
    assert _ids(resident_list(visible_to=me.user)) == {me.pk}
    assert resident_get(visible_to=me.user, pk=me.pk) == me
    with pytest.raises(NotFound):
        resident_get(visible_to=me.user, pk=population["neighbour"].pk)


def test_a_clerk_sees_only_their_town(population: dict[str, Any], anyang: Town, tangxia: Town) -> None:
    clerk = ClerkFactory(town=anyang)
    assert _ids(resident_list(visible_to=clerk)) == {population["me"].pk, population["neighbour"].pk}
    assert _ids(resident_list(visible_to=clerk, town="tangxia")) == set()
    with pytest.raises(NotFound):
        resident_get(visible_to=clerk, pk=population["far"].pk)
    assert _ids(resident_list(visible_to=ClerkFactory(town=tangxia))) == {population["far"].pk}


@pytest.mark.parametrize("role_factory", [CentreAdminFactory, AuditorFactory, ReviewerFactory])
def test_centre_auditors_and_reviewers_see_everyone(role_factory: type, population: dict[str, Any]) -> None:
    assert _ids(resident_list(visible_to=role_factory())) == {r.pk for r in population.values()}


def test_anonymous_provider_and_fund_officer_see_no_one(population: dict[str, Any]) -> None:
    inactive = CentreAdminFactory(is_active=False)
    for user in (AnonymousUser(), None, ProviderUserFactory(), FundOfficerFactory(), inactive):
        assert not resident_list(visible_to=user).exists()
        with pytest.raises(NotFound):
            resident_get(visible_to=user, pk=population["me"].pk)


def test_resident_get_of_a_missing_or_malformed_pk_is_not_found(population: dict[str, Any]) -> None:
    centre = CentreAdminFactory()
    for pk in (999_999, "abc", None):
        with pytest.raises(NotFound):
            resident_get(visible_to=centre, pk=pk)


def test_resident_list_filters_by_town_object_or_code(population: dict[str, Any], tangxia: Town) -> None:
    centre = CentreAdminFactory()
    assert _ids(resident_list(visible_to=centre, town=tangxia)) == {population["far"].pk}
    assert _ids(resident_list(visible_to=centre, town="tangxia")) == {population["far"].pk}
    assert len(_ids(resident_list(visible_to=centre, town=""))) == 3


def test_resident_list_search_by_exact_id_phone_permit_or_name(anyang: Town, tangxia: Town) -> None:
    target = ResidentFactory(
        town=anyang, id_number="522401199203154513", phone="13812345678", name="欧阳娜娜"
    )
    PermitFactory(resident=target, number="RA202400000042")
    ResidentFactory(town=anyang, name="张三")
    centre = CentreAdminFactory()
    for term in (
        "522401199203154513",
        "５２２４０１ １９９２０３１５ ４５１３",
        "+86 138 1234 5678",
        "欧阳",
        "ra202400000042",
    ):
        assert _ids(resident_list(visible_to=centre, search=term)) == {target.pk}, term
    assert not resident_list(visible_to=centre, search="522401199203154514").exists()  # wrong check digit
    assert not resident_list(visible_to=ClerkFactory(town=tangxia), search="522401199203154513").exists()


def test_resident_list_costs_one_query_whatever_the_size(
    anyang: Town, django_assert_num_queries: Any
) -> None:
    ResidentFactory.create_batch(5, town=anyang)
    centre = CentreAdminFactory()
    with django_assert_num_queries(1):
        names = [(r.masked_name, r.town.name) for r in resident_list(visible_to=centre)]
    assert len(names) == 5


def test_resident_find_by_id_number_uses_the_blind_index(anyang: Town) -> None:
    target = ResidentFactory(town=anyang, id_number="11010519491231002X")
    assert resident_find_by_id_number("11010519491231002x") == target
    assert resident_find_by_id_number(" １１０１０５１９４９１２３１００２Ｘ ") == target
    assert resident_find_by_id_number("110105194912310021") is None
    assert resident_find_by_id_number("123") is None


def test_resident_for_user(population: dict[str, Any]) -> None:
    me = population["me"]
    assert resident_for_user(me.user) == me
    assert resident_for_user(AnonymousUser()) is None
    assert resident_for_user(None) is None
    assert resident_for_user(CentreAdminFactory()) is None
