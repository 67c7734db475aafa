"""The fund's double-entry ledger: posting balanced entries, numbering, balances.

Every posting goes through ``post_entry``, inside the caller's transaction:

1. lock the accounts it touches, always in the same order (by primary key) so two postings never
   deadlock (a case row, when the caller locks one, is locked *before* this);
2. check the lines balance (sum of debits == sum of credits, at least two lines, each one-sided);
3. compute each account's new balance and refuse if an account that may never be negative would go
   below zero — the check runs under the lock, so two concurrent grants cannot both spend the same money;
4. write the entry, the lines and the new balances (a CHECK on the account row repeats rule 3).

Numbers (journal entries, receipts, cases) come from ``next_number``: a counter row locked until commit,
so they are gap-free and unique per year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from xinshimin.core.errors import Conflict, ValidationFailed

from .models import ZERO, Account, Counter, HardshipCase, JournalEntry, JournalLine

FUND_BANK = "fund_bank"
DONATIONS_INCOME = "donations_income"
GRANTS_EXPENSE = "grants_expense"
GRANT_RETURNS = "grant_returns"

# (code, name, normal side, never negative) — seeded by migration 0002.
ACCOUNTS: tuple[tuple[str, str, str, bool], ...] = (
    (FUND_BANK, "基金银行存款", "debit", True),
    (DONATIONS_INCOME, "捐赠收入", "credit", False),
    (GRANTS_EXPENSE, "救助支出", "debit", False),
    (GRANT_RETURNS, "救助款退回", "credit", False),
)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One side of a posting: ``account`` (a code) debited or credited with ``amount`` (> 0)."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: str, amount: Decimal) -> Line:
    return Line(account=account, debit=amount)


def credit(account: str, amount: Decimal) -> Line:
    return Line(account=account, credit=amount)


def money(value: Any, *, field: str = "amount") -> Decimal:
    """A positive amount of yuan with at most two decimals, or ``ValidationFailed``."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationFailed(_("金额格式不正确，请输入数字，例如 1500 或 1500.50。"), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed(_("金额必须大于 0。"), field=field)
    if amount >= Decimal("1000000000000"):  # before quantize(), which fails on huge numbers
        raise ValidationFailed(_("金额过大，请核对。"), field=field)
    if amount != amount.quantize(CENT):
        raise ValidationFailed(_("金额最多保留两位小数（精确到分）。"), field=field)
    return amount.quantize(CENT)


def next_number(prefix: str, year: int, *, width: int = 5) -> str:
    """The next number of a yearly sequence, e.g. ``SJ2025-00001``. Must run inside a transaction."""
    key = f"{prefix}{year}"
    if not Counter.objects.filter(key=key).exists():
        try:
            with transaction.atomic():
                Counter.objects.create(key=key, value=0)
        except IntegrityError:
            pass  # created meanwhile by a concurrent transaction
    counter = Counter.objects.select_for_update().get(key=key)
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"{prefix}{year}-{counter.value:0{width}d}"


def _signed(account: Account, line: Line) -> Decimal:
    """The line's effect on the account's balance (normal side positive)."""
    if account.normal_side == Account.Side.DEBIT:
        return line.debit - line.credit
    return line.credit - line.debit


