"""Categories that learn, measured: a simulated owner re-labels the sandbox's transactions into
their own categories, a few corrections at a time, and after 5, 10, 20 and 50 corrections we
count how many of the remaining transactions the system categorises as the owner would.

The transactions are the provider sandbox's own (its Pluggy generator: a business checking
account, a savings account and a credit card). The owner's categories are a small business's:
suppliers and partners told apart by name (two of the people paid by PIX are the partners, the
others contractors; the wholesaler is stock, the supermarkets are the office's pantry), bills by
kind. At each step the owner picks, at random, a transaction the system gets wrong (or leaves
uncategorised) and corrects it; each system is measured on its own run of corrections:

- rules alone: each correction becomes the rule an owner would write from it, "description
  equals ... → category" (banking's real `Categorizer`);
- learned: banking's per-company model (`banking.learning.classifier`) trained on the corrections
  so far, giving a category only when its confidence reaches the threshold;
- rules + learned: both, rules first (as a sync applies them).

Precision: of the remaining transactions the system categorises, the share it gets right.
Coverage: the share of the remaining transactions it categorises at all. Both are averaged over
several owners (seeds).

    .venv/bin/python bench/bench_categorisation.py [--owners 5] [--threshold 0.6]

Needs nothing running: everything happens in this process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from banking.categories.matching import Categorizer
from banking.categories.models import FIELD_DESCRIPTION, MATCH_EQUALS, CategoryRule
from banking.learning.classifier import MIN_CONFIDENCE, Example, Model, train
from provider_sandbox.pluggy.documents import cnpj
from provider_sandbox.pluggy.transactions.catalog import BANKS, AccountKind
from provider_sandbox.pluggy.transactions.generator import Holder
from provider_sandbox.pluggy.transactions.ledger import Ledger

CHECKPOINTS = (5, 10, 20, 50)
ACCOUNTS: tuple[tuple[AccountKind, int], ...] = (
    ("CHECKING", 700),
    ("SAVINGS", 60),
    ("CREDIT_CARD", 400),
)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCOUNT_ID = uuid.uuid4()

# The owner's categories, by who is on the other side (merchant, else the description's start).
BY_MERCHANT = {
    "Carrefour": "Copa e cozinha",
    "Pão de Açúcar": "Copa e cozinha",
    "Assaí Atacadista": "Estoque",
    "Drogasil": "Saúde",
    "iFood": "Refeições",
    "Outback Steakhouse": "Refeições",
    "Shell": "Deslocamento",
    "Ipiranga": "Deslocamento",
    "Uber": "Deslocamento",
    "99": "Deslocamento",
    "Amazon": "Material de escritório",
    "Mercado Livre": "Material de escritório",
    "Magazine Luiza": "Equipamentos",
    "Renner": "Uniformes",
    "LATAM": "Viagens",
    "Booking.com": "Viagens",
    "Netflix": "Assinaturas",
    "Spotify": "Assinaturas",
    "Enel": "Contas de consumo",
    "Sabesp": "Contas de consumo",
    "Comgás": "Contas de consumo",
    "Vivo": "Telefone e internet",
    "Claro": "Telefone e internet",
    "Lopes Imóveis": "Aluguel",
    "QuintoAndar": "Aluguel",
    "Receita Federal": "Impostos",
    "Acme Tecnologia": "Vendas",
    "Padaria Pão Dourado": "Vendas",
    "Construtora Horizonte": "Vendas",
}
PARTNERS = ("João Pedro da Silva", "Maria Eduarda Santos")
BY_DESCRIPTION = (
    ("Pix enviado para", "Prestadores de serviço"),
    ("TED enviada para", "Fornecedores"),
    ("Pix recebido de", "Vendas"),
    ("Tarifa", "Custos bancários"),
    ("IOF", "Custos bancários"),
    ("Aplicação", "Investimentos"),
    ("Resgate", "Investimentos"),
    ("Rendimento", "Investimentos"),
    ("Transferência", "Entre contas"),
    ("Pagamento", "Cartão de crédito"),
    ("DAS", "Impostos"),
)


@dataclass(frozen=True)
class Row:
    example: Example
    owner: str


def owner_category(transaction: dict[str, Any]) -> str:
    """The category the owner gives this transaction."""
    merchant = transaction.get("merchant")
    if merchant:
        return BY_MERCHANT[merchant["name"]]
    description: str = transaction["description"]
    if description.startswith("Pix enviado para") and description.endswith(PARTNERS):
        return "Retiradas dos sócios"
    for start, category in BY_DESCRIPTION:
        if description.startswith(start):
            return category
    raise LookupError(description)


def sandbox_rows() -> list[Row]:
    """The sandbox's transactions of one business's accounts, with the owner's categories."""
    holder = Holder("Ana Comércio e Serviços LTDA", cnpj(7), "CNPJ", BANKS[0], "1234", "56789-0")
    rows: list[Row] = []
    for kind, count in ACCOUNTS:
        ledger = Ledger(f"bench-{kind}", kind, holder, 1_000_000)
        ledger.add_batch(count, NOW, NOW - timedelta(days=365))
        for index in range(count):
            transaction = ledger.transaction(index)
            merchant = transaction.get("merchant")
            example = Example(
                description=transaction["description"],
                merchant=(merchant["name"] or merchant["businessName"]) if merchant else None,
                pluggy_category_id=transaction["categoryId"],
                type=transaction["type"],
                amount_cents=abs(round(transaction["amount"] * 100)),
            )
            rows.append(Row(example, owner_category(transaction)))
    return rows


