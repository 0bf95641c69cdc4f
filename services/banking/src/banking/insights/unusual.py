"""Unusual transactions: amounts far outside a payee's usual range, duplicate charges, and a
monthly payment whose amount changed. Only charges of the last days are reported."""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from banking.insights.findings import Finding
from banking.insights.flows import (
    a_month_apart,
    category_key,
    day_of,
    exact_payee,
    monthly_run,
    own_transfers,
    payee_as_written,
    same_amount,
)
from banking.insights.history import CompanyHistory, Movement
from banking.insights.wording import UNCATEGORISED, day_label, decimal
from banking.money import brl

# What was charged before this is history to learn from, not news.
RECENT_DAYS = 30

# A charge is unusual when it exceeds the payee's median by OUTLIER_SCORE robust deviations (the
# median absolute deviation, scaled to a normal's standard deviation) and by MIN_OUTLIER_EXCESS.
OUTLIER_SCORE = 3.5
MAD_TO_SIGMA = 1.4826
# Payees charging the same amount every time have no deviation: any change would be "infinite".
MIN_RELATIVE_SPREAD = 0.1
MIN_OUTLIER_EXCESS_CENTS = 50_00
# Charges seen before judging: the payee's own, else its category's (a wider, looser range).
MIN_PAYEE_HISTORY = 6
MIN_CATEGORY_HISTORY = 12

# Same account, payee and amount this many days apart or less is a duplicate charge...
DUPLICATE_WINDOW_DAYS = 2
# ...unless the payee charges that amount this many times in a usual month (fares, tolls).
REPEATED_PER_MONTH = 4

# A monthly payment: at least this many earlier charges about a month apart, each within
# RECURRING_TOLERANCE (or flows.SAME_AMOUNT_CENTS) of the one before the new charge; its amount
# changed when the new charge is not within them.
RECURRING_MIN_CHARGES = 3
RECURRING_MAX_CHARGES = 12
RECURRING_TOLERANCE = 0.05

KIND_OUTLIER = "unusual_amount"
KIND_DUPLICATE = "duplicate_charge"
KIND_RECURRING_CHANGED = "recurring_amount_changed"


def find_unusual(history: CompanyHistory) -> list[Finding]:
    """Duplicate charges, monthly payments whose amount changed, then amounts far above usual."""
    since = history.today - timedelta(days=RECENT_DAYS)
    by_payee: dict[str, list[Movement]] = defaultdict(list)
    refunds: dict[tuple[UUID, str, int], list[date]] = defaultdict(list)
    internal = own_transfers(history.movements)
    for movement in history.movements:
        if movement.day > history.today or movement.transaction_id in internal:
            continue
        if movement.amount_cents < 0:
            by_payee[exact_payee(movement)].append(movement)
        else:
            refunds[(movement.account_id, exact_payee(movement), movement.amount_cents)].append(
                movement.day
            )
    for group in by_payee.values():
        group.sort(key=day_of)
    accounts = {a.account_id: a.name for a in history.accounts}
    duplicates = _duplicates(by_payee, refunds, since, accounts)
    changed = _recurring_changed(by_payee, since)
    reported = {tx for finding in (*duplicates, *changed) for tx in finding.transaction_ids}
    outliers = _outliers(by_payee, since, reported)
    return [*duplicates, *changed, *outliers]


def _duplicates(
    by_payee: dict[str, list[Movement]],
    refunds: dict[tuple[UUID, str, int], list[date]],
    since: date,
    accounts: dict[UUID, str],
) -> list[Finding]:
    found: list[tuple[date, Finding]] = []
    for payee, charges in by_payee.items():
        recent_amounts = {m.amount_cents for m in charges[_first_recent(charges, since) :]}
        if not recent_amounts:
            continue
        same: dict[tuple[UUID, int], list[Movement]] = defaultdict(list)
        for charge in charges:
            if charge.amount_cents in recent_amounts:
                same[(charge.account_id, charge.amount_cents)].append(charge)
        for (account, amount), group in same.items():
            if len(group) < 2 or group[-1].day <= since:
                continue
            per_month = statistics.median(
                Counter((m.day.year, m.day.month) for m in group).values()
            )
            if per_month >= REPEATED_PER_MONTH:
                continue
            for cluster in _clusters(group):
                extra = cluster[1:]
                if extra[-1].day <= since:
                    continue
                refunded = refunds.get((account, payee, -amount), [])
                if sum(day >= cluster[0].day for day in refunded) >= len(extra):
                    continue
                found.append((extra[-1].day, _duplicate_finding(cluster, per_month, accounts)))
    return _newest_first(found)


