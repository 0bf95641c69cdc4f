"""Cash-flow forecast: each account's balance over the next 90 days with an 80% band, and the
first day an account is expected to fall below zero or the company's threshold.

The balance path is today's balance plus three kinds of future flows: the payees paid (or payers
paying) about the same amount every month, placed on their day of the month; the scheduled PIX
payments, on their day; and everything else, forecast from the account's daily net flows.
"""

from __future__ import annotations

import calendar
import statistics
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

import numpy as np
import numpy.typing as npt
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from banking.insights.findings import Finding, Point
from banking.insights.flows import day_of, exact_payee, monthly_run, payee_as_written, same_amount
from banking.insights.history import AccountBalance, CompanyHistory, Movement
from banking.insights.months import month_start, months_before
from banking.insights.wording import day_label
from banking.money import brl

Floats = npt.NDArray[np.float64]
Model = Literal["ets", "mean", "none"]
Source = Literal["recurring", "scheduled"]

HORIZON_DAYS = 90
HORIZONS = (30, 60, 90)
BAND = 0.8
# Under eight weeks of history a weekly pattern cannot be told from noise: the mean is used.
MIN_MODEL_DAYS = 56
# The model sees the last year of daily flows at most: held out in bench/bench_insights.py, its 80%
# band held about 80% of the days with one year, about 90% with two.
FIT_DAYS = 365
WEEK = 7
SIMULATIONS = 500
# Simulated paths are drawn from a fixed seed, so the same history gives the same band each run.
SEED = 15
# With no flows to learn from, the band assumes a day may move the balance by this share of it
# (at least of UNKNOWN_FLOOR_CENTS): wide on purpose.
UNKNOWN_DAILY_SHARE = 0.05
UNKNOWN_FLOOR_CENTS = 100_000
# A monthly payee: at least RECURRING_MIN_MONTHS payments in a row about a month apart, each
# within RECURRING_AMOUNT_SPREAD of the last one (as the dashboard's recurring payments), and the
# last one recent enough that it still runs.
RECURRING_MIN_MONTHS = 3
RECURRING_AMOUNT_SPREAD = 0.2
RECURRING_MAX_AGE_DAYS = 45
SCHEDULED_LABEL = "PIX agendado"
# A scheduled PIX this close to a monthly payee's projected payment, for about its amount, is it.
SAME_PAYMENT_DAYS = 7
# The payments a low-balance warning names, largest first.
LOW_BALANCE_PAYMENTS = 5


@dataclass(frozen=True)
class MonthlyPayee:
    """A payee paid (amount < 0) or a payer paying (amount > 0) about the same each month."""

    account_id: UUID
    payee: str
    amount_cents: int
    day_of_month: int
    months: int
    last_day: date
    transaction_ids: tuple[UUID, ...]


@dataclass(frozen=True)
class ProjectedItem:
    """A known future flow the forecast places on its day: a monthly payee or a scheduled PIX."""

    account_id: UUID
    day: date
    amount_cents: int
    payee: str
    source: Source


@dataclass(frozen=True)
class BalancePath:
    """Expected balance per day from today, with the band's low and high bounds."""

    days: tuple[date, ...]
    expected: tuple[int, ...]
    low: tuple[int, ...]
    high: tuple[int, ...]

    def points(self) -> tuple[Point, ...]:
        """The path as a chart series."""
        return tuple(
            Point(day=d, value_cents=e, low_cents=lo, high_cents=hi)
            for d, e, lo, hi in zip(self.days, self.expected, self.low, self.high, strict=True)
        )

    def horizons(self) -> list[dict[str, Any]]:
        """Expected, low and high balance at 30, 60 and 90 days (those within the path)."""
        return [
            {
                "days": h,
                "day": self.days[h].isoformat(),
                "expected_cents": self.expected[h],
                "low_cents": self.low[h],
                "high_cents": self.high[h],
            }
            for h in HORIZONS
            if h < len(self.days)
        ]


@dataclass(frozen=True)
class AccountForecast:
    """One account's forecast and what went into it."""

    account: AccountBalance
    balance_today_cents: int
    path: BalancePath
    model: Model
    history_days: int
    payees: tuple[MonthlyPayee, ...]
    items: tuple[ProjectedItem, ...]


