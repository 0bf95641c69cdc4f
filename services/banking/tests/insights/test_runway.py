"""Runway on made-up histories whose answer is known: cash today over the last complete months'
average net outflow."""

from __future__ import annotations

import uuid
from datetime import date

from banking.insights.history import AccountBalance, CompanyHistory, Movement
from banking.insights.runway import find_runway

TODAY = date(2026, 12, 6)
CHECKING = uuid.uuid4()
SAVINGS = uuid.uuid4()


def move(day: date, cents: int, account: uuid.UUID = CHECKING, text: str = "Pix") -> Movement:
    return Movement(uuid.uuid4(), account, day, cents, text, None, None, None)


def months_of(
    net_by_month: dict[date, tuple[int, int]], account: uuid.UUID = CHECKING
) -> list[Movement]:
    """Per month: money in on the 2nd, money out on the 20th."""
    movements = []
    for month, (income, spending) in net_by_month.items():
        movements.append(move(month.replace(day=2), income, account, "Recebimento cliente"))
        movements.append(move(month.replace(day=20), -spending, account, "Fornecedor"))
    return movements


def history(
    movements: list[Movement], accounts: tuple[AccountBalance, ...] | None = None
) -> CompanyHistory:
    accounts = accounts or (
        AccountBalance(CHECKING, "Conta corrente", 4_500_000, date(2026, 12, 1)),
    )
    return CompanyHistory(uuid.uuid4(), TODAY, accounts, tuple(movements), ())


# August differs from the months counted, so counting it would show.
BURNING = {
    date(2026, 8, 1): (9_000_000, 1_000_000),
    date(2026, 9, 1): (2_000_000, 3_000_000),
    date(2026, 10, 1): (2_500_000, 3_500_000),
    date(2026, 11, 1): (1_500_000, 2_500_000),
}


def test_four_months_of_cash_at_the_last_three_months_burn() -> None:
    # R$ 45.000 reported on 1 December, R$ 5.000 paid since: R$ 40.000 today; R$ 10.000 burnt a
    # month in September, October and November.
    movements = [
        *months_of(BURNING),
        move(date(2026, 12, 3), -500_000),
        move(date(2026, 12, 1), -7),
    ]

    [finding] = find_runway(history(movements))

    assert finding.kind == "runway"
    assert finding.tier == "advanced"
    assert finding.severity == "warning"
    assert finding.title == "Caixa para 4,0 meses no ritmo atual"
    assert finding.message == (
        "Com R$ 40.000,00 em caixa hoje e uma queima média de R$ 10.000,00 por mês (set/2026 a "
        "nov/2026: saíram em média R$ 10.000,00 por mês a mais do que entraram), o caixa dura "
        "cerca de 4,0 meses, até por volta de 07/04/2027."
    )
    evidence = finding.evidence
    assert evidence["cash_cents"] == 4_000_000
    assert evidence["accounts"] == [{"account_id": str(CHECKING), "balance_cents": 4_000_000}]
    assert evidence["burn_per_month_cents"] == 1_000_000
    assert evidence["runway_months"] == 4.0
    assert evidence["runs_out_on"] == "2027-04-07"
    assert evidence["months_used"] == ["2026-09", "2026-10", "2026-11"]
    assert evidence["monthly_net_cents"] == {
        "2026-09": -1_000_000,
        "2026-10": -1_000_000,
        "2026-11": -1_000_000,
    }
    assert "últimos 3 meses completos" in evidence["method"]
    assert evidence["thresholds_months"] == {"warning": 6, "action": 3}
    assert finding.key == "runway"
    # The chart: every complete month the history covers, August included.
    points = finding.series["monthly_net"]
    assert [(p.day, p.value_cents) for p in points] == [
        (date(2026, 8, 1), 8_000_000),
        (date(2026, 9, 1), -1_000_000),
        (date(2026, 10, 1), -1_000_000),
        (date(2026, 11, 1), -1_000_000),
    ]
    # The burn's transactions: the counted months' payments, largest first.
    by_id = {m.transaction_id: m for m in movements}
    shown = [by_id[t] for t in finding.transaction_ids]
    assert [m.amount_cents for m in shown] == [-3_500_000, -3_000_000, -2_500_000]


def test_under_three_months_of_cash_asks_for_action() -> None:
    accounts = (AccountBalance(CHECKING, "Conta", 2_500_000, date(2026, 12, 5)),)

    [finding] = find_runway(history(months_of(BURNING), accounts))

    assert finding.severity == "action"
    assert finding.evidence["runway_months"] == 2.5
    assert finding.title == "Caixa para 2,5 meses no ritmo atual"


