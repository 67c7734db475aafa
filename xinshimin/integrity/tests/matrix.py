"""The integrity area's part of the permission matrix (tests/permission_matrix.py, tests/permission_world.py).

To wire it in: ``PAGES.update(integrity_matrix.PAGES)``, ``API.update(integrity_matrix.API)`` in
tests/permission_matrix.py and ``KINDS.update(integrity_matrix.KINDS)`` in tests/permission_world.py.

The world: resident C (town A, not a matrix login) filed a claim that was approved, sampled, found to be
fraud by an extra auditor and approved by the matrix's administrator, so C is banned and has a recovery.
The matrix's own resident A is untouched (no other row changes). Everything here is for the centre and
the auditors; a resident sees only their own letter (C's, so the matrix resident gets 404). The matrix
auditor did not propose the sanction, so approving it again is refused by its state (409: reached).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# fmt: off
# Columns: anonymous resident clerk_a clerk_b reviewer_x reviewer_y fund_officer auditor provider admin
STAFF = "D D D D D D D A D A"
PAGES: dict[str, str | tuple[str, str]] = {
    "web:integrity_home":                       STAFF,
    "POST web:integrity_plan_create":           STAFF,
    "web:integrity_plan_detail":                ("integrity_plan", STAFF),
    "POST web:integrity_plan_draw":             ("integrity_plan", STAFF),
    "POST web:integrity_plan_toggle":           ("integrity_plan", STAFF),
    "web:integrity_draw_detail":                ("integrity_draw", STAFF),
    "web:integrity_sample_detail":              ("integrity_sample", STAFF),
    "POST web:integrity_sample_finding":        ("integrity_sample", STAFF),
    "POST web:integrity_sample_propose":        ("integrity_sample", STAFF),
    "web:integrity_sample_claim_evidence":      ("integrity_sample", STAFF),
    "web:integrity_finding_evidence":           ("integrity_finding_evidence", STAFF),
    "web:integrity_sanction_list":              STAFF,
    "web:integrity_sanction_detail":            ("integrity_sanction", STAFF),
    "POST web:integrity_sanction_approve":      ("integrity_sanction", STAFF),
    "POST web:integrity_sanction_reject":       ("integrity_sanction", STAFF),
    "POST web:integrity_recovery_create":       ("integrity_sanction", STAFF),
    "web:integrity_letter":                     ("integrity_sanction", STAFF),  # resident C's letter: not the matrix resident's
    "web:integrity_letter_pdf":                 ("integrity_sanction", STAFF),
    "web:integrity_ban_list":                   STAFF,
    "web:integrity_recovery_list":              STAFF,
    "web:integrity_recovery_detail":            ("integrity_recovery", STAFF),
    "POST web:integrity_recovery_payment":      ("integrity_recovery", STAFF),  # auditors reach it; the service refuses (message)
    "POST web:integrity_recovery_write_off":    ("integrity_recovery", STAFF),
}

API: dict[str, str | tuple[str, str]] = {
    "GET /api/integrity/plans":                                 "D A A A A A A A A A",  # empty for other roles
    "POST /api/integrity/plans":                                STAFF,
    "GET /api/integrity/plans/{plan_id}":                       ("integrity_plan", STAFF),
    "POST /api/integrity/plans/{plan_id}/draws":                ("integrity_plan", STAFF),
    "GET /api/integrity/draws/{draw_id}":                       ("integrity_draw", STAFF),
    "GET /api/integrity/samples/{sample_id}":                   ("integrity_sample", STAFF),
    "POST /api/integrity/samples/{sample_id}/finding":          ("integrity_sample", STAFF),
    "POST /api/integrity/samples/{sample_id}/sanctions":        ("integrity_sample", STAFF),
    "GET /api/integrity/sanctions":                             "D A A A A A A A A A",
    "GET /api/integrity/sanctions/{sanction_id}":               ("integrity_sanction", STAFF),
    "POST /api/integrity/sanctions/{sanction_id}/approve":      ("integrity_sanction", STAFF),
    "POST /api/integrity/sanctions/{sanction_id}/reject":       ("integrity_sanction", STAFF),
    "GET /api/integrity/bans":                                  "D A A A A A A A A A",
    "GET /api/integrity/me/ban":                                "D A A A A A A A A A",
    "GET /api/integrity/recoveries":                            "D A A A A A A A A A",
    "GET /api/integrity/recoveries/{recovery_id}":              ("integrity_recovery", STAFF),
    "POST /api/integrity/recoveries/{recovery_id}/payments":    ("integrity_recovery", "D D D D D D D D D A"),  # the centre only
    "POST /api/integrity/recoveries/{recovery_id}/write-off":   ("integrity_recovery", "D D D D D D D D D A"),
}
# fmt: on


def _integrity(world: Any) -> dict[str, Any]:
    if "integrity" in world.extra:
        return dict(world.extra["integrity"])
    import time_machine

    from xinshimin.accounts.tests.factories import (
        AuditorFactory,
        DepartmentFactory,
        ReviewerFactory,
        TownFactory,
    )
    from xinshimin.claims.services import claim_approve, claim_file
    from xinshimin.claims.tests.helpers import photo
    from xinshimin.integrity import services
    from xinshimin.integrity.models import AuditPlan
    from xinshimin.residents.tests.factories import ResidentFactory

    from .helpers import moment

    resident_c = ResidentFactory(town=TownFactory(code="anyang"), with_user=True)
    volunteer = ReviewerFactory(
        username="matrix_integrity_volunteer", department=DepartmentFactory(code="volunteer")
    )
    proposer = AuditorFactory(username="matrix_integrity_auditor")
    with time_machine.travel(moment(dt.date(2025, 5, 6)), tick=False):
        claim = claim_file(
            actor=resident_c.user,
            resident=resident_c,
            kind="claim",
            item_code="local.volunteer",
            value=[{"date": "2025-04-01", "hours": 20}],
            files=[photo()],
        )
    with time_machine.travel(moment(dt.date(2025, 5, 7)), tick=False):
        claim_approve(actor=volunteer, claim=claim)
    with time_machine.travel(moment(dt.date(2025, 5, 8)), tick=False):
        plan = services.audit_plan_create(
            actor=proposer,
            name="矩阵抽查",
            target=AuditPlan.Target.CLAIMS,
            rate="100",
            item_code="local.volunteer",
            period_from=dt.date(2025, 5, 7),
            period_to=dt.date(2025, 5, 7),
        )
        draw = services.audit_draw_create(actor=proposer, plan=plan)
        sample = draw.samples.get(claim=claim)
        services.sample_record_finding(
            actor=proposer, sample=sample, finding="fraud_suspected", note="伪造", files=[photo()]
        )
        sanction = services.sanction_propose(actor=proposer, sample=sample, reason="伪造志愿服务证明")
        sanction = services.sanction_approve(actor=world.users["admin"], sanction=sanction)
        recovery = services.recovery_create(
            actor=world.users["admin"], sanction=sanction, amount_due="100", basis="矩阵测试：平台外发放"
        )
    objects = {
        "plan": plan,
        "draw": draw,
        "sample": sample,
        "claim_evidence": claim.evidence.get(),
        "finding_evidence": sample.evidence.get(),
        "sanction": sanction,
        "recovery": recovery,
    }
    world.extra["integrity"] = objects
    return objects


def _same(world: Any, values: dict[str, Any]) -> Any:
    from tests.permission_world import Values

    return Values(values, values, sided=False)


def build_plan(world: Any) -> Any:
    pk = _integrity(world)["plan"].pk
    return _same(world, {"pk": pk, "plan_id": pk})


def build_draw(world: Any) -> Any:
    pk = _integrity(world)["draw"].pk
    return _same(world, {"pk": pk, "draw_id": pk})


def build_sample(world: Any) -> Any:
    objects = _integrity(world)
    pk = objects["sample"].pk
    return _same(world, {"pk": pk, "sample_id": pk, "evidence_pk": objects["claim_evidence"].pk})


def build_finding_evidence(world: Any) -> Any:
    return _same(world, {"pk": _integrity(world)["finding_evidence"].pk})


def build_sanction(world: Any) -> Any:
    pk = _integrity(world)["sanction"].pk
    return _same(world, {"pk": pk, "sanction_id": pk})


def build_recovery(world: Any) -> Any:
    pk = _integrity(world)["recovery"].pk
    return _same(world, {"pk": pk, "recovery_id": pk})


KINDS = {
    "integrity_plan": build_plan,
    "integrity_draw": build_draw,
    "integrity_sample": build_sample,
    "integrity_finding_evidence": build_finding_evidence,
    "integrity_sanction": build_sanction,
    "integrity_recovery": build_recovery,
}
