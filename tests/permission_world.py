"""The people and objects the permission matrix uses: two towns (A, B), two departments (X, Y), two
providers, and for every kind of object one on side A and one on side B.

Side A: resident A (lives in town A, the matrix's resident login), clerk of town A, reviewer of
department X, the provider login's own provider. Side B: resident B in town B, clerk of town B,
reviewer of department Y, another provider. An ``O`` cell means: the role's own side allowed, the other
side denied.

To add a kind for a new page: write a builder ``def build_<kind>(world) -> Values`` returning the URL
parameter values for side A and side B (every alias the URLs use: ``pk``, ``claim_id`` …), register it
in ``KINDS``, and name it in the page's row in tests/permission_matrix.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Q

from xinshimin.accounts.models import Role, User
from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    DepartmentFactory,
    FundOfficerFactory,
    ProviderFactory,
    ProviderUserFactory,
    TownFactory,
)
from xinshimin.residents.models import Resident
from xinshimin.residents.tests.factories import ResidentFactory

TOWN_A, TOWN_B = "anyang", "tangxia"
DEPARTMENT_X, DEPARTMENT_Y = "hrss", "education"
CLAIM_ITEM_X, CLAIM_ITEM_Y = "common.social_insurance", "common.education"  # reviewed by X, by Y
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The matrix runs on a frozen clock: during the school scene's public notice (12–16 May 2025).
MATRIX_TIME = dt.datetime(2025, 5, 14, 10, 0, tzinfo=SHANGHAI)
ID_A = "522401199203154513"
PHONE_A = "13812345678"


@dataclass
class Values:
    """URL parameter values for side A and side B (identical for kinds without sides)."""

    a: dict[str, Any]
    b: dict[str, Any]
    sided: bool = True


@dataclass
class World:
    users: dict[str, User | None]
    resident_a: Resident
    resident_b: Resident
    extra: dict[str, Any] = field(default_factory=dict)
    admin_models_with_rows: set[str] = field(default_factory=set)
    _values: dict[str, Values] = field(default_factory=dict)

    def values(self, kind: str) -> Values:
        if kind not in self._values:
            if kind not in KINDS:
                raise LookupError(
                    f"no object kind {kind!r}: add a builder for it to KINDS in tests/permission_world.py"
                )
            self._values[kind] = KINDS[kind](self)
        return self._values[kind]

    def admin_object_id(self, label: str) -> str:
        model = apps.get_model(label)
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        return str(first if first is not None else 0)


def _administrator() -> User:
    """The centre's administrator with the Django-admin rights the demo gives the centre login."""
    user = CentreAdminFactory(username="matrix_admin", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label__in=["accounts", "residents"], codename__startswith="view_")
            | Q(content_type__app_label="accounts", codename__in=["add_provider", "change_provider"])
        )
    )
    return user


def build_world() -> World:
    town_a, town_b = TownFactory(code=TOWN_A), TownFactory(code=TOWN_B)
    resident_a = ResidentFactory(town=town_a, with_user=True, id_number=ID_A, phone=PHONE_A, name="张小三")
    resident_b = ResidentFactory(town=town_b, with_user=True)
    provider_user = ProviderUserFactory(
        username="matrix_provider", provider=ProviderFactory(name="瑞安博物馆")
    )
    users: dict[str, User | None] = {
        "anonymous": None,
        "resident": resident_a.user,
        "clerk_a": ClerkFactory(username="matrix_clerk_a", town=town_a),
        "clerk_b": ClerkFactory(username="matrix_clerk_b", town=town_b),
        "reviewer_x": _reviewer("matrix_reviewer_x", DEPARTMENT_X),
        "reviewer_y": _reviewer("matrix_reviewer_y", DEPARTMENT_Y),
        "fund_officer": FundOfficerFactory(username="matrix_fund"),
        "auditor": AuditorFactory(username="matrix_auditor"),
        "provider": provider_user,
        "admin": _administrator(),
    }
    assert users["resident"] is not None and users["resident"].role == Role.RESIDENT
    world = World(users=users, resident_a=resident_a, resident_b=resident_b)
    for kind in KINDS:  # every object now, so that each role's run sees the same world
        world.values(kind)
    world.admin_models_with_rows = {
        model._meta.label_lower for model in apps.get_models() if model._default_manager.exists()
    }
    return world