@dataclass(frozen=True)
class CashFlowForecast:
    """Every account's forecast and their total (band from the accounts' simulated paths)."""

    today: date
    accounts: tuple[AccountForecast, ...]
    total: BalancePath


@dataclass(frozen=True)
class _Flows:
    """The forecast of an account's other flows: expected per day and simulated cumulative
    deviations from it (one row per simulated path)."""

    expected: Floats
    deviations: Floats
    model: Model
    history_days: int


def forecast_cash_flow(
    history: CompanyHistory, horizon_days: int = HORIZON_DAYS
) -> CashFlowForecast:
    """Each account's and the total balance path for the next `horizon_days` days.

    Daily net flows other than the monthly payees are forecast with statsmodels' ETSModel,
    ETS(A,N,A) with a weekly season: a level that follows drift in the business, a weekday
    pattern, only two smoothing parameters (heuristic initial states), so it fits a year of days
    in milliseconds. It has no trend, which would bend the balance into a parabola, and its
    state-space form simulates paths (errors resampled from its own residuals) whose sums give
    the balance band.
    """
    today = history.today
    days = tuple(today + timedelta(days=i) for i in range(horizon_days + 1))
    by_account: dict[UUID, list[Movement]] = defaultdict(list)
    # Transfers between the company's own accounts stay: they move each account's balance.
    for movement in history.movements:
        by_account[movement.account_id].append(movement)
    payees = monthly_payees(history)
    recurring_ids = {t for p in payees for t in p.transaction_ids}
    items = _projected_items(history, payees, days[-1])
    forecasts: list[AccountForecast] = []
    deviations: list[Floats] = []
    for index, account in enumerate(history.accounts):
        movements = by_account.get(account.account_id, [])
        start = account.balance_cents + sum(
            m.amount_cents for m in movements if account.balance_on < m.day <= today
        )
        flows = _other_flows(
            movements,
            recurring_ids,
            today,
            horizon_days,
            start,
            np.random.default_rng([SEED, index]),
        )
        own_items = tuple(i for i in items if i.account_id == account.account_id)
        known = np.zeros(horizon_days)
        for item in own_items:
            known[(item.day - today).days - 1] += item.amount_cents
        expected = start + np.concatenate(([0.0], np.cumsum(flows.expected + known)))
        forecasts.append(
            AccountForecast(
                account=account,
                balance_today_cents=start,
                path=_path(days, expected, flows.deviations),
                model=flows.model,
                history_days=flows.history_days,
                payees=tuple(p for p in payees if p.account_id == account.account_id),
                items=own_items,
            )
        )
        deviations.append(flows.deviations)
    # The total is the sum of the accounts' rounded paths, so they add up to the cent; its band
    # sums the accounts' simulated paths, drawn independently.
    total_expected = np.zeros(horizon_days + 1)
    total_deviations = np.zeros((SIMULATIONS, horizon_days))
    for forecast, deviation in zip(forecasts, deviations, strict=True):
        total_expected += forecast.path.expected
        total_deviations += deviation
    return CashFlowForecast(
        today=today,
        accounts=tuple(forecasts),
        total=_path(days, total_expected, total_deviations),
    )


def monthly_payees(history: CompanyHistory) -> list[MonthlyPayee]:
    """The payees paid (and payers paying) once a month, the same within 20%, lately.

    Per account, payee (exact, as duplicates are told apart) and direction: at least three
    movements in a row about a month apart and within 20% of the last one's amount, the last one
    at most 45 days ago.
    """
    groups: dict[tuple[UUID, str, bool], list[Movement]] = defaultdict(list)
    for m in history.movements:
        if m.amount_cents != 0 and m.day <= history.today:
            groups[(m.account_id, exact_payee(m), m.amount_cents > 0)].append(m)
    found: list[MonthlyPayee] = []
    for (account_id, _, _), movements in groups.items():
        movements.sort(key=day_of)
        last = movements[-1]
        if (history.today - last.day).days > RECURRING_MAX_AGE_DAYS:
            continue
        run = monthly_run(movements, RECURRING_AMOUNT_SPREAD)
        if len(run) < RECURRING_MIN_MONTHS:
            continue
        recent = run[-RECURRING_MIN_MONTHS:]
        found.append(
            MonthlyPayee(
                account_id=account_id,
                payee=payee_as_written(last),
                amount_cents=last.amount_cents,
                day_of_month=round(statistics.median(m.day.day for m in recent)),
                months=len(run),
                last_day=last.day,
                transaction_ids=tuple(m.transaction_id for m in movements),
            )
        )
    found.sort(key=lambda p: (str(p.account_id), p.amount_cents, p.payee))
    return found


