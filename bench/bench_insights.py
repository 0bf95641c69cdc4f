"""Insights over a company with 100,000 transactions in two years: the time to compute the
cash-flow forecast and every detector of banking.insights.service (all but the month summary,
which reads their findings), and the forecast's error on the last 90 days held out next to a
naive forecast ("the next 90 days repeat the last 90") in the same run.

The company is made up, the same every run (seeded): card and PIX sales every day with a weekly
pattern, growth and a busier December; small purchases; 30 salaries on the fifth working day with
a raise each March; rent, suppliers and utilities each month; a tax of last month's sales; a
quarterly equipment payment scheduled by PIX; a monthly transfer to a reserve account.

The error is the mean absolute percentage error (MAPE) of the total balance path, days 1 to 90:
the issue's measure, and the balance is what the owner reads and stays far from zero here (the
cumulative net flow starts at zero, so its percentages blow up on the first days). Both forecasts
start from the same known balance, so the ratio compares only what each got wrong; the mean
absolute error of the cumulative net flow, in reais, is printed too, and the share of days the
actual balance fell inside the 80% band. One window is luck: the same is done from eleven earlier
origins a month apart, and their mean printed.

    make bench      # or: .venv/bin/python bench/bench_insights.py [--transactions 100000]

Pure computation over a CompanyHistory: no database or broker needed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from banking.insights import service
from banking.insights.forecast import find_forecast, forecast_cash_flow
from banking.insights.history import AccountBalance, CompanyHistory, Movement, ScheduledPayment

END = date(2026, 11, 30)
DAYS = 730
HELD_OUT = 90
# Held-out windows: the last 90 days, and from origins a month apart before it.
ORIGINS = 12
RUNS = 3
# Sales per weekday, Monday first.
WEEKLY = (1.0, 1.05, 1.1, 1.15, 1.45, 1.25, 0.35)
EMPLOYEES = 30
# Sales are this share of the daily movements; the busiest factor below averages SALES_MEAN_BUSY
# over two years (weekdays 1.05, growth 1.175, December and January 1.0125).
SALES_SHARE = 0.85
SALES_MEAN_BUSY = 1.05 * 1.175 * 1.0125
# The goods sold are bought from one distributor each Tuesday, for this share of the week's sales.
GOODS_SHARE = 0.43
SUPPLIERS = (
    ("Embalagens Sul", 8, 640_000),
    ("Contabilidade Lima", 10, 180_000),
    ("Software ERP", 12, 89_900),
    ("Seguro Empresarial", 15, 120_000),
    ("Transportadora Rápida", 18, 410_000),
    ("Limpeza Total", 22, 95_000),
    ("Marketing Digital", 26, 300_000),
)
UTILITIES = (("Energia", 16, 420_000), ("Água", 19, 60_000), ("Internet", 21, 25_000))
EQUIPMENT_CENTS = 3_000_000


@dataclass
class Company:
    """Made-up accounts, every movement, and the scheduled PIX payments at each day."""

    main: uuid.UUID
    reserve: uuid.UUID
    opening: dict[uuid.UUID, int]
    movements: list[Movement]
    scheduled: list[ScheduledPayment]


def generate(transactions: int, seed: int = 15) -> Company:
    """A company with about `transactions` movements over DAYS days up to END."""
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    main, reserve = new_id(), new_id()
    start = END - timedelta(days=DAYS - 1)
    movements: list[Movement] = []

    def add(account: uuid.UUID, day: date, cents: int, description: str) -> None:
        movements.append(Movement(new_id(), account, day, cents, description, None, None, None))

    salaries = [rng.randrange(250_000, 800_000, 100) for _ in range(EMPLOYEES)]
    # Fixed movements are about 500 a year; sales and purchases fill the rest.
    per_day = max(transactions - 500 * DAYS // 365, DAYS) / DAYS
    monthly_sales: dict[tuple[int, int], int] = defaultdict(int)
    week_sales = 0
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        growth = 1 + 0.35 * offset / DAYS
        season = 1.3 if day.month == 12 else 0.85 if day.month == 1 else 1.0
        busy = WEEKLY[day.weekday()] * growth * season
        for _ in range(_poisson(rng, SALES_SHARE * per_day * busy / SALES_MEAN_BUSY)):
            cents = round(rng.lognormvariate(math.log(15_000), 0.6))
            add(main, day, cents, rng.choice(("VENDA CARTAO", "PIX RECEBIDO CLIENTE")))
            monthly_sales[(day.year, day.month)] += cents
            week_sales += cents
        if day.weekday() == 1 and week_sales:
            goods = round(GOODS_SHARE * week_sales * rng.uniform(0.9, 1.1))
            add(main, day, -goods, "DISTRIBUIDORA ALFA")
            week_sales = 0
        for _ in range(
            _poisson(rng, (1 - SALES_SHARE) * per_day * (1.0 if day.weekday() < 5 else 0.3) / 0.8)
        ):
            cents = round(rng.lognormvariate(math.log(12_000), 0.8))
            add(main, day, -cents, rng.choice(("COMPRA MERCADO", "POSTO", "PAPELARIA", "TAXI")))
        month_day = day.day
        raise_factor = 1.08 ** (day.year - start.year - (1 if day.month < 3 else 0))
        if day == _working_day(day.year, day.month, 5):
            for index, salary in enumerate(salaries):
                add(main, day, -round(salary * raise_factor), f"SALARIO FUNCIONARIO {index:02d}")
        rent_factor = 1.04 ** (day.year - start.year)
        if month_day == 10:
            add(main, day, -round(1_200_000 * rent_factor), "ALUGUEL GALPAO")
        for name, due, cents in SUPPLIERS:
            if month_day == due:
                add(main, _next_working(day), -round(cents * rng.uniform(0.95, 1.05)), name)
        for name, due, cents in UTILITIES:
            if month_day == due:
                add(main, day, -round(cents * rng.uniform(0.85, 1.15) * season), name)
        if month_day == 20:
            last_month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
            tax = round(0.06 * monthly_sales.get(last_month, 0))
            if tax:
                add(main, day, -tax, "DAS SIMPLES NACIONAL")
        if month_day == 25:
            add(main, day, -2_000_000, "TRANSFERENCIA RESERVA")
            add(reserve, day, 2_000_000, "TRANSFERENCIA CONTA CORRENTE")
        if month_day == 1:
            add(reserve, day, rng.randrange(40_000, 90_000), "RENDIMENTO APLICACAO")
    scheduled = [
        ScheduledPayment(None, date(year, month, 15), EQUIPMENT_CENTS)
        for year in range(start.year, END.year + 1)
        for month in (1, 4, 7, 10)
        if start <= date(year, month, 15) <= END
    ]
    for payment in scheduled:
        add(main, payment.day, -payment.amount_cents, "PIX AGENDADO EQUIPAMENTOS")
    movements.sort(key=lambda m: (m.day, str(m.transaction_id)))
    opening = {main: 25_000_000, reserve: 5_000_000}
    return Company(main, reserve, opening, movements, scheduled)


def history_at(company: Company, today: date) -> CompanyHistory:
    """What the company's insights would see on `today`: movements up to it, balances as of it,
    scheduled payments still ahead."""
    seen = tuple(m for m in company.movements if m.day <= today)
    balances = dict(company.opening)
    for movement in seen:
        balances[movement.account_id] += movement.amount_cents
    accounts = (
        AccountBalance(company.main, "Conta corrente", balances[company.main], today),
        AccountBalance(company.reserve, "Reserva", balances[company.reserve], today),
    )
    ahead = tuple(s for s in company.scheduled if s.day > today)
    return CompanyHistory(uuid.UUID(int=0), today, accounts, seen, ahead)


def daily_totals(company: Company) -> dict[date, int]:
    totals: dict[date, int] = defaultdict(int)
    for movement in company.movements:
        totals[movement.day] += movement.amount_cents
    return totals


@dataclass
class HeldOut:
    """Errors of the forecast and of the naive one on the 90 days after `origin`."""

    origin: date
    mape: float
    naive_mape: float
    mae_flow: float
    naive_mae_flow: float
    coverage: float


def held_out(company: Company, totals: dict[date, int], origin: date) -> HeldOut:
    """Forecast from `origin` and compare day by day with what happened."""
    forecast = forecast_cash_flow(history_at(company, origin), HELD_OUT).total
    start = forecast.expected[0]
    actual = [start]
    naive = [start]
    for k in range(1, HELD_OUT + 1):
        actual.append(actual[-1] + totals.get(origin + timedelta(days=k), 0))
        naive.append(naive[-1] + totals.get(origin - timedelta(days=HELD_OUT - k), 0))
    days = range(1, HELD_OUT + 1)
    inside = [forecast.low[k] <= actual[k] <= forecast.high[k] for k in days]
    return HeldOut(
        origin=origin,
        mape=statistics.fmean(abs(forecast.expected[k] - actual[k]) / abs(actual[k]) for k in days),
        naive_mape=statistics.fmean(abs(naive[k] - actual[k]) / abs(actual[k]) for k in days),
        mae_flow=statistics.fmean(abs(forecast.expected[k] - actual[k]) for k in days) / 100,
        naive_mae_flow=statistics.fmean(abs(naive[k] - actual[k]) for k in days) / 100,
        coverage=sum(inside) / len(inside),
    )


def timed(work: Callable[[], object]) -> float:
    """The median of RUNS runs, in seconds."""
    seconds = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def run(transactions: int) -> None:
    company = generate(transactions)
    history = history_at(company, END)
    print(
        f"insights bench: {len(company.movements):,} transactions, {DAYS} days, "
        f"2 accounts, {len(company.scheduled)} scheduled PIX; median of {RUNS} runs"
    )
    forecast_seconds = timed(lambda: forecast_cash_flow(history))
    findings_seconds = timed(lambda: find_forecast(history))
    print(f"  cash-flow forecast, 90 days:             {forecast_seconds:5.2f} s")
    print(f"  find_forecast (forecast + low balance):  {findings_seconds:5.2f} s")

    def every_insight() -> service.Detected:
        return asyncio.run(service.detect(history, service.Context(), service.DETECTORS))

    detected = every_insight()
    every_seconds = timed(every_insight)
    print(f"  every detector, standard and advanced:   {every_seconds:5.2f} s")
    print(
        f"    ({', '.join(sorted(detected.ran))}: {len(detected.found)} findings; "
        f"failed: {', '.join(sorted(detected.failed)) or 'none'})"
    )
    totals = daily_totals(company)
    # The last 90 days first, then origins a month apart back through the year before.
    origins = [END - timedelta(days=HELD_OUT + 30 * n) for n in range(ORIGINS)]
    results = [held_out(company, totals, origin) for origin in origins]
    print("\nheld-out 90 days: total balance path, days 1 to 90 after each origin")
    print(
        f"{'origin':<12}{'MAPE':>9}{'naive MAPE':>12}{'ratio':>8}"
        f"{'MAE flow R$':>14}{'naive R$':>12}{'in 80% band':>13}"
    )
    for r in results:
        print(
            f"{r.origin.isoformat():<12}{r.mape:>9.2%}{r.naive_mape:>12.2%}"
            f"{r.mape / r.naive_mape:>8.2f}{r.mae_flow:>14,.0f}{r.naive_mae_flow:>12,.0f}"
            f"{r.coverage:>13.0%}"
        )
    last = results[0]
    print(
        f"last 90 days held out: forecast MAPE {last.mape:.2%}, naive {last.naive_mape:.2%}, "
        f"forecast / naive = {last.mape / last.naive_mape:.2f}"
    )
    mape = statistics.fmean(r.mape for r in results)
    naive = statistics.fmean(r.naive_mape for r in results)
    wins = sum(r.mape < r.naive_mape for r in results)
    print(
        f"mean over {len(results)} origins: forecast MAPE {mape:.2%}, naive {naive:.2%}, "
        f"forecast / naive = {mape / naive:.2f}; forecast better from {wins} of {len(results)}; "
        f"days inside the 80% band {statistics.fmean(r.coverage for r in results):.0%}"
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation above 30, enough for daily counts)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _working_day(year: int, month: int, nth: int) -> date:
    """The month's `nth` day from Monday to Friday."""
    day = date(year, month, 1)
    seen = 0
    while True:
        if day.weekday() < 5:
            seen += 1
            if seen == nth:
                return day
        day += timedelta(days=1)


def _next_working(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    run(parser.parse_args().transactions)