def test_six_months_or_more_is_only_good_to_know() -> None:
    accounts = (AccountBalance(CHECKING, "Conta", 6_000_000, date(2026, 12, 5)),)

    [finding] = find_runway(history(months_of(BURNING), accounts))

    assert finding.severity == "info"
    assert finding.evidence["runway_months"] == 6.0


def test_no_cash_left_is_an_action_without_a_runway_of_months() -> None:
    accounts = (AccountBalance(CHECKING, "Conta", -120_000, date(2026, 12, 5)),)

    [finding] = find_runway(history(months_of(BURNING), accounts))

    assert finding.severity == "action"
    assert finding.title == "Sem caixa para a queima atual"
    assert finding.evidence["runway_months"] == 0.0
    assert finding.message == (
        "O caixa de hoje é -R$ 1.200,00 e, em set/2026 a nov/2026, saíram em média "
        "R$ 10.000,00 por mês a mais do que entraram."
    )


def test_a_company_earning_more_than_it_spends_is_told_so_not_given_an_endless_runway() -> None:
    earning = {
        date(2026, 9, 1): (3_000_000, 2_000_000),
        date(2026, 10, 1): (3_000_000, 2_500_000),
        date(2026, 11, 1): (3_000_000, 2_000_000),
    }

    [finding] = find_runway(history(months_of(earning)))

    assert finding.severity == "info"
    assert finding.title == "A empresa não está queimando caixa"
    assert finding.message == (
        "Em set/2026 a nov/2026, entrou mais dinheiro do que saiu: em média R$ 8.333,33 a mais "
        "por mês. Nesse ritmo o caixa de R$ 45.000,00 não se esgota."
    )
    assert finding.evidence["average_net_cents"] == 833_333
    assert finding.evidence["runway_months"] is None
    assert finding.evidence["burn_per_month_cents"] == 0


def test_cash_adds_every_account_moved_from_the_day_its_balance_was_reported() -> None:
    accounts = (
        AccountBalance(CHECKING, "Conta corrente", 1_000_000, date(2026, 12, 1)),
        AccountBalance(SAVINGS, "Poupança", 3_000_000, date(2026, 12, 4)),
    )
    movements = [
        *months_of(BURNING),
        move(date(2026, 12, 2), 200_000),  # after checking's balance: counted
        move(date(2026, 12, 4), -50_000, SAVINGS),  # in savings' balance already
        move(date(2026, 12, 5), -100_000, SAVINGS),  # after it: counted
        move(date(2026, 12, 7), -999_999),  # after today: not yet
    ]

    [finding] = find_runway(history(movements, accounts))

    assert finding.evidence["accounts"] == [
        {"account_id": str(CHECKING), "balance_cents": 1_200_000},
        {"account_id": str(SAVINGS), "balance_cents": 2_900_000},
    ]
    assert finding.evidence["cash_cents"] == 4_100_000


def test_a_short_history_counts_only_the_complete_months_it_covers() -> None:
    # The history starts mid-October: only November is complete.
    movements = [
        move(date(2026, 10, 15), -9_000_000),
        move(date(2026, 11, 5), 1_000_000),
        move(date(2026, 11, 20), -3_000_000),
    ]

    [finding] = find_runway(history(movements))

    assert finding.evidence["months_used"] == ["2026-11"]
    assert finding.evidence["burn_per_month_cents"] == 2_000_000
    assert finding.evidence["method"] == (
        "média do fluxo líquido (entradas menos saídas) do último mês completo"
    )
    assert finding.message.startswith("Com R$ 45.000,00 em caixa hoje")
    assert "(nov/2026: saíram" in finding.message


def test_a_history_starting_a_few_days_into_a_month_counts_that_month() -> None:
    # September's money out on the 20th, October's and November's, and a first movement:
    after_september_in = months_of(BURNING)[3:]

    [counted] = find_runway(history([move(date(2026, 9, 4), 1), *after_september_in]))
    [left_out] = find_runway(history([move(date(2026, 9, 5), 1), *after_september_in]))

    assert counted.evidence["months_used"] == ["2026-09", "2026-10", "2026-11"]
    assert left_out.evidence["months_used"] == ["2026-10", "2026-11"]


def test_nothing_is_said_without_a_complete_month_or_an_account() -> None:
    this_month_only = [move(date(2026, 11, 20), -100_000), move(date(2026, 12, 2), -100_000)]

    assert find_runway(history(this_month_only)) == []
    assert find_runway(history([])) == []
    no_accounts = CompanyHistory(uuid.uuid4(), TODAY, (), tuple(months_of(BURNING)), ())
    assert find_runway(no_accounts) == []
