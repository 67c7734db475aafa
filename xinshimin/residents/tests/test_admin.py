from __future__ import annotations

import pytest
from django.test import Client

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import UserFactory
from xinshimin.residents.tests.factories import HouseholdMemberFactory, ResidentFactory

pytestmark = pytest.mark.django_db

ID = "522401199203154513"


@pytest.fixture
def admin_client_(anyang: Town) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", role="centre_admin", is_staff=True, is_superuser=True))
    return client


def test_resident_admin_searches_by_exact_id_number_and_shows_it_masked(
    admin_client_: Client, anyang: Town
) -> None:
    target = ResidentFactory(town=anyang, id_number=ID, name="欧阳娜娜", phone="13812345678")
    ResidentFactory(town=anyang, name="张三")
    # Typed with spaces: the admin echoes the search term, the compact number must appear nowhere.
    response = admin_client_.get("/admin/residents/resident/", {"q": "522401 19920315 4513"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "522401********4513" in html
    assert "张三" not in html
    assert ID not in html and "13812345678" not in html
    detail = admin_client_.get(f"/admin/residents/resident/{target.pk}/change/").content.decode()
    assert ID not in detail and "13812345678" not in detail and "138****5678" in detail


def test_permit_and_household_admin_search_through_the_blind_index(
    admin_client_: Client, anyang: Town
) -> None:
    resident = ResidentFactory(town=anyang, id_number=ID)
    HouseholdMemberFactory(resident=resident, id_number="110105201501010025", name="王小红")
    permits = admin_client_.get(
        "/admin/residents/residencepermit/", {"q": "522401 19920315 4513"}
    ).content.decode()
    assert resident.permits.get().number in permits
    members = admin_client_.get(
        "/admin/residents/householdmember/", {"q": "110105 20150101 0025"}
    ).content.decode()
    assert "王小红" in members and "110105201501010025" not in members
    by_parent = admin_client_.get("/admin/residents/householdmember/", {"q": ID}).content.decode()
    assert "王小红" in by_parent
    other = admin_client_.get("/admin/residents/householdmember/", {"q": "11010519491231002X"})
    assert "王小红" not in other.content.decode()


def test_accounts_admin_lists_users_with_role_and_scope(admin_client_: Client, anyang: Town) -> None:
    UserFactory(username="clerk_x", role="clerk", town=anyang)
    html = admin_client_.get("/admin/accounts/user/").content.decode()
    assert "clerk_x" in html and "安阳街道" in html
    for path in ("/admin/accounts/town/", "/admin/accounts/department/", "/admin/accounts/provider/"):
        assert admin_client_.get(path).status_code == 200