def post_entry(
    *,
    kind: str,
    entry_on: date,
    memo: str,
    lines: Sequence[Line],
    actor: Any,
    case: HardshipCase | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one balanced entry and update the balances, under locks (see the module docstring)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_entry must run inside transaction.atomic()")
    if len(lines) < 2:
        raise ValidationFailed(_("一笔记账凭证至少需要两行（借方与贷方）。"))
    for line in lines:
        if (line.debit > 0) == (line.credit > 0) or line.debit < 0 or line.credit < 0:
            raise ValidationFailed(_("每一行只能记借方或贷方中的一个正数金额。"))
    total_debit = sum((line.debit for line in lines), ZERO)
    total_credit = sum((line.credit for line in lines), ZERO)
    if total_debit != total_credit:
        raise ValidationFailed(
            _("借贷不平衡：借方合计 %(d)s 元，贷方合计 %(c)s 元。") % {"d": total_debit, "c": total_credit}
        )
    codes = sorted({line.account for line in lines})
    accounts = {a.code: a for a in Account.objects.select_for_update().filter(code__in=codes).order_by("pk")}
    missing = set(codes) - set(accounts)
    if missing:
        raise ValidationFailed(_("账户不存在：%(codes)s。") % {"codes": "、".join(sorted(missing))})
    changes: dict[str, Decimal] = dict.fromkeys(codes, ZERO)
    for line in lines:
        changes[line.account] += _signed(accounts[line.account], line)
    for code, change in changes.items():
        account = accounts[code]
        if account.never_negative and account.balance + change < 0:
            raise Conflict(
                _("%(account)s余额不足：当前余额 %(balance)s 元，本笔需支出 %(need)s 元。请先核对基金余额。")
                % {"account": account.name, "balance": account.balance, "need": -change},
                code="insufficient_funds",
            )
    number = next_number("JZ", entry_on.year, width=6)
    entry = JournalEntry.objects.create(
        number=number,
        kind=kind,
        entry_on=entry_on,
        memo=memo[:200],
        case=case,
        reverses=reverses,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=accounts[line.account], debit=line.debit, credit=line.credit)
            for line in lines
        ]
    )
    for code, change in changes.items():
        account = accounts[code]
        account.balance += change
        account.save(update_fields=["balance"])
    return entry


def reversing_lines(entry: JournalEntry) -> list[Line]:
    """The lines that cancel ``entry``: every debit becomes a credit and vice versa."""
    return [
        Line(account=line.account.code, debit=line.credit, credit=line.debit)
        for line in entry.lines.select_related("account").order_by("pk")
    ]


# --- reads -------------------------------------------------------------------------------------------


def account_balance(code: str, *, on: date | None = None) -> Decimal:
    """An account's balance computed from its lines (on its normal side), up to ``on`` inclusive."""
    account = Account.objects.get(code=code)
    lines = JournalLine.objects.filter(account=account)
    if on is not None:
        lines = lines.filter(entry__entry_on__lte=on)
    sums = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    d, c = sums["d"] or ZERO, sums["c"] or ZERO
    return d - c if account.normal_side == Account.Side.DEBIT else c - d


def account_movement(code: str, *, start: date, end: date) -> Decimal:
    """The net change of an account (normal side) over entries dated in [start, end]."""
    account = Account.objects.get(code=code)
    sums = JournalLine.objects.filter(
        account=account, entry__entry_on__gte=start, entry__entry_on__lte=end
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    d, c = sums["d"] or ZERO, sums["c"] or ZERO
    return d - c if account.normal_side == Account.Side.DEBIT else c - d


@dataclass(frozen=True)
class TrialBalance:
    total_debit: Decimal
    total_credit: Decimal
    unbalanced_entries: list[str]
    # code → (balance kept on the account row, balance computed from the lines)
    accounts: dict[str, tuple[Decimal, Decimal]]

    @property
    def ok(self) -> bool:
        return (
            self.total_debit == self.total_credit
            and not self.unbalanced_entries
            and all(kept == computed for kept, computed in self.accounts.values())
        )


def trial_balance() -> TrialBalance:
    """Check the whole ledger: debits == credits, every entry balanced, kept balances == line sums."""
    sums = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    unbalanced = [
        row["entry__number"]
        for row in JournalLine.objects.values("entry__number").annotate(d=Sum("debit"), c=Sum("credit"))
        if row["d"] != row["c"]
    ]
    accounts = {a.code: (a.balance, account_balance(a.code)) for a in Account.objects.order_by("pk")}
    return TrialBalance(sums["d"] or ZERO, sums["c"] or ZERO, unbalanced, accounts)