def _clusters(group: Sequence[Movement]) -> list[list[Movement]]:
    """Runs of charges each within the duplicate window of the one before (sorted by day)."""
    runs: list[list[Movement]] = []
    for charge in group:
        if runs and (charge.day - runs[-1][-1].day).days <= DUPLICATE_WINDOW_DAYS:
            runs[-1].append(charge)
        else:
            runs.append([charge])
    # Charges of one day in id order, so the finding's key does not depend on the input's order.
    return [sorted(run, key=lambda m: (m.day, m.transaction_id)) for run in runs if len(run) > 1]


def _duplicate_finding(
    cluster: Sequence[Movement], per_month: float, accounts: dict[UUID, str]
) -> Finding:
    first = cluster[0]
    payee = payee_as_written(first)
    amount = -first.amount_cents
    times = len(cluster)
    where = _on_account_pt(accounts.get(first.account_id))
    days = _join_pt([day_label(m.day) for m in cluster])
    return Finding(
        kind=KIND_DUPLICATE,
        tier="standard",
        severity="action",
        title=f"Cobrança em duplicidade: {payee}",
        message=(
            f"{payee} cobrou {brl(amount)} {_times_pt(times)}{where} ({days}). "
            f"Se foi por engano, peça o estorno de {brl(amount * (times - 1))}."
        ),
        evidence={
            "payee": payee,
            "amount_cents": amount,
            "charges": times,
            "extra_cents": amount * (times - 1),
            "days": [m.day.isoformat() for m in cluster],
            "window_days": DUPLICATE_WINDOW_DAYS,
            "usual_charges_per_month": per_month,
        },
        transaction_ids=tuple(m.transaction_id for m in cluster),
        account_id=first.account_id,
        # The second charge is the duplicate; a third one later keeps the same finding.
        key=f"duplicate:{cluster[1].transaction_id}",
    )


def _recurring_changed(by_payee: dict[str, list[Movement]], since: date) -> list[Finding]:
    found: list[tuple[date, Finding]] = []
    for group in by_payee.values():
        latest = group[-1]
        if len(group) <= RECURRING_MIN_CHARGES or latest.day <= since:
            continue
        if not a_month_apart(group[-2], latest):
            continue
        earlier = monthly_run(group[:-1], RECURRING_TOLERANCE)[-RECURRING_MAX_CHARGES:]
        if len(earlier) < RECURRING_MIN_CHARGES:
            continue
        if same_amount(earlier[-1].amount_cents, latest.amount_cents, RECURRING_TOLERANCE):
            continue
        found.append((latest.day, _recurring_finding(earlier, latest)))
    return _newest_first(found)


def _recurring_finding(earlier: Sequence[Movement], latest: Movement) -> Finding:
    payee = payee_as_written(latest)
    old, new = -earlier[-1].amount_cents, -latest.amount_cents
    change = new - old
    percent = round(100 * change / old, 1)
    direction = "subiu" if change > 0 else "caiu"
    return Finding(
        kind=KIND_RECURRING_CHANGED,
        tier="standard",
        severity="warning",
        title=f"Pagamento mensal de {payee} {direction}",
        message=(
            f"{payee} cobrou {brl(new)} em {day_label(latest.day)}; nos {len(earlier)} meses "
            f"anteriores a cobrança foi de {brl(old)} ({_signed_percent_pt(percent)})."
        ),
        evidence={
            "payee": payee,
            "old_amount_cents": old,
            "new_amount_cents": new,
            "change_cents": change,
            "change_percent": percent,
            "new_day": latest.day.isoformat(),
            "previous_days": [m.day.isoformat() for m in earlier],
            "months_at_old_amount": len(earlier),
        },
        transaction_ids=(*(m.transaction_id for m in earlier), latest.transaction_id),
        account_id=latest.account_id,
        key=f"recurring_changed:{latest.transaction_id}",
    )


@dataclass(frozen=True)
class _Usual:
    """A payee's or category's usual charge, from the charges before the recent days."""

    basis: str
    label: str
    count: int
    median: float
    mad: float
    q1: float
    q3: float

    def spread(self) -> float:
        return max(MAD_TO_SIGMA * self.mad, MIN_RELATIVE_SPREAD * self.median)


