"""Supplier concentration on made-up histories with a known answer: a dominant supplier, three
suppliers sharing most payments, payments spread evenly."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from banking.insights.concentration import find_supplier_concentration
from banking.insights.history import AccountBalance, CompanyHistory, Movement

TODAY = date(2026, 12, 6)
CHECKING = uuid.uuid4()
SAVINGS = uuid.uuid4()
ACCOUNTS = (
    AccountBalance(CHECKING, "Conta corrente", 0, TODAY),
    AccountBalance(SAVINGS, "Poupança", 0, TODAY),
)


def pay(
    days_ago: int,
    cents: int,
    description: str,
    merchant: str | None = None,
    account: uuid.UUID = CHECKING,
) -> Movement:
    day = TODAY - timedelta(days=days_ago)
    return Movement(uuid.uuid4(), account, day, -cents, description, merchant, None, None)


NAMES = (
    "Alves",
    "Barros",
    "Campos",
    "Duarte",
    "Esteves",
    "Freitas",
    "Gomes",
    "Honorato",
    "Ivo",
    "Jardim",
)


def history(movements: list[Movement]) -> CompanyHistory:
    return CompanyHistory(uuid.uuid4(), TODAY, ACCOUNTS, tuple(movements), ())


def others(count: int, cents: int) -> list[Movement]:
    """`count` payees paid `cents` once each."""
    return [pay(10 + n, cents, f"Pix enviado para {name}") for n, name in enumerate(NAMES[:count])]


def test_a_dominant_supplier_is_a_warning_with_its_share_and_latest_payments() -> None:
    # Fornecedor Alfa: 25 payments of R$ 1.200,00 (R$ 30.000,00), paid every way a bank words
    # it; 10 others paid R$ 2.000,00 each (R$ 20.000,00): Alfa takes 60%.
    wordings = [
        ("PIX ENVIADO FORNECEDOR ALFA 12.345.678/0001-90", None),
        ("Pagto boleto - Fornecedor Alfa 0042", None),
        ("Compra", "Fornecedor Alfa"),
        ("TED enviada para FORNECEDOR ALFA", None),
        ("Pix enviado para Fornecedor Alfa", None),
    ]
    alfa = [pay(3 * n, 120_000, *wordings[n % len(wordings)]) for n in range(25)]
    # Older than 90 days, and money moved to the company's own savings: neither counts.
    old = pay(90, 5_000_000, "Pix enviado para Prestador Antigo")
    to_savings = pay(5, 9_000_000, "Transferência para poupança")
    into_savings = Movement(
        uuid.uuid4(), SAVINGS, TODAY - timedelta(days=4), 9_000_000, "Transf", None, None, None
    )
    # Filed by Pluggy as a transfer between the company's own accounts: not counted either.
    to_investments = Movement(
        uuid.uuid4(), CHECKING, TODAY, -8_000_000, "Aplicação", None, "04000000", "Transferências"
    )
    movements = [*alfa, *others(10, 200_000), old, to_savings, into_savings, to_investments]

    [finding] = find_supplier_concentration(history(movements))

    assert finding.kind == "supplier_concentration"
    assert finding.tier == "advanced"
    assert finding.severity == "warning"
    assert finding.title == "Fornecedor Alfa recebe 60% dos seus pagamentos"
    assert finding.message == (
        "Entre 08/09/2026 e 06/12/2026, a empresa pagou R$ 50.000,00 a 11 favorecidos; "
        "Fornecedor Alfa recebeu R$ 30.000,00 (60%) e os 3 maiores somam 68%. Acima de 40% "
        "num só fornecedor, ou de 75% nos três maiores, um reajuste ou uma falha de um deles "
        "pesa no caixa inteiro: vale ter alternativas. Índice de Herfindahl-Hirschman: 3.760 "
        "(de 0 a 10.000)."
    )
    evidence = finding.evidence
    assert evidence["window_days"] == 90
    assert (evidence["since"], evidence["until"]) == ("2026-09-08", "2026-12-06")
    assert evidence["paid_cents"] == 5_000_000
    assert evidence["payments"] == 35
    assert evidence["payees"] == 11
    assert evidence["top_share"] == 0.6
    assert evidence["top_three_share"] == 0.68
    # 0.6² + 10 * 0.04² = 0.376
    assert evidence["herfindahl_index"] == 3760
    assert evidence["thresholds"] == {"top_share": 0.4, "top_three_share": 0.75}
    assert evidence["own_transfers_left_out"] == 3
    top = evidence["top_payees"]
    assert len(top) == 5
    assert top[0] == {
        "payee": "Fornecedor Alfa",
        "paid_cents": 3_000_000,
        "share": 0.6,
        "payments": 25,
    }
    assert [p["share"] for p in top[1:]] == [0.04] * 4
    # The latest 20 of Alfa's payments, newest first.
    newest_first = sorted(alfa, key=lambda m: m.day, reverse=True)
    assert finding.transaction_ids == tuple(m.transaction_id for m in newest_first[:20])
    assert finding.key == "supplier_concentration"


def test_three_suppliers_taking_most_payments_is_a_warning_too() -> None:
    # 35% + 25% + 20% = 80% for the top three, none over 40%.
    movements = [
        pay(1, 350_000, "Boleto Atacado Norte"),
        pay(2, 250_000, "Boleto Gráfica Sul"),
        pay(3, 200_000, "Boleto Transportes Leste"),
        *others(8, 25_000),
    ]

    [finding] = find_supplier_concentration(history(movements))

    assert finding.severity == "warning"
    assert finding.evidence["top_share"] == 0.35
    assert finding.evidence["top_three_share"] == 0.8
    assert finding.title == "Três favorecidos recebem 80% dos seus pagamentos"
    assert [p["payee"] for p in finding.evidence["top_payees"][:3]] == [
        "Atacado Norte",
        "Gráfica Sul",
        "Transportes Leste",
    ]


def test_payments_spread_evenly_are_only_good_to_know() -> None:
    [finding] = find_supplier_concentration(history(others(10, 100_000)))

    assert finding.severity == "info"
    assert finding.title == "Pagamentos bem distribuídos entre fornecedores"
    assert finding.evidence["herfindahl_index"] == 1000
    assert finding.evidence["top_three_share"] == 0.3
    assert finding.message.endswith(
        "Nenhum fornecedor concentra os pagamentos. Índice de Herfindahl-Hirschman: 1.000 "
        "(de 0 a 10.000)."
    )


def test_money_coming_in_and_too_few_payments_say_nothing() -> None:
    income = [
        Movement(uuid.uuid4(), CHECKING, TODAY, 100_000, "Pix recebido", None, None, None)
        for _ in range(20)
    ]

    assert find_supplier_concentration(history(income)) == []
    assert find_supplier_concentration(history(others(9, 100_000))) == []
    assert find_supplier_concentration(history([])) == []