def _reviewer(username: str, department: str) -> User:
    from xinshimin.accounts.tests.factories import ReviewerFactory

    return ReviewerFactory(username=username, department=DepartmentFactory(code=department))


# --- kinds -------------------------------------------------------------------------------------------
# Each builder runs inside the matrix's frozen clock (MATRIX_TIME) and may travel back for the steps that
# must happen earlier (a scene opens in March, is ranked in May …).


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def _photo() -> Any:
    from xinshimin.claims.tests.helpers import photo

    return photo()


def build_resident(world: World) -> Values:
    def of(resident: Resident) -> dict[str, Any]:
        return {"pk": resident.pk, "resident_id": resident.pk, "resident_pk": resident.pk}

    return Values(of(world.resident_a), of(world.resident_b))


def build_year(world: World) -> Values:
    year = {"year": MATRIX_TIME.year}
    return Values(year, year, sided=False)


# claims: claim A (resident A, an item of department X), claim B (resident B, department Y), both filed at
# the window of the resident's town (so they have a receipt) with one photo each.


def build_claim(world: World) -> Values:
    from xinshimin.claims.services import claim_file

    def file(resident: Resident, clerk: str, item_code: str, value: Any) -> dict[str, Any]:
        claim = claim_file(
            actor=world.users[clerk],
            resident=resident,
            kind="claim",
            item_code=item_code,
            value=value,
            files=[_photo()],
            consent=True,
        )
        evidence = claim.evidence.get()
        return {
            "pk": claim.pk,
            "claim_id": claim.pk,
            "evidence_pk": evidence.pk,
            "evidence_id": evidence.pk,
            "reference": claim.reference,  # public tracking: reference + last 4 of the ID number
            "id_last4": resident.id_number[-4:],
        }

    return Values(
        file(world.resident_a, "clerk_a", CLAIM_ITEM_X, 48),
        file(world.resident_b, "clerk_b", CLAIM_ITEM_Y, "bachelor"),
    )


def build_claim_item(world: World) -> Values:
    item = {"code": CLAIM_ITEM_X, "kind": "claim"}
    return Values(item, item, sided=False)


def build_window_item(world: World) -> Values:
    return Values(
        {"resident_pk": world.resident_a.pk, "code": CLAIM_ITEM_X, "kind": "claim"},
        {"resident_pk": world.resident_b.pk, "code": CLAIM_ITEM_Y, "kind": "claim"},
    )


# scenes: the 2025 school scene (published in February), applications by residents A and B for a child
# each (March), every check approved (March), ranked (8 May), notice published (12 May), an objection by
# each (13 May: A about an item of department X, B about one of department Y).


def _scenes(world: World) -> dict[str, Any]:
    if "scenes" in world.extra:
        return dict(world.extra["scenes"])
    import time_machine

    from xinshimin.scenes import services
    from xinshimin.scenes.tests.helpers import approve_all, child_of, school_scene

    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = school_scene(code="matrix-school-2025")
    applications = {}
    with time_machine.travel(at(2025, 3, 10), tick=False):
        for side, resident in (("a", world.resident_a), ("b", world.resident_b)):
            applications[side] = services.application_submit(
                actor=resident.user,
                scene=scene,
                resident=resident,
                child=child_of(resident, dt.date(2019, 5, 1)),
                stage="grade1",
            )
    with time_machine.travel(at(2025, 3, 20), tick=False):
        for application in applications.values():
            approve_all(application)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)
    with time_machine.travel(at(2025, 5, 12), tick=False):
        notice = services.notice_publish(actor=None, scene=scene)
    objections = {}
    with time_machine.travel(at(2025, 5, 13), tick=False):
        for side, item in (("a", CLAIM_ITEM_X), ("b", CLAIM_ITEM_Y)):
            application = applications[side]
            objections[side] = services.objection_file(
                actor=application.resident.user,
                row=application.ranking_rows.get(run=run),
                item_code=item,
                statement="该项目未计分，请核实。",
            )
    checks = {
        "a": applications["a"].checks.get(department__code=DEPARTMENT_X),
        "b": applications["b"].checks.get(department__code=DEPARTMENT_Y),
    }
    world.extra["scenes"] = {
        "scene": scene,
        "run": run,
        "notice": notice,
        "applications": applications,
        "checks": checks,
        "objections": objections,
    }
    return dict(world.extra["scenes"])


