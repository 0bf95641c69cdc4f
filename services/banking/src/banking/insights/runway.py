"""Runway: how many months the company's cash lasts at the rate it burnt it lately."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from banking.insights.findings import Finding, Point, Severity
from banking.insights.flows import monthly_net
from banking.insights.history import CompanyHistory
from banking.insights.months import month_start, months_before
from banking.insights.wording import day_label, decimal, month_key, month_label
from banking.money import brl

KIND = "runway"
# The burn is the average net outflow of the last complete months, up to this many.
BURN_MONTHS = 3
# Runway under these many months is worth a look, and under these, worth acting on.
WARNING_MONTHS = 6
ACTION_MONTHS = 3
# The chart shows the net flow of up to this many complete months.
SERIES_MONTHS = 12
# The largest payments of the months counted, shown as the burn's transactions.
SHOWN_PAYMENTS = 10
# A month counts as complete when the history starts no later than this into it (a first sync
# rarely starts on the 1st, but a few missing days barely move a month's total).
COMPLETE_WITHIN_DAYS = 3
DAYS_PER_MONTH = 365.25 / 12


def cash_today(history: CompanyHistory) -> dict[str, int]:
    """Each account's balance today (by account id): as the bank reported it, moved by the
    movements after the day it reported it."""
    balances = {account.account_id: account.balance_cents for account in history.accounts}
    reported_on = {account.account_id: account.balance_on for account in history.accounts}
    for movement in history.movements:
        since = reported_on.get(movement.account_id)
        if since is not None and since < movement.day <= history.today:
            balances[movement.account_id] += movement.amount_cents
    return {str(account_id): cents for account_id, cents in balances.items()}


def complete_months(history: CompanyHistory, count: int) -> list[date]:
    """The last `count` complete months before today's that the history covers, oldest first."""
    if not history.movements:
        return []
    first_day = min(movement.day for movement in history.movements)
    current = month_start(history.today)
    months = [months_before(current, back) for back in range(count, 0, -1)]
    return [m for m in months if m + timedelta(days=COMPLETE_WITHIN_DAYS) >= first_day]


def find_runway(history: CompanyHistory) -> list[Finding]:
    """Months of cash at the average net outflow of the last BURN_MONTHS complete months; an
    info finding instead when money came in faster than it went out."""
    months = complete_months(history, BURN_MONTHS)
    if not months or not history.accounts:
        return []
    # Own transfers stay in: between linked accounts they cancel out, and one to an account not
    # linked here did leave the cash counted.
    nets = monthly_net(
        m for m in history.movements if month_start(m.day) < month_start(history.today)
    )
    used_nets = [nets.get(month, 0) for month in months]
    average_net = round(sum(used_nets) / len(months))
    balances = cash_today(history)
    cash = sum(balances.values())
    period = _period(months)
    evidence: dict[str, object] = {
        "cash_cents": cash,
        "accounts": [{"account_id": a, "balance_cents": c} for a, c in balances.items()],
        "months_used": [month_key(m) for m in months],
        "monthly_net_cents": {month_key(m): n for m, n in zip(months, used_nets, strict=True)},
        "average_net_cents": average_net,
        "method": "média do fluxo líquido (entradas menos saídas) "
        + (
            f"dos últimos {len(months)} meses completos"
            if len(months) > 1
            else "do último mês completo"
        ),
        "thresholds_months": {"warning": WARNING_MONTHS, "action": ACTION_MONTHS},
    }
    series = {"monthly_net": _series(history, nets)}
    burnt = _largest_payments(history, months)
    if average_net >= 0:
        evidence |= {"burn_per_month_cents": 0, "runway_months": None, "runs_out_on": None}
        return [
            Finding(
                kind=KIND,
                tier="advanced",
                severity="info",
                title="A empresa não está queimando caixa",
                message=f"Em {period}, entrou mais dinheiro do que saiu: em média "
                f"{brl(average_net)} a mais por mês. Nesse ritmo o caixa de {brl(cash)} não se "
                "esgota.",
                evidence=evidence,
                series=series,
                key=KIND,
            )
        ]
    burn = -average_net
    runway = max(cash, 0) / burn
    runs_out_on = history.today + timedelta(days=round(runway * DAYS_PER_MONTH))
    evidence |= {
        "burn_per_month_cents": burn,
        "runway_months": round(runway, 2),
        "runs_out_on": runs_out_on.isoformat(),
    }
    return [
        Finding(
            kind=KIND,
            tier="advanced",
            severity=_severity(runway),
            title=f"Caixa para {decimal(runway)} meses no ritmo atual"
            if cash > 0
            else "Sem caixa para a queima atual",
            message=_burning_message(cash, burn, runway, runs_out_on, period),
            evidence=evidence,
            transaction_ids=burnt,
            series=series,
            key=KIND,
        )
    ]


def _severity(runway: float) -> Severity:
    if runway < ACTION_MONTHS:
        return "action"
    if runway < WARNING_MONTHS:
        return "warning"
    return "info"


def _burning_message(cash: int, burn: int, runway: float, runs_out_on: date, period: str) -> str:
    burn_text = f"saíram em média {brl(burn)} por mês a mais do que entraram"
    if cash <= 0:
        return f"O caixa de hoje é {brl(cash)} e, em {period}, {burn_text}."
    return (
        f"Com {brl(cash)} em caixa hoje e uma queima média de {brl(burn)} por mês ({period}: "
        f"{burn_text}), o caixa dura cerca de {decimal(runway)} meses, até por volta de "
        f"{day_label(runs_out_on)}."
    )


def _period(months: list[date]) -> str:
    if len(months) == 1:
        return month_label(months[0])
    return f"{month_label(months[0])} a {month_label(months[-1])}"


def _series(history: CompanyHistory, nets: dict[date, int]) -> tuple[Point, ...]:
    months = complete_months(history, SERIES_MONTHS)
    return tuple(Point(day=month, value_cents=nets.get(month, 0)) for month in months)


def _largest_payments(history: CompanyHistory, months: list[date]) -> tuple[UUID, ...]:
    counted = set(months)
    payments = [
        m for m in history.movements if m.amount_cents < 0 and month_start(m.day) in counted
    ]
    payments.sort(key=lambda m: (m.amount_cents, m.day))
    return tuple(m.transaction_id for m in payments[:SHOWN_PAYMENTS])
