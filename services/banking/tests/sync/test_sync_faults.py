"""Syncs that cannot get stuck: data PostgreSQL refuses, Pluggy failing half-way, a worker that
crashed mid-sync, concurrent syncs of one company, the broker down, no transaction across a
call to Pluggy."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import func, select, text, update

from banking.config import get_settings
from banking.database import OutboxMessage
from banking.main import create_app
from banking.pluggy import PluggyClient
from banking.registries import entitlement_events
from banking.runtime import Runtime
from banking.sync import service as sync
from banking.sync.handlers import sync_job_runner
from banking.sync.models import SyncJob
from banking.sync.pages import REFUSED_BY_DATABASE, Stored, upsert_leaving_out_refused
from banking.transactions.models import Transaction
from banking.usage.models import MonthlyUsage
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, utcnow

from ..conftest import (
    FAST_RETRIES,
    connect_bank,
    deliver,
    entitlements_event,
    outbox,
    pluggy_watching_transactions,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy, error

MAX_BIGINT = 2**63 - 1
# A moment of the tests' own: nothing here depends on today's date.
CRASH_TIME = datetime(2026, 11, 20, 9, tzinfo=UTC)


async def on_plan(
    runtime: Runtime,
    company_id: uuid.UUID,
    transactions_per_month: int | None = None,
) -> None:
    await deliver(
        runtime,
        entitlements_event(
            company_id,
            "enterprise",
            bank_accounts=None,
            transactions_per_month=transactions_per_month,
        ),
        "banking.entitlements",
        entitlement_events,
    )


async def sync_job(client: httpx.AsyncClient, company_id: uuid.UUID, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/banking/sync-jobs/{job_id}", headers=token_for(company_id))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def request_sync(client: httpx.AsyncClient, company_id: uuid.UUID, account_id: str) -> str:
    response = await client.post(
        f"/api/banking/accounts/{account_id}/sync/", headers=token_for(company_id)
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


async def stored_by_pluggy_id(database: Database) -> dict[str, Transaction]:
    async with database.sessions() as session:
        return {t.pluggy_transaction_id: t for t in await session.scalars(select(Transaction))}


def poison(fake_pluggy: SandboxPluggy, account_id: str) -> dict[str, dict[str, Any]]:
    """Transactions no careful bank sends, among ordinary ones: each is named by what is wrong."""
    [nul, long_text, long_merchant, huge, surrogate, far_future] = fake_pluggy.add_transactions(
        account_id, 6
    )
    nul["description"] = "PIX\x00 ENVIADO\x00"
    long_text["description"] = "D" * 5000
    long_merchant["merchant"] = {"name": "M" * 600, "businessName": None}
    huge["amount"] = float(MAX_BIGINT)  # 9.2e18 reais: its cents fit no BIGINT
    surrogate["description"] = "caf\ud800e"
    far_future["date"] = "9999-12-31T23:00:00.000Z"
    return {
        "nul": nul,
        "long_text": long_text,
        "long_merchant": long_merchant,
        "huge": huge,
        "surrogate": surrogate,
        "far_future": far_future,
    }


@pytest.mark.asyncio
async def test_a_poison_transaction_is_cleaned_or_skipped_and_the_rest_of_the_sync_stored(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await on_plan(worker_runtime, company_id)
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    account_id = next(iter(fake_pluggy.accounts))
    fake_pluggy.page_size = 5
    before = fake_pluggy.add_transactions(account_id, 3)
    bad = poison(fake_pluggy, account_id)
    after = fake_pluggy.add_transactions(account_id, 7)

    job_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    job = await sync_job(client, company_id, job_id)
    stored = await stored_by_pluggy_id(database)
    assert job["status"] == "succeeded"
    assert {t["id"] for t in before + after} <= stored.keys()
    assert stored[bad["nul"]["id"]].description == "PIX ENVIADO"
    assert stored[bad["long_text"]["id"]].description == "D" * 1000
    assert stored[bad["long_merchant"]["id"]].merchant_name == "M" * 200
    assert stored[bad["surrogate"]["id"]].description == "caf?e"
    assert bad["huge"]["id"] not in stored
    assert bad["far_future"]["id"] not in stored
    assert (job["created_count"], job["skipped_count"]) == (14, 2)
    assert job["skipped_reason"] == "amount_out_of_range: 1, date_out_of_range: 1"

    fake_pluggy.add_transactions(account_id, 2, created_at=datetime.now(UTC) + timedelta(days=1))
    again = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)
    next_job = await sync_job(client, company_id, again)
    assert (next_job["status"], next_job["created_count"]) == ("succeeded", 2)


@pytest.mark.asyncio
async def test_a_value_postgresql_refuses_leaves_out_only_its_row(database: Database) -> None:
    company_id, account_id = uuid.uuid4(), uuid.uuid4()
    async with database.transaction() as session:
        await session.execute(
            text("INSERT INTO connectors (id, name) VALUES (9, 'Banco') ON CONFLICT DO NOTHING;")
        )
        await session.execute(
            text(
                "INSERT INTO items (id, company_id, pluggy_item_id, connector_id, status,"
                " execution_status) VALUES (:item, :company, 'item-1', 9, 'UPDATED', 'SUCCESS')"
            ),
            {"item": uuid.uuid4(), "company": company_id},
        )
        await session.execute(
            text(
                "INSERT INTO accounts (id, company_id, pluggy_account_id, item_id, type, name,"
                " currency_code, balance_cents)"
                " SELECT :account, :company, 'account-1', id, 'BANK', 'Conta', 'BRL', 0 FROM items"
            ),
            {"account": account_id, "company": company_id},
        )
    good, refused = (row(company_id, account_id, "good"), row(company_id, account_id, "refused"))
    refused["description"] = "NUL \x00 that no cleaning removed"
    page = Stored()

    async with database.transaction() as session:
        written = await upsert_leaving_out_refused(session, [good, refused], page)

    assert sum(len(ids) for ids in written.new_by_month.values()) == 1
    assert page.skipped == {REFUSED_BY_DATABASE: 1}
    assert list(await stored_by_pluggy_id(database)) == ["good"]


def row(company_id: uuid.UUID, account_id: uuid.UUID, pluggy_id: str) -> dict[str, Any]:
    moment = datetime(2026, 10, 1, 12, tzinfo=UTC)
    return {
        "company_id": company_id,
        "account_id": account_id,
        "pluggy_transaction_id": pluggy_id,
        "date": moment,
        "description": "PIX",
        "merchant_name": None,
        "amount_cents": 100,
        "type": "DEBIT",
        "currency_code": "BRL",
        "status": "POSTED",
        "pluggy_category_id": None,
        "category_id": None,
        "category_name": None,
        "category_source": None,
        "rule_id": None,
        "category_confidence": None,
        "pluggy_created_at": moment,
        "pluggy_updated_at": moment,
    }


@pytest.mark.asyncio
async def test_pluggy_refusing_page_three_fails_the_job_keeps_two_pages_and_the_next_request_runs(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await on_plan(worker_runtime, company_id)
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.page_size = 5
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 14)
    fake_pluggy.fail_after(
        "GET", "/v2/transactions", 2, error(400, "INVALID_PARAMETER", "cursor expired")
    )

    failed_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)
    failed = await sync_job(client, company_id, failed_id)
    kept = len(await stored_by_pluggy_id(database))

    fake_pluggy.recover()
    next_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    assert (failed["status"], failed["created_count"], kept) == ("failed", 10, 10)
    assert "cursor expired" in failed["error"]
    assert next_id != failed_id
    done = await sync_job(client, company_id, next_id)
    assert (done["status"], done["created_count"]) == ("succeeded", 4)
    assert len(await stored_by_pluggy_id(database)) == 14


async def crash_while_running(database: Database, job_id: str, attempts: int) -> None:
    """What a worker killed mid-sync leaves: its message taken, the job running, then silence."""
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.routing_key == "banking.sync.requested")
            .values(published_at=CRASH_TIME)
        )
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == uuid.UUID(job_id))
            .values(status="running", attempts=attempts, heartbeat_at=CRASH_TIME)
        )


async def recover_stalled(database: Database, now: datetime) -> int:
    async with database.transaction() as session:
        return await sync.recover_stalled(session, get_settings(), now)


@pytest.mark.asyncio
async def test_a_job_left_running_by_a_crash_is_picked_up_again_and_completes(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 6)
    job_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await crash_while_running(database, job_id, attempts=1)

    window = timedelta(seconds=get_settings().sync_stalled_after_seconds)
    within_window = await recover_stalled(database, CRASH_TIME + window / 2)
    recovered = await recover_stalled(database, CRASH_TIME + window * 2)
    assert await run_queued_syncs(worker_runtime) == 1

    job = await sync_job(client, company_id, job_id)
    assert (within_window, recovered) == (0, 1)
    assert (job["status"], job["created_count"], job["attempts"]) == ("succeeded", 6, 2)
    calls = fake_pluggy.calls_to("GET", "/v2/transactions")
    await sync_job_runner(worker_runtime)(
        # The crashed worker's message, redelivered late: the finished job is left alone.
        next(iter(await outbox_envelopes(database)))
    )
    assert fake_pluggy.calls_to("GET", "/v2/transactions") == calls


@pytest.mark.asyncio
async def test_a_job_that_keeps_stalling_is_given_up_and_the_next_request_makes_a_new_one(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    job_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await crash_while_running(database, job_id, attempts=get_settings().sync_max_attempts)

    window = timedelta(seconds=get_settings().sync_stalled_after_seconds)
    await recover_stalled(database, CRASH_TIME + window * 2)
    next_id = await request_sync(client, company_id, connected["accounts"][0]["id"])

    given_up = await sync_job(client, company_id, job_id)
    assert (given_up["status"], given_up["error"]) == ("failed", "stalled after 3 attempts")
    assert next_id != job_id


async def outbox_envelopes(database: Database) -> list[EventEnvelope]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.routing_key == "banking.sync.requested")
        )
        return [EventEnvelope.model_validate_json(row.body) for row in rows]


@pytest.mark.asyncio
async def test_two_accounts_of_a_company_synced_at_once_over_the_same_months_count_exactly(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    await on_plan(worker_runtime, company_id, transactions_per_month=150)
    connected = await connect_bank(client, fake_pluggy, company_id, accounts=2)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.page_size = 10
    september, october = datetime(2026, 9, 2, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)
    first, second = fake_pluggy.accounts
    # Opposite orders: each sync would hold one month's count while waiting for the other's.
    for account, months in ((first, (october, september)), (second, (september, october))):
        for month in months:
            fake_pluggy.add_transactions(account, 100, when=month)
    job_ids = [await request_sync(client, company_id, a["id"]) for a in connected["accounts"]]

    await asyncio.gather(
        *(sync.run_job(database, worker_runtime, uuid.UUID(j), utcnow) for j in job_ids)
    )

    jobs = [await sync_job(client, company_id, job_id) for job_id in job_ids]
    assert [(j["status"], j["created_count"]) for j in jobs] == [("succeeded", 200)] * 2
    async with database.sessions() as session:
        counted = dict(
            (await session.execute(select(MonthlyUsage.month, MonthlyUsage.transactions))).all()
        )
        flagged = await session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.over_limit)
        )
    assert counted == {date(2026, 9, 1): 200, date(2026, 10, 1): 200}
    assert flagged == 2 * (200 - 150)


class SilentBroker:
    """A port that takes TCP connections and never answers: counts who tries to talk AMQP."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"amqp://finhub:finhub@127.0.0.1:{port}/finhub"

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest_asyncio.fixture
async def broker_down(
    monkeypatch: pytest.MonkeyPatch,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> AsyncIterator[tuple[httpx.AsyncClient, SilentBroker]]:
    """Banking's API configured with a broker that never answers."""
    silent = SilentBroker()
    async with silent as amqp_url:
        monkeypatch.setenv("AMQP_URL", amqp_url)
        get_settings.cache_clear()
        application = create_app(pluggy_transport=httpx.MockTransport(fake_pluggy))
        try:
            async with LifespanManager(application):
                transport = httpx.ASGITransport(app=application)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    yield http, silent
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()


@pytest.mark.asyncio
async def test_with_the_broker_down_a_sync_request_is_queued_in_the_outbox(
    worker_runtime: Runtime,
    broker_down: tuple[httpx.AsyncClient, SilentBroker],
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    client, broker = broker_down
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 4)
    await run_queued_syncs(worker_runtime)
    transactions_before = len(await stored_by_pluggy_id(database))
    pages_before = fake_pluggy.calls_to("GET", "/v2/transactions")

    response = await client.post(
        f"/api/banking/accounts/{connected['accounts'][0]['id']}/sync/",
        headers=token_for(company_id),
    )

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert broker.connections == 0
    assert fake_pluggy.calls_to("GET", "/v2/transactions") == pages_before
    assert len(await stored_by_pluggy_id(database)) == transactions_before
    queued = [e["data"]["job_id"] for e in await outbox(database, "banking.sync.requested")]
    assert queued[-1] == response.json()["job_id"]


@pytest.mark.asyncio
async def test_no_database_transaction_is_open_while_pluggy_is_called(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await on_plan(worker_runtime, company_id)
    await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.page_size = 5
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 12)
    spanned: list[str] = []
    url = os.environ["BANKING_DATABASE_URL"]
    worker_database = Database(url, application_name="banking-worker")
    pluggy = PluggyClient(
        os.environ["PLUGGY_API_URL"],
        os.environ["PLUGGY_CLIENT_ID"],
        SecretStr(os.environ["PLUGGY_CLIENT_SECRET"]),
        retry=FAST_RETRIES,
        transport=httpx.MockTransport(
            pluggy_watching_transactions(fake_pluggy, database, spanned, ("banking-worker",))
        ),
    )
    try:
        [queued] = await outbox_envelopes(database)
        await sync_job_runner(
            Runtime(settings=get_settings(), database=worker_database, pluggy=pluggy)
        )(queued)
    finally:
        await pluggy.aclose()
        await worker_database.dispose()

    assert fake_pluggy.calls_to("GET", "/v2/transactions") == 3
    assert len(await stored_by_pluggy_id(database)) == 12
    assert spanned == []


@pytest.mark.asyncio
async def test_a_run_waiting_on_a_slow_pluggy_keeps_its_job_alive(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    job_id = await request_sync(client, company_id, connected["accounts"][0]["id"])
    settings = get_settings().model_copy(update={"sync_stalled_after_seconds": 10})
    lease = timedelta(seconds=settings.sync_stalled_after_seconds)
    clock = iter(CRASH_TIME + n * lease for n in range(1000))
    seen_while_waiting: list[int] = []

    async def slow_transactions(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v2/transactions"):
            # Longer than the lease: only the run's own heartbeat keeps it from looking crashed.
            await asyncio.sleep(lease.total_seconds() * 0.7)
            async with database.transaction() as session:
                seen_while_waiting.append(
                    await sync.recover_stalled(session, settings, CRASH_TIME + lease * 2)
                )
        return await fake_pluggy(request)

    pluggy = PluggyClient(
        os.environ["PLUGGY_API_URL"],
        os.environ["PLUGGY_CLIENT_ID"],
        SecretStr(os.environ["PLUGGY_CLIENT_SECRET"]),
        retry=FAST_RETRIES,
        transport=httpx.MockTransport(slow_transactions),
    )
    try:
        queued = (await outbox_envelopes(database))[-1]
        await sync.run_job(
            database,
            Runtime(settings=settings, database=database, pluggy=pluggy),
            uuid.UUID(queued.data["job_id"]),
            lambda: next(clock),
        )
    finally:
        await pluggy.aclose()

    job = await sync_job(client, company_id, job_id)
    assert seen_while_waiting == [0]
    assert (job["status"], job["attempts"]) == ("succeeded", 1)
