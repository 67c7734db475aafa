"""Builders for integrity tests: a frozen clock in Rui'an, people, and a sample found to be fraud."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from xinshimin.claims.models import Claim
from xinshimin.claims.services import claim_approve
from xinshimin.claims.tests.factories import file_claim
from xinshimin.claims.tests.helpers import photo
from xinshimin.integrity import services
from xinshimin.integrity.models import AuditPlan, AuditSample, Sanction
from xinshimin.residents.models import Resident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def at(day: dt.date, hour: int = 10) -> time_machine.travel:
    """Freeze the clock at ``hour`` o'clock of ``day`` in Rui'an."""
    return time_machine.travel(moment(day, hour), tick=False)


def approved_volunteer_claim(
    resident: Resident, reviewer: Any, *, filed: dt.date, approved: dt.date
) -> Claim:
    """A volunteer-hours claim (25 hours = 2 points) filed and approved on the given days."""
    with at(filed):
        claim = file_claim(resident, value=[{"date": "2025-05-01", "hours": 25}])
    with at(approved):
        return claim_approve(actor=reviewer, claim=claim, note="志愿汇记录核实")


def claims_plan(actor: Any, *, start: dt.date, end: dt.date, rate: str = "100", item: str = "") -> AuditPlan:
    return services.audit_plan_create(
        actor=actor,
        name="志愿服务申报抽查",
        target=AuditPlan.Target.CLAIMS,
        rate=Decimal(rate),
        item_code=item,
        period_from=start,
        period_to=end,
    )


def find_fraud(
    auditor: Any, sample: AuditSample, note: str = "志愿汇系统无此服务记录，证明为伪造。"
) -> AuditSample:
    return services.sample_record_finding(
        actor=auditor,
        sample=sample,
        finding=AuditSample.Finding.FRAUD_SUSPECTED,
        note=note,
        files=[photo("志愿汇核查回函.jpg")],
    )


def propose(auditor: Any, sample: AuditSample) -> Sanction:
    return services.sanction_propose(
        actor=auditor, sample=sample, reason="申报的 25 小时志愿服务证明系伪造，志愿汇系统无记录。"
    )