System = Callable[[Sequence[Row], Sequence[Row]], list[str | None]]


def rules_alone(corrected: Sequence[Row], rows: Sequence[Row]) -> list[str | None]:
    """Each correction as the rule 'description equals ... → category'."""
    return _rule_guesses(_categorizer(corrected), rows)


def learned(threshold: float) -> System:
    def guesses(corrected: Sequence[Row], rows: Sequence[Row]) -> list[str | None]:
        return _model_guesses(train([_labelled(row) for row in corrected]), rows, threshold)

    return guesses


def rules_then_learned(threshold: float) -> System:
    def guesses(corrected: Sequence[Row], rows: Sequence[Row]) -> list[str | None]:
        by_rule = _rule_guesses(_categorizer(corrected), rows)
        model = train([_labelled(row) for row in corrected])
        by_model = _model_guesses(model, rows, threshold)
        return [rule or guess for rule, guess in zip(by_rule, by_model, strict=True)]

    return guesses


def _labelled(row: Row) -> Example:
    example = row.example
    return Example(
        example.description,
        example.merchant,
        example.pluggy_category_id,
        example.type,
        example.amount_cents,
        row.owner,
    )


def _categorizer(corrected: Sequence[Row]) -> Categorizer:
    rules = [
        CategoryRule(
            id=uuid.uuid4(),
            company_id=uuid.UUID(int=0),
            field=FIELD_DESCRIPTION,
            match=MATCH_EQUALS,
            value=row.example.description,
            category_id=row.owner,
            priority=100,
            created_at=NOW + timedelta(seconds=position),
        )
        for position, row in enumerate(corrected)
    ]
    return Categorizer(rules, {})


def _rule_guesses(categorizer: Categorizer, rows: Sequence[Row]) -> list[str | None]:
    guesses: list[str | None] = []
    for row in rows:
        example = row.example
        match = categorizer.match(
            example.description, example.merchant, example.amount_cents, ACCOUNT_ID
        )
        guesses.append(match.category_id if match else None)
    return guesses


def _model_guesses(model: Model | None, rows: Sequence[Row], threshold: float) -> list[str | None]:
    if model is None:
        return [None] * len(rows)
    return [
        guess.category_id if guess.confidence >= threshold else None
        for guess in model.guess([row.example for row in rows])
    ]


@dataclass(frozen=True)
class Score:
    precision: float
    coverage: float


def owner_run(system: System, rows: Sequence[Row], seed: int) -> dict[int, Score]:
    """One owner correcting, one at a time, a random transaction the system gets wrong."""
    chooser = random.Random(seed)
    corrected: list[int] = []
    scores: dict[int, Score] = {}
    while len(corrected) < CHECKPOINTS[-1]:
        done = set(corrected)
        remaining = [index for index in range(len(rows)) if index not in done]
        guesses = system([rows[index] for index in corrected], [rows[i] for i in remaining])
        if len(corrected) in CHECKPOINTS:
            scores[len(corrected)] = _score(guesses, [rows[i] for i in remaining])
        wrong = [
            index
            for index, guess in zip(remaining, guesses, strict=True)
            if guess != rows[index].owner
        ]
        if not wrong:
            wrong = remaining
        corrected.append(chooser.choice(wrong))
    done = set(corrected)
    remaining_rows = [row for index, row in enumerate(rows) if index not in done]
    scores[len(corrected)] = _score(
        system([rows[index] for index in corrected], remaining_rows), remaining_rows
    )
    return scores


def _score(guesses: Sequence[str | None], rows: Sequence[Row]) -> Score:
    given = [(guess, row.owner) for guess, row in zip(guesses, rows, strict=True) if guess]
    right = sum(1 for guess, owner in given if guess == owner)
    return Score(right / len(given) if given else 1.0, len(given) / len(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=5, help="simulated owners (seeds)")
    parser.add_argument("--threshold", type=float, default=MIN_CONFIDENCE)
    arguments = parser.parse_args()
    rows = sandbox_rows()
    categories = len({row.owner for row in rows})
    print(
        f"{len(rows)} sandbox transactions, {categories} owner categories, "
        f"{arguments.owners} owners, model threshold {arguments.threshold:.2f}"
    )
    systems: dict[str, System] = {
        "rules alone": rules_alone,
        "learned": learned(arguments.threshold),
        "rules + learned": rules_then_learned(arguments.threshold),
    }
    results: dict[str, list[dict[int, Score]]] = {}
    started = time.perf_counter()
    for name, system in systems.items():
        results[name] = [owner_run(system, rows, seed) for seed in range(arguments.owners)]
    elapsed = time.perf_counter() - started
    header = f"{'corrections':>11} | " + " | ".join(f"{name:^23}" for name in systems)
    print(header)
    print(f"{'':>11} | " + " | ".join(f"{'precision':>11} {'coverage':>11}" for _ in systems))
    print("-" * len(header))
    for checkpoint in CHECKPOINTS:
        cells = []
        for name in systems:
            runs = [run[checkpoint] for run in results[name]]
            precision = statistics.mean(score.precision for score in runs)
            coverage = statistics.mean(score.coverage for score in runs)
            cells.append(f"{precision:>11.1%} {coverage:>11.1%}")
        print(f"{checkpoint:>11} | " + " | ".join(cells))
    print(f"({elapsed:.1f} s for every run, training after each correction)")


if __name__ == "__main__":
    main()