def find_forecast(history: CompanyHistory, low_balance_threshold_cents: int = 0) -> list[Finding]:
    """The cash-flow forecast, and a low-balance warning per account expected to go below zero
    or below the threshold within 90 days."""
    forecast = forecast_cash_flow(history)
    if not forecast.accounts:
        return []
    findings = [_forecast_finding(forecast)]
    limit = max(low_balance_threshold_cents, 0)
    for account in forecast.accounts:
        below = next((i for i, v in enumerate(account.path.expected) if v < limit), None)
        if below is not None:
            findings.append(_low_balance_finding(forecast.today, account, below, limit))
    return findings


def _due_day(month: date, day_of_month: int) -> date:
    """The day `day_of_month` in `month`, or its last day when shorter."""
    return month.replace(day=min(day_of_month, calendar.monthrange(month.year, month.month)[1]))


def _projected_items(
    history: CompanyHistory, payees: Iterable[MonthlyPayee], last_day: date
) -> list[ProjectedItem]:
    """The monthly payees' next payments and the scheduled PIX payments, in (today, last_day]."""
    today = history.today
    tomorrow = today + timedelta(days=1)
    recurring: list[ProjectedItem] = []
    for payee in payees:
        # The month the last payment was for: the one whose due day it is nearest (a rent due on
        # the 1st may be paid on the 31st before).
        paid_for = min(
            (months_before(month_start(payee.last_day), back) for back in (1, 0, -1)),
            key=lambda month: abs((_due_day(month, payee.day_of_month) - payee.last_day).days),
        )
        month = months_before(paid_for, -1)
        while (due := _due_day(month, payee.day_of_month)) <= last_day:
            # A payment already due but not seen yet is expected tomorrow.
            day = max(due, tomorrow)
            recurring.append(
                ProjectedItem(payee.account_id, day, payee.amount_cents, payee.payee, "recurring")
            )
            month = months_before(month, -1)
    account_ids = {a.account_id for a in history.accounts}
    paying: UUID | None = None
    scheduled_items: list[ProjectedItem] = []
    for scheduled in sorted(history.scheduled, key=lambda s: (s.day, s.amount_cents)):
        # One due today may already be among today's movements: only later ones are counted.
        if not (today < scheduled.day <= last_day and history.accounts):
            continue
        account_id = scheduled.account_id
        if account_id is not None and account_id not in account_ids:
            account_id = None
        cents = -abs(scheduled.amount_cents)
        same = _same_payment(recurring, account_id, scheduled.day, cents)
        if same is not None:
            # A monthly payee paid by automatic or scheduled PIX: counted once, on the PIX's day,
            # from the payee's account and under its name.
            recurring.remove(same)
            account_id, label = same.account_id, f"{same.payee} ({SCHEDULED_LABEL})"
        else:
            label = SCHEDULED_LABEL
            if account_id is None:
                account_id = paying = paying or _paying_account(history)
        scheduled_items.append(ProjectedItem(account_id, scheduled.day, cents, label, "scheduled"))
    items = recurring + scheduled_items
    items.sort(key=lambda i: (i.day, i.amount_cents, i.payee))
    return items


def _same_payment(
    recurring: Sequence[ProjectedItem], account_id: UUID | None, day: date, cents: int
) -> ProjectedItem | None:
    """The projected monthly payment a scheduled one is, if any: from the same account (any,
    when the PIX names none), within SAME_PAYMENT_DAYS and the recurring amount spread."""
    for item in recurring:
        if (
            (account_id is None or item.account_id == account_id)
            and abs((item.day - day).days) <= SAME_PAYMENT_DAYS
            and same_amount(item.amount_cents, cents, RECURRING_AMOUNT_SPREAD)
        ):
            return item
    return None


