"""Demo data of the integrity area: an audit plan over this year's approved claims, one draw, findings, and a
sanction proposal by the demo auditor waiting for the centre's approval (log in as ``centre`` to approve).

Runs through the services (so seeds, samples and audit events are real). Idempotent: nothing is done if a
plan exists. Never run in production.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from xinshimin.accounts.models import User
from xinshimin.residents.demo import refuse_in_production

from . import services
from .models import AuditPlan, AuditSample

DEMO_PLAN_NAME = "本年度审核通过的积分申报抽查（演示）"


def _scan() -> SimpleUploadedFile:
    """A small picture standing for a department's written reply."""
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(out, "PNG")
    return SimpleUploadedFile("部门核查回函.png", out.getvalue(), content_type="image/png")


def build_demo_integrity(*, seed: int) -> str:
    """Create the demo plan, draw and findings; returns one line for the demo command's summary."""
    refuse_in_production()
    auditor = User.objects.filter(username="auditor").first()
    if auditor is None:
        return "integrity: skipped (the demo auditor login is missing: load the residents demo first)"
    if AuditPlan.objects.exists():
        return "integrity: plans exist already, nothing to do"
    today = timezone.localdate()
    plan = services.audit_plan_create(
        actor=auditor,
        name=DEMO_PLAN_NAME,
        target=AuditPlan.Target.CLAIMS,
        rate="20",
        period_from=today.replace(month=1, day=1),
        period_to=today,
        note=f"演示数据（种子 {seed} 仅用于生成人口；抽样种子由系统随机生成）。",
    )
    draw = services.audit_draw_create(actor=auditor, plan=plan)
    samples = list(draw.samples.order_by("position"))
    proposed = 0
    for index, sample in enumerate(samples):
        if index == 0:
            services.sample_record_finding(
                actor=auditor,
                sample=sample,
                finding=AuditSample.Finding.FRAUD_SUSPECTED,
                note="向审核部门书面核实：申报所附证明在部门系统中查无记录，印章与该部门公章不符。",
                files=[_scan()],
            )
            services.sanction_propose(
                actor=auditor,
                sample=sample,
                reason="申报所附证明系伪造：部门系统无此记录，印章不符（演示）。",
            )
            proposed = 1
        elif index < len(samples) - 1:
            services.sample_record_finding(
                actor=auditor, sample=sample, finding=AuditSample.Finding.NO_ISSUE, note="与部门记录一致。"
            )
    return (
        f"integrity: 1 plan, a draw of {draw.sample_size} from {draw.population_count} approved claims, "
        f"{proposed} sanction proposal waiting for the centre"
    )
