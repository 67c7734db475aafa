"""Demo data of the charity fund: donations (one employer giving ¥100,000 or more) and cases in every state.

``build_demo_charity`` runs after the population demo (``residents.demo.build_demo``): it uses the demo
residents and staff logins, and goes through the services (so the ledger, audit and deadlines are real).
Deterministic for a given seed and day. Never run in production.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from xinshimin.accounts.models import Role, User
from xinshimin.residents.demo import DEMO_PASSWORD, refuse_in_production
from xinshimin.residents.models import Resident
from xinshimin.workdays.calendar import add_working_days

from . import services
from .models import Donation, HardshipCase

VERIFIER_USERNAMES = ("reviewer_ps", "centre", "clerk_anyang", "auditor")
DESCRIPTIONS = {
    "illness": "本人突发疾病住院治疗，医疗费用较高，家庭收入无法负担，申请爱心基金救助。",
    "accident": "上班途中遭遇交通事故受伤，需要手术和康复，暂时无法工作，生活困难。",
    "disaster": "台风暴雨导致出租屋进水，家具家电和生活用品受损严重。",
    "family_hardship": "配偶长期患病，两个孩子在读书，家庭收入低，生活十分困难。",
    "other": "家中突发变故，需要临时帮助渡过难关。",
}


def _fund_officer() -> User:
    user = User.objects.filter(username="fund", role=Role.FUND_OFFICER).first()
    if user is None:
        user = User.objects.create(
            username="fund", role=Role.FUND_OFFICER, password=make_password(DEMO_PASSWORD)
        )
    return user


def _verifiers(exclude: set[int]) -> list[User]:
    found = [
        u
        for name in VERIFIER_USERNAMES
        for u in User.objects.filter(username=name, is_active=True)
        if u.pk not in exclude
    ]
    if len(found) < 2:
        extra, _created = User.objects.get_or_create(
            username="fund_verifier",
            defaults={"role": Role.FUND_OFFICER, "password": make_password(DEMO_PASSWORD)},
        )
        found.append(extra)
    return found[:2]


def _filer(resident: Resident) -> tuple[User, bool] | None:
    """Who files for this resident: themself online, or a clerk of their town at the window."""
    if resident.user is not None and resident.user.role == Role.RESIDENT:
        return resident.user, False
    clerk = (
        User.objects.filter(role=Role.CLERK, town_id=resident.town_id, is_active=True).order_by("pk").first()
    )
    return (clerk, True) if clerk is not None else None


def build_demo_charity(*, seed: int, today: date | None = None) -> str:
    """Create the fund's demo donations and cases; returns a one-line summary. Skips if donations exist."""
    refuse_in_production()
    today = today or timezone.localdate()
    if Donation.objects.exists():
        return "charity: demo data already present, nothing added"
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    residents = list(Resident.objects.select_related("user", "town").order_by("pk")[:400])
    if not residents:
        return "charity: no residents yet, nothing added (run the population demo first)"
    with transaction.atomic():
        officer = _fund_officer()
        employee = next((r for r in residents if r.employer), residents[0])
        employer = employee.employer or "瑞安市新居民爱心企业有限公司"
        start = today - timedelta(days=75)
        services.donation_record(
            actor=officer, donor_kind="employer", donor_name=employer, amount="120000",
            donated_on=start, consent_to_name=True, today=today, note="年度爱心捐赠",
        )  # fmt: skip
        services.donation_record(
            actor=officer, donor_kind="organisation", donor_name="瑞安市慈善总会", amount="50000",
            donated_on=start + timedelta(days=3), consent_to_name=True, today=today,
        )  # fmt: skip
        services.donation_record(
            actor=officer, donor_kind="individual", donor_name="陈爱心", amount="3000",
            donated_on=start + timedelta(days=5), today=today,
        )  # fmt: skip
        donors = rng.sample(residents, k=min(3, len(residents)))
        for index, donor in enumerate(donors):
            services.donation_record(
                actor=officer, donor_kind="resident", resident=donor, amount=str(rng.choice((100, 200, 500, 1000))),
                donated_on=start + timedelta(days=7 + index), consent_to_name=index == 0, today=today,
            )  # fmt: skip

        candidates = [r for r in residents if r is not employee and _filer(r) is not None]
        rng.shuffle(candidates)
        applicants = ([employee] if _filer(employee) else []) + candidates
        plan = ("disbursed", "disbursed", "refused", "approved", "verifying", "submitted")
        made: dict[str, int] = {}
        for state, applicant in zip(plan, applicants, strict=False):
            filer = _filer(applicant)
            assert filer is not None
            actor, at_window = filer
            category = rng.choice(list(DESCRIPTIONS))
            if state in ("submitted", "verifying"):
                submitted_on = add_working_days(today, -rng.randint(1, 12))
            else:
                submitted_on = add_working_days(today, -rng.randint(20, 40))
            case = services.case_submit(
                actor=actor, applicant=applicant, category=category,
                amount_requested=str(rng.choice((2000, 3000, 5000, 8000))), description=DESCRIPTIONS[category],
                is_urgent=rng.random() < 0.25, consent=at_window, today=submitted_on,
            )  # fmt: skip
            made[state] = made.get(state, 0) + 1
            if state == "submitted":
                continue
            exclude = {applicant.user_id} if applicant.user_id else set()
            first, second = _verifiers(exclude | {officer.pk})
            services.verifiers_assign(actor=officer, case=case, verifiers=[first, second])
            services.verification_record(
                actor=first, case=case, checked="电话联系申请人及所在单位，查看病历、费用清单或相关证明。",
                found="与申报情况一致。", finding="confirmed",
            )  # fmt: skip
            if state == "verifying":
                continue
            services.verification_record(
                actor=second, case=case, checked="入户走访，向所在社区核实家庭情况。",
                found="家庭收入较低，困难情况属实。" if state != "refused" else "已获商业保险足额赔付。",
                finding="confirmed" if state != "refused" else "partly",
            )  # fmt: skip
            decided_on = add_working_days(submitted_on, rng.randint(3, 8))
            if state == "refused":
                services.case_decide(
                    actor=officer, case=case, outcome="refused", today=decided_on,
                    reason="经两名工作人员核实，申请人的医疗费用已由商业保险足额赔付，不符合本基金救助条件。",
                )  # fmt: skip
                continue
            amount = min(case.amount_requested, Decimal("5000"))
            services.case_decide(
                actor=officer, case=case, outcome="approved", amount_approved=amount, today=decided_on,
                reason="经两名工作人员核实，情况属实，符合救助条件，批准救助。",
            )  # fmt: skip
            if state == "disbursed":
                services.case_disburse(actor=officer, case=case, paid_on=add_working_days(decided_on, 1))
    cases = HardshipCase.objects.count()
    states = ", ".join(f"{k} {v}" for k, v in made.items())
    return f"charity: {Donation.objects.count()} donations, {cases} cases ({states})"
