"""The cash-flow forecast and low-balance warnings on made-up histories with known answers."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from uuid import UUID

from banking.insights.findings import Finding
from banking.insights.forecast import find_forecast, forecast_cash_flow, monthly_payees
from banking.insights.history import (
    AccountBalance,
    CompanyHistory,
    Movement,
    ScheduledPayment,
)

TODAY = date(2026, 11, 20)
CHECKING = uuid.uuid4()
SAVINGS = uuid.uuid4()


def move(day: date, cents: int, description: str, account: UUID = CHECKING) -> Movement:
    return Movement(uuid.uuid4(), account, day, cents, description, None, None, None)


def history(
    *movements: Movement,
    balance: int = 100_000,
    scheduled: tuple[ScheduledPayment, ...] = (),
    accounts: tuple[AccountBalance, ...] | None = None,
) -> CompanyHistory:
    return CompanyHistory(
        company_id=uuid.uuid4(),
        today=TODAY,
        accounts=accounts or (AccountBalance(CHECKING, "Conta Corrente", balance, TODAY),),
        movements=movements,
        scheduled=scheduled,
    )


def in_days(days: int) -> date:
    return TODAY + timedelta(days=days)


def pix(days: int, cents: int, account: UUID | None = CHECKING) -> ScheduledPayment:
    return ScheduledPayment(account, in_days(days), cents)


def sales(days: int, account: UUID = CHECKING, seed: int = 1) -> list[Movement]:
    """Sales on each of the `days` days before today, more on weekdays, with noise."""
    rng = random.Random(seed)
    found = []
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        usual = 40_000 if day.weekday() < 5 else 8_000
        found.append(move(day, round(usual * rng.uniform(0.7, 1.3)), "VENDA CARTAO", account))
        found.append(move(day, -round(15_000 * rng.uniform(0.5, 1.5)), "COMPRAS", account))
    return found


def rent(months: int, day: int = 10, cents: int = 300_000) -> list[Movement]:
    """Rent paid on `day` of each of the `months` months up to November 2026."""
    return [move(date(2026, 11 - n, day), -cents, "ALUGUEL  Sala 3") for n in range(months)]


def of_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def test_a_scheduled_pix_larger_than_the_balance_is_the_day_the_account_goes_below_zero() -> None:
    findings = find_forecast(history(balance=100_000, scheduled=(pix(12, 150_000),)))

    [warning] = of_kind(findings, "low_balance")
    assert warning.severity == "action"
    assert warning.tier == "standard"
    assert warning.account_id == CHECKING
    assert warning.transaction_ids == ()
    assert warning.key == f"low_balance:{CHECKING}"
    assert warning.evidence["day"] == in_days(12).isoformat()
    assert warning.evidence["days_from_today"] == 12
    assert warning.evidence["expected_balance_cents"] == -50_000
    assert warning.evidence["threshold_cents"] == 0
    assert warning.evidence["payments"] == [
        {
            "source": "scheduled",
            "payee": "PIX agendado",
            "day": in_days(12).isoformat(),
            "amount_cents": -150_000,
        }
    ]
    assert f"{in_days(12):%d/%m/%Y}" in warning.message
    assert "-R$ 500,00" in warning.message
    assert "PIX agendado de R$ 1.500,00" in warning.message
    [forecast] = of_kind(findings, "cash_flow_forecast")
    assert forecast.evidence["inputs"]["scheduled_payments"] == 1


def test_a_monthly_rent_is_projected_on_its_day_and_not_spread_over_the_days() -> None:
    with_rent = forecast_cash_flow(history(*sales(120), *rent(4)))
    without = forecast_cash_flow(history(*sales(120)))

    [payee] = monthly_payees(history(*sales(120), *rent(4)))
    assert (payee.payee, payee.amount_cents, payee.day_of_month) == ("ALUGUEL Sala 3", -300_000, 10)
    assert payee.months == 4
    [account] = with_rent.accounts
    assert account.model == "ets"
    assert [(i.day, i.amount_cents, i.source) for i in account.items] == [
        (date(2026, 12, 10), -300_000, "recurring"),
        (date(2027, 1, 10), -300_000, "recurring"),
        (date(2027, 2, 10), -300_000, "recurring"),
    ]
    # Rent is left out of what the model learns: the paths differ by the rents paid so far.
    rents_by = {d: 300_000 * sum(i.day <= d for i in account.items) for d in account.path.days}
    difference = {
        d: b - a
        for d, a, b in zip(
            account.path.days, account.path.expected, without.accounts[0].path.expected, strict=True
        )
    }
    assert difference == rents_by
    [forecast] = of_kind(find_forecast(history(*sales(120), *rent(4))), "cash_flow_forecast")
    assert forecast.evidence["accounts"][0]["recurring"] == [
        {"payee": "ALUGUEL Sala 3", "amount_cents": -300_000, "day_of_month": 10, "months": 4}
    ]
    assert forecast.evidence["inputs"]["recurring_payees"] == 1


def test_a_threshold_above_zero_warns_on_the_first_day_below_it() -> None:
    company = history(balance=100_000, scheduled=(pix(5, 60_000), pix(12, 150_000)))

    [at_zero] = of_kind(find_forecast(company), "low_balance")
    [at_threshold] = of_kind(find_forecast(company, 50_000), "low_balance")

    assert at_zero.evidence["day"] == in_days(12).isoformat()
    assert at_threshold.evidence["day"] == in_days(5).isoformat()
    assert at_threshold.evidence["expected_balance_cents"] == 40_000
    assert at_threshold.evidence["threshold_cents"] == 50_000
    assert "abaixo do limite de R$ 500,00" in at_threshold.message


def test_an_account_already_below_the_threshold_is_warned_about_today() -> None:
    [warning] = of_kind(find_forecast(history(balance=-20_000)), "low_balance")

    assert warning.evidence["days_from_today"] == 0
    assert warning.evidence["payments"] == []
    assert "hoje" in warning.message


def test_no_history_gives_a_flat_forecast_with_a_wide_band_and_no_warning() -> None:
    findings = find_forecast(history(balance=100_000))

    [forecast] = findings
    path = forecast.series["total"]
    assert {p.value_cents for p in path} == {100_000}
    assert path[0].low_cents == path[0].high_cents == 100_000
    width = [(p.high_cents or 0) - (p.low_cents or 0) for p in path]
    assert width[90] > 100_000
    assert width[90] > width[30] > 0
    assert forecast.evidence["accounts"][0]["model"] == "none"
    assert forecast.evidence["inputs"]["history_days"] == 0


def test_a_company_without_accounts_has_no_forecast() -> None:
    empty = CompanyHistory(uuid.uuid4(), TODAY, (), (), (pix(3, 10_000, None),))
    assert find_forecast(empty) == []


def test_a_short_history_uses_the_mean_day() -> None:
    [account] = forecast_cash_flow(history(*sales(20))).accounts

    assert account.model == "mean"
    assert account.history_days == 20
    steps = {b - a for a, b in zip(account.path.expected, account.path.expected[1:], strict=False)}
    assert max(steps) - min(steps) <= 1


def test_a_weekly_pattern_is_forecast_on_its_weekdays() -> None:
    weekdays = [
        move(TODAY - timedelta(days=back), 10_000, "VENDA")
        for back in range(1, 366)
        if (TODAY - timedelta(days=back)).weekday() < 5
    ]

    [account] = forecast_cash_flow(history(*weekdays)).accounts

    assert account.model == "ets"
    path = account.path
    for k in range(1, 15):
        step = path.expected[k] - path.expected[k - 1]
        usual = 10_000 if path.days[k].weekday() < 5 else 0
        assert abs(step - usual) < 1_000, (path.days[k], step)


def test_the_band_holds_the_expected_path_and_series_run_from_today_for_90_days() -> None:
    company = history(
        *sales(400),
        *rent(6),
        *sales(200, SAVINGS, seed=2),
        scheduled=(pix(40, 200_000), pix(70, 50_000, SAVINGS)),
        accounts=(
            AccountBalance(CHECKING, "Conta Corrente", 2_000_000, TODAY),
            AccountBalance(SAVINGS, "Conta Poupança", 800_000, TODAY),
        ),
    )

    [forecast] = of_kind(find_forecast(company), "cash_flow_forecast")

    assert set(forecast.series) == {"total", str(CHECKING), str(SAVINGS)}
    for points in forecast.series.values():
        assert [p.day for p in points] == [in_days(k) for k in range(91)]
        for p in points:
            assert p.low_cents is not None
            assert p.high_cents is not None
            assert p.low_cents <= p.value_cents <= p.high_cents
        assert (points[90].high_cents or 0) > (points[90].low_cents or 0)
    assert [h["days"] for h in forecast.evidence["total"]["horizons"]] == [30, 60, 90]


def test_the_accounts_add_up_to_the_total() -> None:
    company = history(
        *sales(400),
        *sales(300, SAVINGS, seed=3),
        scheduled=(pix(20, 90_000, SAVINGS),),
        accounts=(
            AccountBalance(CHECKING, "Conta Corrente", 1_000_000, TODAY),
            AccountBalance(SAVINGS, "Conta Poupança", 300_000, TODAY),
        ),
    )

    forecast = forecast_cash_flow(company)

    checking, savings = (a.path.expected for a in forecast.accounts)
    assert [a + b for a, b in zip(checking, savings, strict=True)] == list(forecast.total.expected)
    [finding] = of_kind(find_forecast(company), "cash_flow_forecast")
    accounts = finding.evidence["accounts"]
    for h, total in enumerate(finding.evidence["total"]["horizons"]):
        assert total["expected_cents"] == sum(a["horizons"][h]["expected_cents"] for a in accounts)


def test_the_balance_is_moved_to_today_by_the_movements_after_the_bank_reported_it() -> None:
    company = history(
        move(TODAY - timedelta(days=5), -99_999, "ANTES"),
        move(TODAY - timedelta(days=2), 30_000, "DEPOIS"),
        move(TODAY, -5_000, "HOJE"),
        accounts=(AccountBalance(CHECKING, "Conta Corrente", 100_000, TODAY - timedelta(days=3)),),
    )

    [account] = forecast_cash_flow(company).accounts

    assert account.balance_today_cents == 125_000
    assert account.path.expected[0] == 125_000


def test_a_scheduled_pix_without_an_account_leaves_from_the_account_that_pays_most() -> None:
    company = history(
        # Each account receives what it pays: only who pays more tells them apart.
        move(TODAY - timedelta(days=3), -10_000, "CONTA DE LUZ", SAVINGS),
        move(TODAY - timedelta(days=3), 10_000, "RECEBIDO", SAVINGS),
        move(TODAY - timedelta(days=2), -50_000, "FORNECEDOR", CHECKING),
        move(TODAY - timedelta(days=2), 50_000, "RECEBIDO", CHECKING),
        scheduled=(pix(10, 70_000, None),),
        accounts=(
            AccountBalance(CHECKING, "Conta Corrente", 50_000, TODAY),
            AccountBalance(SAVINGS, "Conta Poupança", 900_000, TODAY),
        ),
    )

    [warning] = of_kind(find_forecast(company), "low_balance")

    assert warning.account_id == CHECKING
    assert warning.evidence["day"] == in_days(10).isoformat()


def test_a_scheduled_pix_due_today_or_past_the_horizon_is_not_counted() -> None:
    company = history(balance=100_000, scheduled=(pix(0, 500_000), pix(91, 500_000)))

    assert of_kind(find_forecast(company), "low_balance") == []


def test_payments_that_are_not_monthly_and_stable_are_not_projected() -> None:
    twice_a_month = [
        move(date(2026, 11 - n, day), -20_000, "LIMPEZA") for n in range(4) for day in (3, 17)
    ]
    changing = [move(date(2026, 11 - n, 8), -10_000 * (n + 1), "ENERGIA") for n in range(4)]
    stopped = [move(date(2026, 9 - n, 5), -30_000, "ACADEMIA") for n in range(4)]
    two_months = [move(date(2026, 11 - n, 12), -40_000, "SEGURO") for n in range(2)]

    assert monthly_payees(history(*twice_a_month, *changing, *stopped, *two_months)) == []


def test_a_monthly_income_is_projected_too() -> None:
    retainer = [move(date(2026, 11 - n, 2), 500_000, "CLIENTE MENSAL") for n in range(5)]

    [payee] = monthly_payees(history(*retainer))

    assert (payee.amount_cents, payee.day_of_month, payee.months) == (500_000, 2, 5)


def test_a_monthly_payment_due_and_not_seen_yet_is_expected_tomorrow() -> None:
    # Paid on the 15th from July to October; November's is late on the 20th.
    late = [move(date(2026, 10 - n, 15), -80_000, "CONTADOR") for n in range(4)]

    [account] = forecast_cash_flow(history(*late)).accounts

    assert [i.day for i in account.items] == [
        in_days(1),
        date(2026, 12, 15),
        date(2027, 1, 15),
        date(2027, 2, 15),
    ]


def test_a_payment_made_just_before_a_month_starts_counts_for_that_month() -> None:
    # Due on the 1st; November's was paid on 31 October.
    early = [
        move(date(2026, 8, 1), -60_000, "ALUGUEL"),
        move(date(2026, 9, 1), -60_000, "ALUGUEL"),
        move(date(2026, 10, 1), -60_000, "ALUGUEL"),
        move(date(2026, 10, 31), -60_000, "ALUGUEL"),
    ]

    [account] = forecast_cash_flow(history(*early)).accounts

    assert [i.day for i in account.items] == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]


def test_a_monthly_payee_paid_by_scheduled_pix_is_counted_once_under_its_name() -> None:
    company = history(
        *rent(4),
        balance=1_000_000,
        scheduled=(ScheduledPayment(None, date(2026, 12, 9), 310_000),),
        accounts=(
            AccountBalance(SAVINGS, "Conta Poupança", 5_000_000, TODAY),
            AccountBalance(CHECKING, "Conta Corrente", 500_000, TODAY),
        ),
    )

    [savings, checking] = forecast_cash_flow(company).accounts

    assert savings.items == ()
    assert [(i.day, i.amount_cents, i.payee, i.source) for i in checking.items] == [
        (date(2026, 12, 9), -310_000, "ALUGUEL Sala 3 (PIX agendado)", "scheduled"),
        (date(2027, 1, 10), -300_000, "ALUGUEL Sala 3", "recurring"),
        (date(2027, 2, 10), -300_000, "ALUGUEL Sala 3", "recurring"),
    ]
    assert checking.path.expected[-1] == 500_000 - 910_000
    [warning] = of_kind(find_forecast(company), "low_balance")
    assert warning.evidence["day"] == date(2027, 1, 10).isoformat()
    assert [p["payee"] for p in warning.evidence["payments"]] == [
        "ALUGUEL Sala 3 (PIX agendado)",
        "ALUGUEL Sala 3",
    ]