def build_scene(world: World) -> Values:
    scene = _scenes(world)["scene"]
    values = {"pk": scene.pk, "scene_id": scene.pk, "scene_pk": scene.pk}
    return Values(values, values, sided=False)


def build_notice(world: World) -> Values:
    scenes = _scenes(world)
    values = {
        "scene_pk": scenes["scene"].pk,
        "scene_id": scenes["scene"].pk,
        "version": scenes["run"].version,
    }
    return Values(values, values, sided=False)


def build_run(world: World) -> Values:
    run = _scenes(world)["run"]
    return Values({"pk": run.pk}, {"pk": run.pk}, sided=False)


def build_application(world: World) -> Values:
    applications = _scenes(world)["applications"]
    return Values(*({"pk": applications[s].pk, "application_id": applications[s].pk} for s in ("a", "b")))


def build_check(world: World) -> Values:
    checks = _scenes(world)["checks"]
    return Values(*({"pk": checks[s].pk, "check_id": checks[s].pk} for s in ("a", "b")))


def build_objection(world: World) -> Values:
    objections = _scenes(world)["objections"]
    return Values(*({"pk": objections[s].pk, "objection_id": objections[s].pk} for s in ("a", "b")))


# welfare: offer A of the provider login's own provider, offer B of another provider, both open now;
# resident A redeemed offer A and resident B offer B (one certificate each).


def _welfare(world: World) -> dict[str, Any]:
    if "welfare" in world.extra:
        return dict(world.extra["welfare"])
    from xinshimin.welfare.services import offer_redeem
    from xinshimin.welfare.tests.helpers import give_points, make_offer

    provider_user = world.users["provider"]
    assert provider_user is not None
    offers = {
        "a": make_offer(provider=provider_user.provider, opens_at=MATRIX_TIME - dt.timedelta(hours=1)),
        "b": make_offer(
            provider=ProviderFactory(name="瑞安大剧院"),
            title="瑞安大剧院演出票",
            opens_at=MATRIX_TIME - dt.timedelta(hours=1),
        ),
    }
    certificates = {}
    for side, resident in (("a", world.resident_a), ("b", world.resident_b)):
        give_points(resident, 80)
        result = offer_redeem(actor=resident.user, offer=offers[side], idempotency_key=f"matrix-{side}-0001")
        certificates[side] = result.certificate
    world.extra["welfare"] = {"offers": offers, "certificates": certificates}
    return dict(world.extra["welfare"])


def build_offer(world: World) -> Values:
    offers = _welfare(world)["offers"]
    return Values(*({"pk": offers[s].pk, "offer_id": offers[s].pk} for s in ("a", "b")))


def build_certificate(world: World) -> Values:
    certificates = _welfare(world)["certificates"]
    return Values(*({"code": certificates[s].code} for s in ("a", "b")))


# charity: a hardship case by resident A (verifiers: clerk A and reviewer X) and one by resident B
# (clerk B and reviewer Y), each with a photo; one organisation's donation (a ledger entry).


def _charity(world: World) -> dict[str, Any]:
    if "charity" in world.extra:
        return dict(world.extra["charity"])
    from xinshimin.charity.models import Donation, HardshipCase
    from xinshimin.charity.services import case_submit, donation_record, evidence_add, verifiers_assign

    officer = world.users["fund_officer"]
    cases = {}
    for side, resident, verifiers in (
        ("a", world.resident_a, ("clerk_a", "reviewer_x")),
        ("b", world.resident_b, ("clerk_b", "reviewer_y")),
    ):
        case = case_submit(
            actor=resident.user,
            applicant=resident,
            category=HardshipCase.Category.ILLNESS,
            amount_requested="5000",
            description="本人突发重病住院治疗，医疗费用负担沉重，家庭无力承担。",
        )
        evidence_add(actor=resident.user, case=case, files=[_photo()])
        verifiers_assign(actor=officer, case=case, verifiers=[world.users[v] for v in verifiers])
        cases[side] = case
    donation = donation_record(
        actor=officer,
        donor_kind=Donation.DonorKind.ORGANISATION,
        donor_name="瑞安市慈善总会",
        amount="100000",
    )
    world.extra["charity"] = {"cases": cases, "donation": donation}
    return dict(world.extra["charity"])


def build_case(world: World) -> Values:
    cases = _charity(world)["cases"]
    return Values(*({"pk": cases[s].pk, "case_id": cases[s].pk} for s in ("a", "b")))


