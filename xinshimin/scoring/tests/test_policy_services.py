"""Policy versions in the database: seed, drafts, publication, freezing, audit."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, transaction

from xinshimin.accounts.models import User
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from xinshimin.policies import PolicyDocumentError, seed_policy
from xinshimin.residents.tests.factories import ClerkFactory, ReviewerFactory
from xinshimin.scoring.models import PolicyRecord
from xinshimin.scoring.selectors import policy_cache_clear, policy_for, policy_version
from xinshimin.scoring.services import policy_draft_copy, policy_draft_update, policy_publish

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2025, 11, 1, 10, 0, tzinfo=dt.UTC)


def test_the_seed_is_published_with_the_repository_file(seed_record: PolicyRecord) -> None:
    assert seed_record.status == PolicyRecord.Status.PUBLISHED
    assert seed_record.effective_on == dt.date(2025, 1, 1)
    assert policy_version(seed_record) == seed_policy()
    assert policy_for(dt.date(2025, 4, 1)) == seed_record


def test_no_version_in_force_before_the_first(seed_record: PolicyRecord) -> None:
    with pytest.raises(NotFound):
        policy_for(dt.date(2024, 12, 31))


def _edited(draft: PolicyRecord, rate: str) -> dict:
    document = copy.deepcopy(draft.document)
    item = next(i for i in document["items"] if i["code"] == "common.social_insurance")
    item["params"]["rate"] = rate
    return document


@time_machine.travel(TODAY, tick=False)
def test_draft_copy_edit_publish_without_code_changes(centre: User, seed_record: PolicyRecord) -> None:
    draft = policy_draft_copy(actor=centre, source=seed_record)
    assert (draft.version_id, draft.status, draft.based_on) == ("ruian-2025.2", "draft", seed_record)
    draft = policy_draft_update(actor=centre, draft=draft, document=_edited(draft, "0.75"))
    published = policy_publish(actor=centre, draft=draft, effective_on=dt.date(2026, 1, 1))
    assert published.status == PolicyRecord.Status.PUBLISHED and published.published_by == centre
    policy_cache_clear()
    assert policy_for(dt.date(2025, 12, 31)) == seed_record
    assert policy_for(dt.date(2026, 1, 1)) == published
    version = policy_version(published)
    assert version.effective_on == dt.date(2026, 1, 1)
    assert version.items["common.social_insurance"].rule.rate_q == 3  # type: ignore[attr-defined]
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["scoring.policy_draft_create", "scoring.policy_draft_update", "scoring.policy_publish"]


@time_machine.travel(TODAY, tick=False)
def test_published_version_refuses_edits(centre: User, seed_record: PolicyRecord) -> None:
    with pytest.raises(Conflict, match="已发布"):
        policy_draft_update(actor=centre, draft=seed_record, document=_edited(seed_record, "0.75"))
    with pytest.raises(Conflict):
        policy_publish(actor=centre, draft=seed_record, effective_on=dt.date(2026, 1, 1))
    seed_record.refresh_from_db()
    assert policy_version(seed_record) == seed_policy()


@pytest.mark.postgres
def test_database_refuses_changing_a_published_version(seed_record: PolicyRecord) -> None:
    with pytest.raises(DatabaseError, match="frozen"), transaction.atomic():
        PolicyRecord.objects.filter(pk=seed_record.pk).update(document={"changed": True})
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        PolicyRecord.objects.filter(pk=seed_record.pk).delete()
    # retiring it is allowed
    PolicyRecord.objects.filter(pk=seed_record.pk).update(status="retired")


@time_machine.travel(TODAY, tick=False)
def test_invalid_draft_is_refused_with_every_problem(centre: User, seed_record: PolicyRecord) -> None:
    draft = policy_draft_copy(actor=centre, source=seed_record)
    document = _edited(draft, "0.3")
    document["items"][0]["kind"] = "magic"
    with pytest.raises(PolicyDocumentError) as caught:
        policy_draft_update(actor=centre, draft=draft, document=document)
    assert len(caught.value.problems) == 2
    document = _edited(draft, "1")
    document["version_id"] = "ruian-2025.9"
    with pytest.raises(ValidationFailed, match="版本号"):
        policy_draft_update(actor=centre, draft=draft, document=document)


@time_machine.travel(TODAY, tick=False)
def test_publish_refuses_a_past_date_and_a_taken_date(centre: User, seed_record: PolicyRecord) -> None:
    draft = policy_draft_copy(actor=centre, source=seed_record)
    with pytest.raises(ValidationFailed, match="追溯"):
        policy_publish(actor=centre, draft=draft, effective_on=dt.date(2025, 10, 31))
    policy_publish(actor=centre, draft=draft, effective_on=dt.date(2026, 1, 1))
    second = policy_draft_copy(actor=centre, source=seed_record)
    assert second.version_id == "ruian-2025.3"
    with pytest.raises(Conflict, match=r"ruian-2025\.2"):
        policy_publish(actor=centre, draft=second, effective_on=dt.date(2026, 1, 1))


@pytest.mark.parametrize("factory", [ClerkFactory, ReviewerFactory])
def test_only_centre_admins_manage_policies(factory: type, seed_record: PolicyRecord) -> None:
    with pytest.raises(PermissionDenied):
        policy_draft_copy(actor=factory(), source=seed_record)