def _paying_account(history: CompanyHistory) -> UUID:
    """Where a scheduled PIX without an account leaves from: the account that pays the most."""
    paid: dict[UUID, int] = defaultdict(int)
    for m in history.movements:
        if m.amount_cents < 0:
            paid[m.account_id] -= m.amount_cents
    return max(history.accounts, key=lambda a: (paid[a.account_id], a.balance_cents)).account_id


def _other_flows(
    movements: Sequence[Movement],
    recurring_ids: set[UUID],
    today: date,
    horizon_days: int,
    balance_cents: int,
    rng: np.random.Generator,
) -> _Flows:
    """The forecast of an account's daily net flows outside its monthly payees, fit on the days
    from its first movement to yesterday (today's may still be incomplete)."""
    first_day = max(
        min((m.day for m in movements), default=today), today - timedelta(days=FIT_DAYS)
    )
    days = (today - first_day).days
    kept = [m for m in movements if m.transaction_id not in recurring_ids]
    offsets = np.array([m.day.toordinal() for m in kept], np.int64) - first_day.toordinal()
    amounts = np.array([m.amount_cents for m in kept], np.float64)
    inside = (offsets >= 0) & (offsets < days)
    daily = np.bincount(offsets[inside], amounts[inside], days).astype(np.float64)
    if days >= MIN_MODEL_DAYS and daily.std() > 0:
        flows = _ets(daily, horizon_days, rng)
        if flows is not None:
            return flows
    if days >= 2:
        # Too short for a weekly pattern: the mean day, with the days seen as its spread.
        errors = rng.choice(daily - daily.mean(), size=(SIMULATIONS, horizon_days))
        return _Flows(np.full(horizon_days, daily.mean()), np.cumsum(errors, axis=1), "mean", days)
    spread = UNKNOWN_DAILY_SHARE * max(abs(balance_cents), UNKNOWN_FLOOR_CENTS)
    errors = rng.normal(0.0, spread, size=(SIMULATIONS, horizon_days))
    return _Flows(np.zeros(horizon_days), np.cumsum(errors, axis=1), "none", days)


def _ets(daily: Floats, horizon_days: int, rng: np.random.Generator) -> _Flows | None:
    """ETS(A,N,A) over the daily flows up to yesterday, scaled to unit spread for the optimiser;
    None if its numbers are not finite. Its first step is today, already in the balance: dropped."""
    scale = float(daily.std())
    steps = horizon_days + 1
    with warnings.catch_warnings():
        # The optimiser may stop short on a flat or short history: the result is checked below.
        # Only this warning is silenced, since the filters are shared by every thread.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        fitted = ETSModel(
            daily / scale,
            error="add",
            trend=None,
            seasonal="add",
            seasonal_periods=WEEK,
            initialization_method="heuristic",
        ).fit(disp=False)
        expected = np.asarray(fitted.forecast(steps), np.float64)[1:] * scale
        simulated = np.asarray(
            fitted.simulate(
                steps, anchor="end", repetitions=SIMULATIONS, random_errors="bootstrap", rng=rng
            ),
            np.float64,
        ).reshape(steps, SIMULATIONS)[1:]
    deviations = np.cumsum(simulated.T * scale - expected, axis=1)
    if not (np.all(np.isfinite(expected)) and np.all(np.isfinite(deviations))):
        return None
    return _Flows(expected, deviations, "ets", len(daily))


def _path(days: tuple[date, ...], expected: Floats, deviations: Floats) -> BalancePath:
    """The path from today (no deviation) with the band's bounds from the simulated deviations;
    the band always holds the expected value."""
    tail = (1 - BAND) / 2
    zero = np.zeros(1)
    low = expected + np.concatenate((zero, np.quantile(deviations, tail, axis=0)))
    high = expected + np.concatenate((zero, np.quantile(deviations, 1 - tail, axis=0)))
    rounded = np.rint(expected).astype(np.int64)
    return BalancePath(
        days=days,
        expected=tuple(int(v) for v in rounded),
        low=tuple(int(v) for v in np.minimum(np.rint(low).astype(np.int64), rounded)),
        high=tuple(int(v) for v in np.maximum(np.rint(high).astype(np.int64), rounded)),
    )