def _outliers(
    by_payee: dict[str, list[Movement]], since: date, reported: set[UUID]
) -> list[Finding]:
    categories = _Categories(by_payee, since)
    found: list[tuple[date, Finding]] = []
    for charges in by_payee.values():
        split = _first_recent(charges, since)
        recent = [m for m in charges[split:] if m.transaction_id not in reported]
        if not recent:
            continue
        usual: _Usual | None = None
        if split >= MIN_PAYEE_HISTORY:
            before = [-m.amount_cents for m in charges[:split]]
            usual = _usual("payee", payee_as_written(charges[-1]), before)
        for charge in recent:
            judged = usual or categories.usual(charge)
            if judged is None:
                continue
            excess = -charge.amount_cents - judged.median
            if excess >= max(OUTLIER_SCORE * judged.spread(), MIN_OUTLIER_EXCESS_CENTS):
                found.append((charge.day, _outlier_finding(charge, judged)))
    return _newest_first(found)


class _Categories:
    """Each category's usual charge before the recent days, for payees too new to judge alone
    (grouped on first need: most histories need it for a few charges only)."""

    def __init__(self, by_payee: dict[str, list[Movement]], since: date) -> None:
        self._by_payee = by_payee
        self._since = since
        self._amounts: dict[str | None, list[int]] | None = None
        self._usual: dict[str | None, _Usual | None] = {}

    def usual(self, charge: Movement) -> _Usual | None:
        key = category_key(charge)
        if key is None:
            return None
        if key not in self._usual:
            amounts = self._grouped().get(key, [])
            label = charge.category_name or UNCATEGORISED
            enough = len(amounts) >= MIN_CATEGORY_HISTORY
            self._usual[key] = _usual("category", label, amounts) if enough else None
        return self._usual[key]

    def _grouped(self) -> dict[str | None, list[int]]:
        if self._amounts is None:
            self._amounts = defaultdict(list)
            for charges in self._by_payee.values():
                for charge in charges[: _first_recent(charges, self._since)]:
                    self._amounts[category_key(charge)].append(-charge.amount_cents)
        return self._amounts


def _first_recent(charges: Sequence[Movement], since: date) -> int:
    """Where the recent charges start in a payee's charges (sorted by day)."""
    return bisect.bisect_right(charges, since, key=day_of)


def _usual(basis: str, label: str, amounts: Sequence[int]) -> _Usual:
    ordered = sorted(amounts)
    median = statistics.median(ordered)
    mad = statistics.median(sorted(abs(a - median) for a in ordered))
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return _Usual(basis, label, len(ordered), median, mad, q1, q3)


def _outlier_finding(charge: Movement, usual: _Usual) -> Finding:
    payee = payee_as_written(charge)
    amount = -charge.amount_cents
    median = round(usual.median)
    times = amount / usual.median
    compared = "deste pagador" if usual.basis == "payee" else f"da categoria {usual.label}"
    return Finding(
        kind=KIND_OUTLIER,
        tier="standard",
        severity="warning",
        title=f"Valor fora do comum: {payee}",
        message=(
            f"Pagamento de {brl(amount)} a {payee} em {day_label(charge.day)}, "
            f"{decimal(times)} vezes o valor típico "
            f"{compared} (mediana de {brl(median)}; em geral entre {brl(round(usual.q1))} e "
            f"{brl(round(usual.q3))}, em {usual.count} pagamentos)."
        ),
        evidence={
            "payee": payee,
            "amount_cents": amount,
            "day": charge.day.isoformat(),
            "compared_with": usual.basis,
            "compared_label": usual.label,
            "history_count": usual.count,
            "median_cents": median,
            "usual_low_cents": round(usual.q1),
            "usual_high_cents": round(usual.q3),
            "mad_cents": round(usual.mad),
            "times_median": round(times, 1),
            "robust_score": round((amount - usual.median) / usual.spread(), 1),
        },
        transaction_ids=(charge.transaction_id,),
        account_id=charge.account_id,
        key=f"unusual_amount:{charge.transaction_id}",
    )


def _newest_first(found: list[tuple[date, Finding]]) -> list[Finding]:
    return [finding for _, finding in sorted(found, key=lambda f: (f[0], f[1].key), reverse=True)]


def _join_pt(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} e {items[-1]}"


def _on_account_pt(account: str | None) -> str:
    if not account:
        return ""
    # Banks name accounts "Conta Corrente", "Conta PJ"...: "na Conta PJ", else "na conta Nubank".
    return f" na {account}" if account.lower().startswith("conta") else f" na conta {account}"


def _times_pt(times: int) -> str:
    return {2: "duas vezes", 3: "três vezes"}.get(times, f"{times} vezes")


def _signed_percent_pt(percent: float) -> str:
    return f"{'+' if percent > 0 else ''}{decimal(percent)}%"