def build_case_evidence(world: World) -> Values:
    cases = _charity(world)["cases"]
    return Values(*({"pk": cases[s].evidence.order_by("pk").first().pk} for s in ("a", "b")))


def build_donation(world: World) -> Values:
    donation = _charity(world)["donation"]
    return Values({"pk": donation.pk}, {"pk": donation.pk}, sided=False)


def build_ledger_entry(world: World) -> Values:
    from xinshimin.charity.models import JournalEntry

    _charity(world)
    entry = JournalEntry.objects.order_by("pk").first()
    assert entry is not None
    return Values({"pk": entry.pk}, {"pk": entry.pk}, sided=False)


def build_admin_app(world: World) -> Values:
    values = {"app_label": "residents"}
    return Values(values, values, sided=False)


def build_admin_view_on_site(world: World) -> Values:
    from django.contrib.contenttypes.models import ContentType

    values = {
        "content_type_id": ContentType.objects.get_for_model(Resident).pk,
        "object_id": world.resident_a.pk,
    }
    return Values(values, values, sided=False)


def build_scene_applicant(world: World) -> Values:
    scene = _scenes(world)["scene"]
    return Values(
        {"scene_id": scene.pk, "resident_id": world.resident_a.pk},
        {"scene_id": scene.pk, "resident_id": world.resident_b.pk},
    )


def build_policy(world: World) -> Values:
    """A draft copy of the seeded policy version (the centre's policy pages take a version's pk)."""
    from xinshimin.scoring.models import PolicyRecord
    from xinshimin.scoring.services import policy_draft_copy

    seed = PolicyRecord.objects.get(version_id="ruian-2025.1")
    values = {"pk": policy_draft_copy(actor=world.users["admin"], source=seed).pk}
    return Values(values, values, sided=False)


# centre: a published public announcement; an announcement for residents, whose inbox delivery is a job.


def build_announcement(world: World) -> Values:
    from xinshimin.centre.services import announcement_create, announcement_publish

    admin = world.users["admin"]
    made = announcement_create(actor=admin, title="2025年积分入学名单公示", body="公示期 5 个工作日。")
    made = announcement_publish(actor=admin, announcement=made)
    values = {"pk": made.pk, "announcement_id": made.pk}
    return Values(values, values, sided=False)


def build_job(world: World) -> Values:
    from xinshimin.centre.models import JobRun
    from xinshimin.centre.services import announcement_create, announcement_publish

    admin = world.users["admin"]
    made = announcement_create(actor=admin, title="集中审核期提醒", body="正文", audience="residents")
    job = JobRun.objects.get(announcement=announcement_publish(actor=admin, announcement=made))
    values = {"source": "delivery", "pk": job.pk, "job_id": job.pk}
    return Values(values, values, sided=False)


def build_dashboard_section(world: World) -> Values:
    values = {"section": "residents"}
    return Values(values, values, sided=False)


# integrity: resident C (town A, nobody's login in the matrix) had a volunteer claim approved in May; the
# auditor's plan drew it, found it forged (with a photo), proposed a sanction that the centre approved
# (a ban, a letter) and registered an amount to recover. Resident C keeps the sanction away from A and B.


def _integrity(world: World) -> dict[str, Any]:
    if "integrity" in world.extra:
        return dict(world.extra["integrity"])
    import time_machine

    from xinshimin.integrity import services
    from xinshimin.integrity.tests.helpers import approved_volunteer_claim, claims_plan, find_fraud, propose

    resident_c = ResidentFactory(town=world.resident_a.town, with_user=True)
    volunteer_reviewer = _reviewer("matrix_reviewer_volunteer", "volunteer")
    claim = approved_volunteer_claim(
        resident_c, volunteer_reviewer, filed=dt.date(2025, 5, 6), approved=dt.date(2025, 5, 8)
    )
    auditor = world.users["auditor"]
    with time_machine.travel(at(2025, 5, 9), tick=False):
        plan = claims_plan(
            auditor, start=dt.date(2025, 5, 1), end=dt.date(2025, 5, 31), item="local.volunteer"
        )
        draw = services.audit_draw_create(actor=auditor, plan=plan)
        sample = draw.samples.get(claim=claim)
    with time_machine.travel(at(2025, 5, 10), tick=False):
        sample = find_fraud(auditor, sample)
        sanction = propose(auditor, sample)
    with time_machine.travel(at(2025, 5, 12), tick=False):
        sanction = services.sanction_approve(actor=world.users["admin"], sanction=sanction, note="证据确凿")
        recovery = services.recovery_create(
            actor=world.users["admin"],
            sanction=sanction,
            amount_due="3000",
            basis="2024年住房租赁补贴 3000 元",
        )
    world.extra["integrity"] = {
        "plan": plan,
        "draw": draw,
        "sample": sample,
        "claim_evidence": claim.evidence.order_by("pk").first(),
        "finding_evidence": sample.evidence.order_by("pk").first(),
        "sanction": sanction,
        "recovery": recovery,
    }
    return dict(world.extra["integrity"])


