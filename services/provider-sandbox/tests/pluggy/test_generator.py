"""The transaction generator: deterministic per account; 100,000 transactions in bounded memory."""

from __future__ import annotations

import itertools
import tracemalloc
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from provider_sandbox.pluggy.testing import Pluggy
from provider_sandbox.pluggy.transactions.catalog import BANKS, BASE_COUNTS, AccountKind
from provider_sandbox.pluggy.transactions.generator import Holder
from provider_sandbox.pluggy.transactions.ledger import Ledger
from provider_sandbox.pluggy.transactions.listing import Filters, cursor_page, encode_cursor

HOLDER = Holder("Ana Beatriz Oliveira", "529.982.247-25", "CPF", BANKS[0], "0001", "12345-6")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HUNDRED_THOUSAND = 100_000


def _ledger(account_id: str, count: int) -> Ledger:
    ledger = Ledger(account_id, "CHECKING", HOLDER, 500_000)
    ledger.add_batch(count, NOW, NOW - timedelta(days=365))
    return ledger


def test_same_account_always_gets_the_same_transactions() -> None:
    first, second, other = _ledger("acct-1", 300), _ledger("acct-1", 300), _ledger("acct-2", 300)

    transactions = [first.transaction(i) for i in range(300)]

    assert transactions == [second.transaction(i) for i in range(300)]
    assert transactions != [other.transaction(i) for i in range(300)]
    assert len({t["description"] for t in transactions}) > 20


def test_salary_and_rent_repeat_with_one_party_and_amount_month_after_month() -> None:
    ledger = _ledger("acct-1", 400)
    transactions = [ledger.transaction(i) for i in range(400)]

    for kind in ("Salário", "Aluguel"):
        seen = [t for t in transactions if t["description"].startswith(kind)]
        assert len({(t["description"], t["amount"]) for t in seen}) == 1, kind
        assert len({t["date"][:7] for t in seen}) >= 3, kind
    other_account = [_ledger("acct-2", 400).transaction(i) for i in range(400)]
    rents = {t["amount"] for t in transactions + other_account if t["description"][:7] == "Aluguel"}
    assert len(rents) == 2  # each account its own rent


@pytest.mark.parametrize(
    ("kind", "recurring", "payees"),
    [
        ("CHECKING", ("Salário", "Aluguel"), 2),  # its salary and its rent
        ("CREDIT_CARD", ("Netflix", "Spotify"), 1),  # one streaming service
    ],
)
def test_every_account_sees_its_recurring_payments_once_a_month_in_its_first_year(
    kind: AccountKind, recurring: tuple[str, ...], payees: int
) -> None:
    for number in range(100):
        ledger = Ledger(f"acct-{number}", kind, HOLDER, 500_000)
        first_sync = ledger.add_batch(BASE_COUNTS[kind], NOW, NOW - timedelta(days=365))
        transactions = [ledger.transaction(i) for i in first_sync]

        repeated = [t for t in transactions if t["description"].startswith(recurring)]
        by_payee: dict[str, list[datetime]] = {}
        for transaction in repeated:
            dates = by_payee.setdefault(transaction["description"], [])
            dates.append(datetime.fromisoformat(transaction["date"]))
        assert len(by_payee) == payees, ledger.account_id
        for payee, dates in by_payee.items():
            gaps = [(later - earlier).days for earlier, later in itertools.pairwise(dates)]
            assert len(dates) >= 12, (ledger.account_id, payee)
            assert all(26 <= gap <= 35 for gap in gaps), (ledger.account_id, payee, gaps)


def test_a_hundred_thousand_transactions_are_paged_in_bounded_memory() -> None:
    ledger = _ledger("acct-big", HUNDRED_THOUSAND)
    tracemalloc.start()
    try:
        # Pages from the middle and from the end, each dropped before the next, as a client does.
        seen = 0
        for start in (HUNDRED_THOUSAND // 2, HUNDRED_THOUSAND - 3_001):
            cursor: str | None = encode_cursor(ledger, start)
            for _ in range(3):
                page = cursor_page(ledger, Filters(), cursor)
                seen += len(page["results"])
                cursor = parse_qs(page["next"][1:])["after"][0] if page["next"] else None
        _, paging_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ledger.size == HUNDRED_THOUSAND
    assert seen == 2 * 3 * 500
    # One page at a time: holding the 100,000 as dicts would take hundreds of megabytes.
    assert paging_peak < 5_000_000


@pytest.mark.asyncio
async def test_perf_user_pages_a_hundred_thousand_transactions_over_http(pluggy: Pluggy) -> None:
    item = await pluggy.connect("user-ok-perf-500")
    account_id = await pluggy.checking_account_id(item["id"])

    results, pages = await pluggy.all_transactions(f"?accountId={account_id}")

    ids = [transaction["id"] for transaction in results]
    assert len(ids) == HUNDRED_THOUSAND
    assert len(set(ids)) == HUNDRED_THOUSAND
    assert pages == HUNDRED_THOUSAND // 500
    dates = [transaction["date"] for transaction in results]
    assert dates == sorted(dates)
