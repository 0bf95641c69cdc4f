"""Banking sync throughput: transactions synced per second from an HTTP-level Pluggy fake into
PostgreSQL, next to a plain batched INSERT of the same rows, in one run on one machine.

The sync is banking's real one (`banking.sync.service.sync_account`): Pluggy client with auth,
retries and rate limits, cursor pages of `GET /v2/transactions` parsed into pydantic models,
categorisation, upsert by Pluggy id, usage counting, balance refresh. Pluggy is an
`httpx.MockTransport` that generates each page when asked, so it holds nothing between pages.
The baseline inserts the very rows the sync would write, page by page, with a plain INSERT on
the same engine (building them is not timed). Memory: tracemalloc's peak during a sync of a
tenth of the transactions and of all of them; flat means about the same.

    make bench      # or: .venv/bin/python bench/bench_banking_sync.py [--transactions 100000]

Needs PostgreSQL (make infra); uses a scratch database, finhub_banking_bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Table, insert, text

from banking.accounts.models import BankAccount
from banking.categories.matching import Categorizer
from banking.config import BankingSettings
from banking.connectors.models import Connector
from banking.entitlements.models import SOURCE_BILLING, CompanyEntitlement
from banking.items.models import Item
from banking.pluggy import PluggyClient
from banking.pluggy.models import TransactionPage
from banking.runtime import Runtime
from banking.sync.service import sync_account, transaction_row
from banking.tables import metadata
from banking.transactions.models import Transaction
from finhub_shared.auth import generate_signing_keypair
from finhub_shared.db import Database
from finhub_shared.provisioning import database_url_for_tests
from finhub_shared.settings import read_variable
from finhub_shared.testing import migrate_fresh, truncate_tables

ROOT = Path(__file__).resolve().parents[1]
PLUGGY_URL = "http://pluggy.bench/pluggy"
CREATED_AT = datetime(2026, 11, 1, tzinfo=UTC)
CREATED_AT_TEXT = "2026-11-01T00:00:00.000Z"
FIRST_DAY = datetime(2025, 11, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Timed:
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


class GeneratedPluggy:
    """Pluggy's auth, account and cursor-paginated transactions, each page made on demand."""

    def __init__(self, transactions_per_account: dict[str, int], page_size: int) -> None:
        self._counts = transactions_per_account
        self._page_size = page_size

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pluggy")
        if path == "/auth":
            return httpx.Response(200, json={"apiKey": "bench-key"})
        if path.startswith("/accounts/"):
            return httpx.Response(200, json=_account(path.rsplit("/", 1)[1]))
        if path == "/v2/transactions":
            return self._page(request)
        return httpx.Response(404, json={"code": 404, "message": "not in the bench"})

    def _page(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        account_id = query["accountId"][0]
        start = int(query.get("after", ["0"])[0])
        end = min(start + self._page_size, self._counts[account_id])
        results = [_transaction(account_id, index) for index in range(start, end)]
        more = end < self._counts[account_id]
        body = {
            "results": results,
            "next": f"?accountId={account_id}&after={end}" if more else None,
        }
        return httpx.Response(200, content=json.dumps(body).encode())


def _transaction(account_id: str, index: int) -> dict[str, Any]:
    # Cheap to make: the real Pluggy serialises in its own process, not on our event loop.
    credit = index % 7 == 0
    amount = round(10 + (index % 997) * 1.37, 2)
    return {
        "id": f"{account_id[:8]:0>8}-0000-4000-8000-{index:012d}",
        "accountId": account_id,
        "date": (FIRST_DAY + timedelta(minutes=5 * index)).isoformat(),
        "description": f"PIX {'RECEBIDO' if credit else 'ENVIADO'} Fornecedor {index % 500}",
        "descriptionRaw": None,
        "currencyCode": "BRL",
        "amount": amount if credit else -amount,
        "balance": None,
        "category": "Transfers",
        "categoryId": "05000000",
        "type": "CREDIT" if credit else "DEBIT",
        "status": "POSTED",
        "merchant": {"name": f"Loja {index % 50}", "businessName": None} if index % 3 else None,
        "createdAt": CREATED_AT_TEXT,
        "updatedAt": CREATED_AT_TEXT,
    }


def _account(account_id: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "itemId": "bench-item",
        "type": "BANK",
        "subtype": "CHECKING_ACCOUNT",
        "number": "0001/1",
        "name": "Conta",
        "balance": 1234.56,
        "currencyCode": "BRL",
        "createdAt": CREATED_AT.isoformat(),
        "updatedAt": CREATED_AT.isoformat(),
    }


def bench_database_url() -> str:
    """A scratch database of its own, so a bench never touches development or test data."""
    configured = (
        read_variable("BANKING_DATABASE_URL")
        or "postgresql://finhub_banking:finhub_banking@127.0.0.1:5432/finhub_banking"
    )
    return database_url_for_tests(configured).replace("_test", "_bench")


def bench_settings(database_url: str) -> BankingSettings:
    _, public_pem = generate_signing_keypair()
    return BankingSettings(
        database_url=SecretStr(database_url),
        pluggy_client_id="bench",
        pluggy_client_secret=SecretStr("bench-secret"),
        pluggy_api_url=PLUGGY_URL,
        mfa_encryption_key=SecretStr(Fernet.generate_key().decode()),
        jwt_public_key=SecretStr(public_pem),
    )


async def new_account(database: Database, pluggy_account_id: str) -> uuid.UUID:
    """A company on an unlimited plan with one connected account; the account's id."""
    company_id = uuid.uuid4()
    async with database.transaction() as session:
        await session.merge(Connector(id=1, name="Bench Bank"))
        session.add(
            CompanyEntitlement(
                company_id=company_id,
                plan="enterprise",
                status="active",
                source=SOURCE_BILLING,
                snapshot_at=CREATED_AT,
            )
        )
        item = Item(
            company_id=company_id,
            pluggy_item_id=f"item-{pluggy_account_id}",
            connector_id=1,
            status="UPDATED",
            execution_status="SUCCESS",
        )
        session.add(item)
        await session.flush()
        account = BankAccount(
            company_id=company_id,
            pluggy_account_id=pluggy_account_id,
            item_id=item.id,
            type="BANK",
            name="Conta",
            currency_code="BRL",
            balance_cents=0,
        )
        session.add(account)
        await session.flush()
        return account.id


async def timed_sync(database: Database, runtime: Runtime, account_id: uuid.UUID) -> Timed:
    """Sync the account from scratch, in one transaction as the worker does; its timing."""
    started = time.perf_counter()
    async with database.transaction() as session:
        account = await session.get(BankAccount, account_id)
        assert account is not None
        item = await session.get(Item, account.item_id)
        assert item is not None
        result = await sync_account(session, runtime, account, item, since=None, now=CREATED_AT)
    elapsed = time.perf_counter() - started
    return Timed(result.created, elapsed)


def pages_of_rows(
    account: BankAccount, count: int, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The rows the sync writes, page by page, built the same way (parsing included)."""
    categorizer = Categorizer([], {})
    for start in range(0, count, page_size):
        raw = [
            _transaction(account.pluggy_account_id, i)
            for i in range(start, min(start + page_size, count))
        ]
        page = TransactionPage.model_validate_json(json.dumps({"results": raw, "next": None}))
        yield [transaction_row(account, t, categorizer) for t in page.results]


async def timed_plain_insert(
    database: Database, account_id: uuid.UUID, count: int, page_size: int
) -> Timed:
    """The same rows with a plain batched INSERT (no upsert, no RETURNING); only it is timed."""
    table = Transaction.__table__
    assert isinstance(table, Table)
    elapsed = 0.0
    async with database.transaction() as session:
        account = await session.get(BankAccount, account_id)
        assert account is not None
        for rows in pages_of_rows(account, count, page_size):
            started = time.perf_counter()
            await session.execute(insert(table), rows)
            elapsed += time.perf_counter() - started
        commit_started = time.perf_counter()
    # The commit is part of the insert's cost, as it is of the sync's.
    elapsed += time.perf_counter() - commit_started
    return Timed(count, elapsed)


async def peak_memory_of_sync(database: Database, runtime: Runtime, pluggy_account_id: str) -> int:
    """tracemalloc's peak, in bytes, while one account is synced from scratch."""
    account_id = await new_account(database, pluggy_account_id)
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        await timed_sync(database, runtime, account_id)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def main(transactions: int, page_size: int, check_memory: bool) -> None:
    database_url = bench_database_url()
    admin_url = (
        read_variable("POSTGRES_ADMIN_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    await migrate_fresh(ROOT / "services" / "banking", database_url, admin_url)
    settings = bench_settings(database_url)
    small = max(transactions // 10, page_size)
    counts = {"timed": transactions, "memory-small": small, "memory-large": transactions}
    pluggy = PluggyClient(
        PLUGGY_URL,
        settings.pluggy_client_id,
        settings.pluggy_client_secret,
        transport=httpx.MockTransport(GeneratedPluggy(counts, page_size)),
    )
    runtime = Runtime(settings=settings, pluggy=pluggy)
    database = Database(database_url, application_name="bench-banking", pool_size=2)
    try:
        account_id = await new_account(database, "timed")
        synced = await timed_sync(database, runtime, account_id)
        async with database.transaction() as session:
            await session.execute(text("TRUNCATE transactions"))
        plain = await timed_plain_insert(database, account_id, transactions, page_size)
        peaks = None
        if check_memory:
            peaks = (
                await peak_memory_of_sync(database, runtime, "memory-small"),
                await peak_memory_of_sync(database, runtime, "memory-large"),
            )
        await truncate_tables(database, metadata)
    finally:
        await database.dispose()
        await pluggy.aclose()
    report(transactions, page_size, synced, plain, small, peaks)


def report(
    transactions: int,
    page_size: int,
    synced: Timed,
    plain: Timed,
    small: int,
    peaks: tuple[int, int] | None,
) -> None:
    ratio = synced.per_second / plain.per_second
    print(f"banking sync bench: {transactions:,} transactions, {page_size} per Pluggy page")
    print(
        f"  sync (Pluggy fake -> upsert): {synced.per_second:>8,.0f} tx/s   {synced.seconds:.1f} s"
    )
    print(f"  plain batched INSERT:         {plain.per_second:>8,.0f} rows/s {plain.seconds:.1f} s")
    print(f"  ratio sync / plain insert:    {ratio:>8.0%}  (target >= 50%)")
    if peaks is not None:
        print(
            f"  peak Python memory (tracemalloc) syncing {small:,}: {peaks[0] / 2**20:.1f} MiB, "
            f"{transactions:,}: {peaks[1] / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.transactions, arguments.page_size, not arguments.no_memory))
