"""Unusual transactions found on made-up histories where the answer is known."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from uuid import UUID

from banking.insights.findings import Finding
from banking.insights.history import AccountBalance, CompanyHistory, Movement
from banking.insights.unusual import find_unusual

TODAY = date(2026, 11, 20)
CHECKING = uuid.uuid4()
SAVINGS = uuid.uuid4()
# Pluggy's category ids.
FOOD = "11010000"
OFFICE = "07010000"
OWN_TRANSFER = "04010000"


def charge(
    day: date,
    cents: int,
    merchant: str,
    *,
    account: UUID = CHECKING,
    category: str | None = OFFICE,
    category_name: str | None = "Escritório",
) -> Movement:
    return Movement(
        transaction_id=uuid.uuid4(),
        account_id=account,
        day=day,
        amount_cents=-cents,
        description=f"COMPRA {merchant.upper()}",
        merchant=merchant,
        category_id=category,
        category_name=category_name,
    )


def history(*movements: Movement) -> CompanyHistory:
    return CompanyHistory(
        company_id=uuid.uuid4(),
        today=TODAY,
        accounts=(
            AccountBalance(CHECKING, "Conta Corrente", 1_000_000, TODAY),
            AccountBalance(SAVINGS, "Conta Poupança", 500_000, TODAY),
        ),
        movements=movements,
        scheduled=(),
    )


def monthly(merchant: str, cents: int, months: int, *, day: int = 5) -> list[Movement]:
    """A payment on `day` of each of the `months` months before November 2026."""
    return [charge(date(2026, 11 - n, day), cents, merchant) for n in range(months, 0, -1)]


def transport_fares() -> list[Movement]:
    """The same fare twice a day, every weekday for three months."""
    start = TODAY - timedelta(days=90)
    days = [start + timedelta(days=n) for n in range(91)]
    return [
        charge(day, 440, "Metrô São Paulo", category=None, category_name="Transporte")
        for day in days
        if day.weekday() < 5
        for _ in range(2)
    ]


def of_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def test_a_charge_made_twice_in_two_days_is_a_duplicate_to_act_on() -> None:
    first = charge(date(2026, 11, 10), 35_000, "Gráfica Rápida")
    second = charge(date(2026, 11, 11), 35_000, "Gráfica Rápida")

    findings = find_unusual(history(first, second, *transport_fares()))

    assert len(findings) == 1
    duplicate = findings[0]
    assert duplicate.kind == "duplicate_charge"
    assert duplicate.tier == "standard"
    assert duplicate.severity == "action"
    assert duplicate.title == "Cobrança em duplicidade: Gráfica Rápida"
    assert duplicate.message == (
        "Gráfica Rápida cobrou R$ 350,00 duas vezes na Conta Corrente (10/11/2026 e "
        "11/11/2026). Se foi por engano, peça o estorno de R$ 350,00."
    )
    assert duplicate.transaction_ids == (first.transaction_id, second.transaction_id)
    assert duplicate.account_id == CHECKING
    assert duplicate.key == f"duplicate:{second.transaction_id}"
    assert duplicate.evidence == {
        "payee": "Gráfica Rápida",
        "amount_cents": 35_000,
        "charges": 2,
        "extra_cents": 35_000,
        "days": ["2026-11-10", "2026-11-11"],
        "window_days": 2,
        "usual_charges_per_month": 2,
    }


def test_a_charge_made_three_times_is_one_finding_with_two_extra_charges() -> None:
    charges = [charge(date(2026, 11, day), 12_990, "Nuvem Host") for day in (3, 3, 4)]

    (duplicate,) = find_unusual(history(*charges))

    assert duplicate.evidence["charges"] == 3
    assert duplicate.evidence["extra_cents"] == 25_980
    assert "três vezes" in duplicate.message
    assert "R$ 259,80" in duplicate.message
    assert set(duplicate.transaction_ids) == {c.transaction_id for c in charges}


def test_a_fare_paid_many_times_a_month_is_not_a_duplicate() -> None:
    assert find_unusual(history(*transport_fares())) == []


def test_the_same_amount_on_two_accounts_or_days_apart_is_not_a_duplicate() -> None:
    findings = find_unusual(
        history(
            charge(date(2026, 11, 10), 35_000, "Gráfica Rápida"),
            charge(date(2026, 11, 10), 35_000, "Gráfica Rápida", account=SAVINGS),
            charge(date(2026, 11, 13), 35_000, "Gráfica Rápida"),
        )
    )

    assert findings == []


def test_money_moved_twice_to_the_companys_own_account_is_no_duplicate_charge() -> None:
    findings = find_unusual(
        history(
            *(
                charge(date(2026, 11, 10), 500_000, "Transf. poupança", category=OWN_TRANSFER)
                for _ in range(2)
            )
        )
    )

    assert findings == []


def test_a_duplicate_already_refunded_is_not_reported() -> None:
    refund = Movement(
        transaction_id=uuid.uuid4(),
        account_id=CHECKING,
        day=date(2026, 11, 14),
        amount_cents=35_000,
        description="ESTORNO GRAFICA",
        merchant="Gráfica Rápida",
        category_id=None,
        category_name=None,
    )
    findings = find_unusual(
        history(
            charge(date(2026, 11, 10), 35_000, "Gráfica Rápida"),
            charge(date(2026, 11, 11), 35_000, "Gráfica Rápida"),
            refund,
        )
    )

    assert findings == []


def test_an_old_duplicate_is_history_not_news() -> None:
    findings = find_unusual(
        history(
            charge(date(2026, 9, 10), 35_000, "Gráfica Rápida"),
            charge(date(2026, 9, 11), 35_000, "Gráfica Rápida"),
        )
    )

    assert findings == []


def test_a_monthly_subscription_whose_price_rose_says_the_old_and_new_amounts() -> None:
    before = monthly("Streamflix", 3_990, 5)
    latest = charge(date(2026, 11, 5), 5_590, "Streamflix")

    findings = find_unusual(history(*before, latest))

    assert len(findings) == 1
    changed = findings[0]
    assert changed.kind == "recurring_amount_changed"
    assert changed.severity == "warning"
    assert changed.title == "Pagamento mensal de Streamflix subiu"
    assert changed.message == (
        "Streamflix cobrou R$ 55,90 em 05/11/2026; nos 5 meses anteriores a cobrança foi de "
        "R$ 39,90 (+40,1%)."
    )
    assert changed.evidence == {
        "payee": "Streamflix",
        "old_amount_cents": 3_990,
        "new_amount_cents": 5_590,
        "change_cents": 1_600,
        "change_percent": 40.1,
        "new_day": "2026-11-05",
        "previous_days": [m.day.isoformat() for m in before],
        "months_at_old_amount": 5,
    }
    assert changed.transaction_ids == (*(m.transaction_id for m in before), latest.transaction_id)
    assert changed.key == f"recurring_changed:{latest.transaction_id}"


def test_a_monthly_payment_that_fell_is_reported_too() -> None:
    latest = charge(date(2026, 11, 7), 150_000, "Aluguel Sala 12")

    (changed,) = find_unusual(history(*monthly("Aluguel Sala 12", 180_000, 4, day=7), latest))

    assert changed.title == "Pagamento mensal de Aluguel Sala 12 caiu"
    assert changed.evidence["change_percent"] == -16.7
    assert "(-16,7%)" in changed.message


def test_a_small_change_or_a_short_series_is_not_a_price_change() -> None:
    findings = find_unusual(
        history(
            # 2.5%: within the tolerance.
            *monthly("Streamflix", 3_990, 5),
            charge(date(2026, 11, 5), 4_090, "Streamflix"),
            # 4%, though R$ 40: within the tolerance.
            *monthly("Contabilidade Silva", 100_000, 5),
            charge(date(2026, 11, 5), 104_000, "Contabilidade Silva"),
            # Two months before are not yet a monthly payment.
            *monthly("Software Beta", 9_900, 2),
            charge(date(2026, 11, 5), 19_900, "Software Beta"),
        )
    )

    assert of_kind(findings, "recurring_amount_changed") == []


def test_a_payment_far_above_the_payees_usual_range_is_unusual_while_normal_variation_is_not() -> (
    None
):
    rng = random.Random(7)
    usual = [
        charge(date(2026, 4, 1) + timedelta(days=12 * n), rng.randint(8_000, 12_000), "Papelaria")
        for n in range(15)
    ]
    normal = charge(date(2026, 11, 12), 13_000, "Papelaria")
    outlier = charge(date(2026, 11, 15), 125_000, "Papelaria")

    findings = find_unusual(history(*usual, normal, outlier))

    assert len(findings) == 1
    unusual = findings[0]
    assert unusual.kind == "unusual_amount"
    assert unusual.severity == "warning"
    assert unusual.title == "Valor fora do comum: Papelaria"
    assert unusual.transaction_ids == (outlier.transaction_id,)
    assert unusual.key == f"unusual_amount:{outlier.transaction_id}"
    evidence = unusual.evidence
    amounts = sorted(-m.amount_cents for m in usual)
    assert evidence["compared_with"] == "payee"
    assert evidence["history_count"] == 15
    assert evidence["median_cents"] == amounts[7]
    assert amounts[0] <= evidence["usual_low_cents"] < evidence["usual_high_cents"] <= amounts[-1]
    assert evidence["amount_cents"] == 125_000
    assert evidence["robust_score"] > 3.5
    assert unusual.message.startswith("Pagamento de R$ 1.250,00 a Papelaria em 15/11/2026, ")
    assert f"mediana de R$ {amounts[7] // 100}," in unusual.message
    assert "em 15 pagamentos" in unusual.message


def test_a_new_payee_is_compared_with_its_category() -> None:
    lunches = [
        charge(
            date(2026, 5, 1) + timedelta(days=7 * n),
            4_500 + 100 * (n % 5),
            f"Restaurante {n % 8}",
            category=FOOD,
            category_name="Alimentação",
        )
        for n in range(20)
    ]
    banquet = charge(
        date(2026, 11, 18), 90_000, "Buffet Novo", category=FOOD, category_name="Alimentação"
    )

    (unusual,) = find_unusual(history(*lunches, banquet))

    assert unusual.transaction_ids == (banquet.transaction_id,)
    assert unusual.evidence["compared_with"] == "category"
    assert unusual.evidence["compared_label"] == "Alimentação"
    assert "da categoria Alimentação" in unusual.message


def test_without_enough_history_nothing_is_judged() -> None:
    few = [charge(date(2026, 8, 1) + timedelta(days=9 * n), 10_000, "Papelaria") for n in range(4)]

    findings = find_unusual(history(*few, charge(date(2026, 11, 15), 125_000, "Papelaria")))

    assert findings == []
    assert find_unusual(history()) == []