def _one(values: dict[str, Any]) -> Values:
    return Values(values, values, sided=False)


def build_integrity_plan(world: World) -> Values:
    plan = _integrity(world)["plan"]
    return _one({"pk": plan.pk, "plan_id": plan.pk})


def build_integrity_draw(world: World) -> Values:
    draw = _integrity(world)["draw"]
    return _one({"pk": draw.pk, "draw_id": draw.pk})


def build_integrity_sample(world: World) -> Values:
    objects = _integrity(world)
    sample = objects["sample"]
    return _one({"pk": sample.pk, "sample_id": sample.pk, "evidence_pk": objects["claim_evidence"].pk})


def build_integrity_finding_evidence(world: World) -> Values:
    return _one({"pk": _integrity(world)["finding_evidence"].pk})


def build_integrity_sanction(world: World) -> Values:
    sanction = _integrity(world)["sanction"]
    return _one({"pk": sanction.pk, "sanction_id": sanction.pk})


def build_integrity_recovery(world: World) -> Values:
    recovery = _integrity(world)["recovery"]
    return _one({"pk": recovery.pk, "recovery_id": recovery.pk})


def build_unknown_path(world: World) -> Values:
    values = {"url": "no-such-page/"}
    return Values(values, values, sided=False)


KINDS: dict[str, Callable[[World], Values]] = {
    "scene_applicant": build_scene_applicant,
    "unknown_path": build_unknown_path,
    "admin_app": build_admin_app,
    "admin_view_on_site": build_admin_view_on_site,
    "resident": build_resident,
    "year": build_year,
    "claim": build_claim,
    "claim_item": build_claim_item,
    "window_item": build_window_item,
    "scene": build_scene,
    "notice": build_notice,
    "run": build_run,
    "application": build_application,
    "check": build_check,
    "objection": build_objection,
    "offer": build_offer,
    "certificate": build_certificate,
    "case": build_case,
    "case_evidence": build_case_evidence,
    "donation": build_donation,
    "ledger_entry": build_ledger_entry,
    "policy": build_policy,
    "announcement": build_announcement,
    "job": build_job,
    "dashboard_section": build_dashboard_section,
    "integrity_plan": build_integrity_plan,
    "integrity_draw": build_integrity_draw,
    "integrity_sample": build_integrity_sample,
    "integrity_finding_evidence": build_integrity_finding_evidence,
    "integrity_sanction": build_integrity_sanction,
    "integrity_recovery": build_integrity_recovery,
}


# Request bodies for API operations whose minimal schema-valid body would not reach the permission check
# (a clerk names the resident they act for …). The function gets the side's values of the row's kind.
API_BODIES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "POST /api/claims": lambda v: {
        "kind": "claim",
        "item_code": CLAIM_ITEM_X,
        "value": "48",
        "resident_id": v["resident_id"],
        "consent": "true",
    },
    "POST /api/scenes/{scene_id}/applications": lambda v: {
        "resident_id": v["resident_id"],
        "stage": "grade1",
    },
    "POST /api/charity/donations": lambda v: {
        "donor_kind": "organisation",
        "amount": "100",
        "donor_name": "瑞安某商会",
    },
    "POST /api/charity/cases/{case_id}/verifications": lambda v: {
        "checked": "查看住院病历与费用清单，电话联系所在单位。",
        "found": "情况属实。",
        "finding": "confirmed",
    },
    "POST /api/charity/cases/{case_id}/decision": lambda v: {
        "outcome": "approved",
        "reason": "经两人核实，情况属实，符合救助条件。",
    },
}
