"""Banking sync throughput: transactions synced per second from Pluggy's stand-in into
PostgreSQL, next to a plain batched INSERT of the same rows, in one run on one machine.

The sync is banking's real one (`banking.sync.service.run_job`): the Pluggy client (auth,
retries, rate limits) following the cursor of `GET /v2/transactions` page by page, pydantic
parsing, cleaning, categorisation, upsert by Pluggy id, usage counting, balance refresh, each
page committed in a transaction of its own.
Pluggy is the provider sandbox, started as its own process on a spare port (`--source sandbox`,
the default), or an in-process `httpx.MockTransport` that makes each page when asked
(`--source fake`, no sandbox needed; its page making then runs on banking's event loop).
The baseline inserts the very rows the sync writes, page by page, with a plain INSERT on the
same engine (fetching and building them is not timed). Memory: tracemalloc's peak while a
tenth, half and all of the transactions are synced; flat means about the same for each.

    make bench      # or: .venv/bin/python bench/bench_banking_sync.py [--transactions 100000]

Needs PostgreSQL (make infra); uses a scratch database, finhub_banking_bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol
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
from banking.runtime import Runtime
from banking.sync.models import TRIGGER_COMMAND_LINE, SyncJob
from banking.sync.rows import categorise, transaction_row
from banking.sync.service import new_job, run_job
from banking.tables import metadata
from banking.transactions.models import Transaction
from finhub_dev.provisioning import database_url_for_tests
from finhub_dev.testing import migrate_fresh, truncate_tables
from finhub_shared.auth import generate_signing_keypair
from finhub_shared.db import Database
from finhub_shared.settings import read_variable

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
CREATED_AT = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Timed:
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


class Source(Protocol):
    """A Pluggy to sync from: its base URL, transport, and accounts holding N transactions."""

    @property
    def base_url(self) -> str: ...

    @property
    def transport(self) -> httpx.AsyncBaseTransport | None: ...

    async def account_with(self, transactions: int) -> str: ...


# --- the provider sandbox, in a process of its own ---------------------------------------------


class SandboxSource:
    """The provider sandbox's Pluggy: items of its user-ok with transactions added in bulk."""

    transport: httpx.AsyncBaseTransport | None = None

    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/pluggy"

    async def account_with(self, transactions: int) -> str:
        """A new item's checking account, topped up to about `transactions` transactions.

        The sandbox starts over first: it keeps everything in memory and slows down as that
        grows, which would make each run slower than the one before.
        """
        async with httpx.AsyncClient(base_url=self.base_url, timeout=120) as http:
            (await http.post("/_sandbox/reset")).raise_for_status()
            await _authenticate(http)
            body = {
                "connectorId": 0,
                "parameters": {"user": "user-ok", "password": "password-ok"},
            }
            item = (await http.post("/items", json=body)).raise_for_status().json()
            (await http.post("/_sandbox/advance", json={"minutes": 2})).raise_for_status()
            await _authenticate(http)
            listed = await http.get("/accounts", params={"itemId": item["id"]})
            account = next(
                a for a in listed.raise_for_status().json()["results"] if a["type"] == "BANK"
            )
            history = await _count(http, account["id"])
            if transactions > history:
                extra = {"count": transactions - history, "accountId": account["id"]}
                added = await http.post(f"/_sandbox/items/{item['id']}/transactions", json=extra)
                added.raise_for_status()
            account_id: str = account["id"]
            return account_id


async def _authenticate(http: httpx.AsyncClient) -> None:
    response = await http.post("/auth", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})
    http.headers["X-API-KEY"] = response.raise_for_status().json()["apiKey"]


async def _count(http: httpx.AsyncClient, account_id: str) -> int:
    total, query = 0, f"?accountId={account_id}"
    while query:
        body = (await http.get(f"/v2/transactions{query}")).raise_for_status().json()
        total, query = total + len(body["results"]), body["next"]
    return total


