"""Month-over-month spending changes by category that matter: the last complete month against
the average of the three months before it, only the few biggest changes in reais."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from banking.insights.findings import Finding, Point
from banking.insights.flows import category_key, own_transfers
from banking.insights.history import CompanyHistory, Movement
from banking.insights.months import month_start, months_before
from banking.insights.wording import UNCATEGORISED, decimal, month_key, month_label
from banking.money import brl

KIND_CATEGORY_CHANGE = "category_change"
# The last complete month is compared with the average of up to this many months before it
# (fewer when the history is shorter, never a month the history covers only in part).
BASELINE_MONTHS = 3
# A change matters when it is at least this much in reais and relative to the average.
MIN_CHANGE_CENTS = 200_00
MIN_CHANGE_RATIO = 0.2
MAX_FINDINGS = 3
# Months of each category's chart, ending with the month compared.
CHART_MONTHS = 12
CHART_SERIES = "monthly_total"
# The transactions named behind a finding: the month's largest charges in the category.
MAX_TRANSACTIONS = 20


@dataclass
class _Category:
    """One category's spending per month, and what it is called (its latest name)."""

    category_id: str | None = None
    name: str = UNCATEGORISED
    named_on: date = date.min
    by_month: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    last_month: list[Movement] = field(default_factory=list)

    def add(self, movement: Movement, month: date, last: date) -> None:
        self.by_month[month] -= movement.amount_cents
        if movement.category_id is not None:
            self.category_id = movement.category_id
        if movement.category_name and movement.day >= self.named_on:
            self.name, self.named_on = movement.category_name, movement.day
        if month == last:
            self.last_month.append(movement)


def find_category_changes(history: CompanyHistory) -> list[Finding]:
    """The (at most three) categories whose spending changed most last month, by reais."""
    if not history.movements:
        return []
    last = months_before(month_start(history.today), 1)
    earliest = min(m.day for m in history.movements)
    # A month counts only when the history covers it from its first day.
    first_whole = month_start(earliest) if earliest.day == 1 else months_before(earliest, -1)
    baseline = _months_up_to(months_before(last, 1), BASELINE_MONTHS, first_whole)
    if not baseline:
        return []
    charted = _months_up_to(last, CHART_MONTHS, first_whole)
    window = [m for m in history.movements if charted[0] <= month_start(m.day) <= last]
    internal = own_transfers(window)
    categories: dict[str | None, _Category] = defaultdict(_Category)
    for movement in window:
        if movement.amount_cents < 0 and movement.transaction_id not in internal:
            categories[category_key(movement)].add(movement, month_start(movement.day), last)
    changes: list[tuple[int, str, Finding]] = []
    for key, category in categories.items():
        spent = category.by_month.get(last, 0)
        average = round(sum(category.by_month.get(m, 0) for m in baseline) / len(baseline))
        change = spent - average
        if abs(change) < MIN_CHANGE_CENTS or abs(change) < MIN_CHANGE_RATIO * average:
            continue
        series = tuple(Point(month, category.by_month.get(month, 0)) for month in charted)
        finding = _finding(key, category, average, baseline, series, last)
        changes.append((abs(change), finding.key, finding))
    changes.sort(key=lambda c: (-c[0], c[1]))
    return [finding for _, _, finding in changes[:MAX_FINDINGS]]


def _finding(
    key: str | None,
    category: _Category,
    average: int,
    baseline: Sequence[date],
    series: tuple[Point, ...],
    month: date,
) -> Finding:
    name = category.name
    spending = "sem categoria" if key is None else f"com {name}"
    spent = category.by_month.get(month, 0)
    change = spent - average
    percent = round(100 * change / average, 1) if average else None
    compared = (
        "no mês anterior"
        if len(baseline) == 1
        else f"na média dos {len(baseline)} meses anteriores"
    )
    if percent is None:
        title = f"Novos gastos {spending}"
    else:
        verb = "subiram" if change > 0 else "caíram"
        title = f"Gastos {spending} {verb} {decimal(abs(percent), 0)}%"
    more_or_less = "a mais" if change > 0 else "a menos"
    largest = sorted(category.last_month, key=lambda m: (m.amount_cents, str(m.transaction_id)))
    return Finding(
        kind=KIND_CATEGORY_CHANGE,
        tier="standard",
        severity="warning" if change > 0 else "info",
        title=title,
        message=(
            f"Em {month_label(month)} a empresa gastou {brl(spent)} {spending}, "
            f"{brl(abs(change))} {more_or_less} que {compared} ({brl(average)})."
        ),
        evidence={
            "category": name,
            "category_id": category.category_id,
            "month": month_key(month),
            "month_total_cents": spent,
            "compared_with": "previous_month" if len(baseline) == 1 else "previous_months_average",
            "baseline_months": [month_key(m) for m in baseline],
            "baseline_average_cents": average,
            "change_cents": change,
            "change_percent": percent,
            "transactions_count": len(category.last_month),
        },
        transaction_ids=tuple(m.transaction_id for m in largest[:MAX_TRANSACTIONS]),
        series={CHART_SERIES: series},
        key=f"category_change:{key or 'none'}:{month_key(month)}",
    )


def _months_up_to(last: date, count: int, first: date) -> list[date]:
    """The `count` months ending with `last`'s, those from `first`'s on, oldest first."""
    months = (months_before(last, back) for back in range(count - 1, -1, -1))
    return [month for month in months if month >= first]