def _forecast_finding(forecast: CashFlowForecast) -> Finding:
    total = forecast.total
    at = {h["days"]: h for h in total.horizons()}
    spans = "; ".join(
        f"em {days} dias, {brl(h['expected_cents'])} "
        f"(entre {brl(h['low_cents'])} e {brl(h['high_cents'])})"
        for days, h in at.items()
    )
    payees = [p for a in forecast.accounts for p in a.payees]
    scheduled = [i for a in forecast.accounts for i in a.items if i.source == "scheduled"]
    series = {"total": total.points()} | {
        str(a.account.account_id): a.path.points() for a in forecast.accounts
    }
    return Finding(
        kind="cash_flow_forecast",
        tier="standard",
        severity="info",
        title=f"Previsão de caixa para {len(total.days) - 1} dias",
        message=(
            f"Saldo total hoje: {brl(total.expected[0])}. Saldo esperado {spans}. "
            f"A faixa cobre {round(BAND * 100)}% dos cenários simulados."
        ),
        evidence={
            "today": forecast.today.isoformat(),
            "band": BAND,
            "total": {"balance_today_cents": total.expected[0], "horizons": total.horizons()},
            "accounts": [_account_evidence(a) for a in forecast.accounts],
            "inputs": {
                "models": sorted({a.model for a in forecast.accounts}),
                "history_days": max(a.history_days for a in forecast.accounts),
                "recurring_payees": len(payees),
                "scheduled_payments": len(scheduled),
            },
        },
        series=series,
        key="cash_flow_forecast",
    )


def _account_evidence(forecast: AccountForecast) -> dict[str, Any]:
    return {
        "account_id": str(forecast.account.account_id),
        "name": forecast.account.name,
        "balance_today_cents": forecast.balance_today_cents,
        "horizons": forecast.path.horizons(),
        "model": forecast.model,
        "history_days": forecast.history_days,
        "recurring": [
            {
                "payee": p.payee,
                "amount_cents": p.amount_cents,
                "day_of_month": p.day_of_month,
                "months": p.months,
            }
            for p in forecast.payees
        ],
        "scheduled": [
            {"day": i.day.isoformat(), "amount_cents": i.amount_cents}
            for i in forecast.items
            if i.source == "scheduled"
        ],
    }


def _low_balance_finding(today: date, forecast: AccountForecast, index: int, limit: int) -> Finding:
    account = forecast.account
    path = forecast.path
    day = path.days[index]
    # The known payments up to that day, the largest first: what takes the balance down.
    payments = sorted(
        (i for i in forecast.items if i.amount_cents < 0 and i.day <= day),
        key=lambda i: (i.amount_cents, i.day),
    )[:LOW_BALANCE_PAYMENTS]
    payments.sort(key=lambda i: (i.day, i.amount_cents))
    below = "de zero" if limit == 0 else f"do limite de {brl(limit)}"
    when = "hoje" if index == 0 else f"em {day_label(day)}"
    because = ", ".join(f"{i.payee} de {brl(-i.amount_cents)} em {i.day:%d/%m}" for i in payments)
    return Finding(
        kind="low_balance",
        tier="standard",
        severity="action",
        title=f"Saldo abaixo {below} previsto em {account.name}",
        message=(
            f"O saldo da conta {account.name} deve ficar abaixo {below} {when}: "
            f"{brl(path.expected[index])} esperados."
            + (f" Pagamentos previstos até lá: {because}." if payments else "")
        ),
        evidence={
            "account_id": str(account.account_id),
            "name": account.name,
            "today": today.isoformat(),
            "day": day.isoformat(),
            "days_from_today": index,
            "threshold_cents": limit,
            "balance_today_cents": forecast.balance_today_cents,
            "expected_balance_cents": path.expected[index],
            "low_cents": path.low[index],
            "high_cents": path.high[index],
            "payments": [
                {
                    "source": i.source,
                    "payee": i.payee,
                    "day": i.day.isoformat(),
                    "amount_cents": i.amount_cents,
                }
                for i in payments
            ],
        },
        account_id=account.account_id,
        series={"balance": path.points()},
        key=f"low_balance:{account.account_id}",
    )