@asynccontextmanager
async def sandbox_process() -> AsyncIterator[SandboxSource]:
    """`finhub-sandbox serve` on a spare port, until the block ends."""
    port = _spare_port()
    environment = {
        **os.environ,
        "PLUGGY_CLIENT_ID": CLIENT_ID,
        "PLUGGY_CLIENT_SECRET": CLIENT_SECRET,
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "LOG_LEVEL": "WARNING",
        "SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        str(BIN / "finhub-sandbox"),
        "serve",
        "--port",
        str(port),
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _wait_until_up(f"http://127.0.0.1:{port}/healthz")
        yield SandboxSource(port)
    finally:
        process.terminate()
        await process.wait()


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _wait_until_up(url: str) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


# --- an in-process fake that makes each page when asked ----------------------------------------


class FakeSource:
    """Auth, account and cursor pages of generated transactions, nothing kept between pages."""

    base_url = "http://pluggy.bench/pluggy"

    def __init__(self, page_size: int) -> None:
        self._page_size = page_size
        self._counts: dict[str, int] = {}
        self.transport = httpx.MockTransport(self._handle)

    async def account_with(self, transactions: int) -> str:
        account_id = str(uuid.uuid4())
        self._counts[account_id] = transactions
        return account_id

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pluggy")
        if path == "/auth":
            return httpx.Response(200, json={"apiKey": "bench-key"})
        if path.startswith("/accounts/"):
            return httpx.Response(404, json={"code": 404, "message": "no balances here"})
        query = parse_qs(request.url.query.decode())
        account_id, start = query["accountId"][0], int(query.get("after", ["0"])[0])
        end = min(start + self._page_size, self._counts[account_id])
        more = end < self._counts[account_id]
        body = {
            "results": [_transaction(account_id, index) for index in range(start, end)],
            "next": f"?accountId={account_id}&after={end}" if more else None,
        }
        return httpx.Response(200, content=json.dumps(body).encode())


def _transaction(account_id: str, index: int) -> dict[str, Any]:
    credit = index % 7 == 0
    amount = round(10 + (index % 997) * 1.37, 2)
    stamp = "2026-11-01T00:00:00.000Z"
    return {
        "id": f"{account_id[:23]}-{index:012d}",
        "accountId": account_id,
        "date": (datetime(2025, 11, 1, tzinfo=UTC) + timedelta(minutes=5 * index)).isoformat(),
        "description": f"PIX {'RECEBIDO' if credit else 'ENVIADO'} Fornecedor {index % 500}",
        "currencyCode": "BRL",
        "amount": amount if credit else -amount,
        "category": "Transfers",
        "categoryId": "05000000",
        "type": "CREDIT" if credit else "DEBIT",
        "status": "POSTED",
        "merchant": {"name": f"Loja {index % 50}"} if index % 3 else None,
        "createdAt": stamp,
        "updatedAt": stamp,
    }


# --- banking's side ----------------------------------------------------------------------------


def bench_database_url() -> str:
    """A scratch database of its own, so a bench never touches development or test data."""
    configured = (
        read_variable("BANKING_DATABASE_URL")
        or "postgresql://finhub_banking:finhub_banking@127.0.0.1:5432/finhub_banking"
    )
    return database_url_for_tests(configured).replace("_test", "_bench")


@asynccontextmanager
async def fresh_runtime(
    database: Database, database_url: str, source: Source
) -> AsyncIterator[Runtime]:
    """Banking's runtime with a Pluggy client of its own.

    One per measurement: the client keeps Pluggy's rate limits (360 requests a minute), which a
    100,000-transaction sync (200 pages) fits, but several back to back would have to wait for.
    """
    _, public_pem = generate_signing_keypair()
    settings = BankingSettings(
        database_url=SecretStr(database_url),
        pluggy_client_id=CLIENT_ID,
        pluggy_client_secret=SecretStr(CLIENT_SECRET),
        pluggy_api_url=source.base_url,
        mfa_encryption_key=SecretStr(Fernet.generate_key().decode()),
        jwt_public_key=SecretStr(public_pem),
    )
    pluggy = PluggyClient(
        source.base_url,
        CLIENT_ID,
        SecretStr(CLIENT_SECRET),
        transport=source.transport,
    )
    try:
        yield Runtime(settings=settings, database=database, pluggy=pluggy)
    finally:
        await pluggy.aclose()


async def new_account(database: Database, pluggy_account_id: str) -> uuid.UUID:
    """A company on an unlimited plan with this Pluggy account connected; banking's id of it."""
    company_id = uuid.uuid4()
    async with database.transaction() as session:
        await session.merge(Connector(id=0, name="Pluggy Bank"))
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
            pluggy_item_id=f"item-of-{pluggy_account_id}",
            connector_id=0,
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
    """Sync the account from scratch as the worker runs a job: each page committed on its own."""
    async with database.transaction() as session:
        account = await session.get(BankAccount, account_id)
        assert account is not None
        job = await new_job(session, account, TRIGGER_COMMAND_LINE)
    started = time.perf_counter()
    await run_job(database, runtime, job.id, lambda: CREATED_AT)
    elapsed = time.perf_counter() - started
    async with database.sessions() as session:
        done = await session.get(SyncJob, job.id)
    assert done is not None
    assert done.status == "succeeded", done.error
    return Timed(done.created_count, elapsed)


async def timed_plain_insert(database: Database, runtime: Runtime, account_id: uuid.UUID) -> Timed:
    """The rows the sync wrote, again, with a plain batched INSERT; only the INSERTs are timed."""
    table = Transaction.__table__
    assert isinstance(table, Table)
    categorizer = Categorizer([], {})
    elapsed, count = 0.0, 0
    async with database.transaction() as session:
        account = await session.get(BankAccount, account_id)
        assert account is not None
        async for page in runtime.pluggy.transaction_pages(account.pluggy_account_id):
            rows = [transaction_row(account, t) for t in page.transactions]
            await categorise(rows, categorizer)
            started = time.perf_counter()
            await session.execute(insert(table), rows)
            elapsed += time.perf_counter() - started
            count += len(rows)
        commit_started = time.perf_counter()
    # The commit is part of the insert's cost, as it is of the sync's.
    elapsed += time.perf_counter() - commit_started
    return Timed(count, elapsed)


async def peak_memory(step: Callable[[], Awaitable[Timed]]) -> int:
    """tracemalloc's peak, in bytes, while `step` runs."""
    tracemalloc.start()
    try:
        await step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def run(source: Source, transactions: int, runs: int, check_memory: bool) -> None:
    database_url = bench_database_url()
    admin_url = (
        read_variable("POSTGRES_ADMIN_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    await migrate_fresh(ROOT / "services" / "banking", database_url, admin_url)
    database = Database(database_url, application_name="bench-banking", pool_size=2)

    async def sync(account_id: uuid.UUID) -> Timed:
        async with fresh_runtime(database, database_url, source) as runtime:
            return await timed_sync(database, runtime, account_id)

    async def plain_insert(account_id: uuid.UUID) -> Timed:
        async with fresh_runtime(database, database_url, source) as runtime:
            return await timed_plain_insert(database, runtime, account_id)

    try:
        # A small sync first, so that neither measurement pays for connections or caches.
        await sync(await new_account(database, await source.account_with(1000)))
        pairs = []
        # Each sync is measured right next to its plain insert, so that the load of a shared
        # machine weighs on both alike; the median pair is reported.
        for _ in range(runs):
            account_id = await new_account(database, await source.account_with(transactions))
            synced = await sync(account_id)
            await _empty_transactions(database)
            plain = await plain_insert(account_id)
            await _empty_transactions(database)
            pairs.append((synced, plain))
        peaks: dict[int, int] = {}
        for count in memory_sizes(transactions) if check_memory else ():
            account = await new_account(database, await source.account_with(count))
            peaks[count] = await peak_memory(partial(sync, account))
        await truncate_tables(database, metadata)
    finally:
        await database.dispose()
    report(pairs, peaks)


async def _empty_transactions(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(text("TRUNCATE transactions"))


def memory_sizes(transactions: int) -> tuple[int, ...]:
    """A tenth, half and all of the transactions: flat memory means the same peak for each."""
    return (transactions // 10, transactions // 2, transactions)


def report(pairs: list[tuple[Timed, Timed]], peaks: dict[int, int]) -> None:
    ordered = sorted(pairs, key=lambda pair: pair[0].per_second / pair[1].per_second)
    synced, plain = ordered[len(ordered) // 2]
    ratios = ", ".join(f"{s.per_second / p.per_second:.0%}" for s, p in pairs)
    print(f"banking sync bench: {synced.rows:,} transactions, median of {len(pairs)} runs")
    print(f"  sync (Pluggy -> upsert):  {synced.per_second:>8,.0f} tx/s   {synced.seconds:.1f} s")
    print(f"  plain batched INSERT:     {plain.per_second:>8,.0f} rows/s {plain.seconds:.1f} s")
    print(
        f"  ratio sync / plain:       {synced.per_second / plain.per_second:>8.0%}  "
        f"(target >= 50%; each run: {ratios})"
    )
    if peaks:
        each = ", ".join(f"{count:,}: {peak / 2**20:.1f} MiB" for count, peak in peaks.items())
        print(f"  peak Python memory (tracemalloc) of a sync of {each}")


async def main(arguments: argparse.Namespace) -> None:
    run_options = (arguments.transactions, arguments.runs, not arguments.no_memory)
    if arguments.source == "fake":
        await run(FakeSource(page_size=500), *run_options)
        return
    async with sandbox_process() as sandbox:
        await run(sandbox, *run_options)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--source", choices=("sandbox", "fake"), default="sandbox")
    parser.add_argument("--runs", type=int, default=3, help="sync/insert pairs; median shown")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    asyncio.run(main(parser.parse_args()))
