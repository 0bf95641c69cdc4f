"""Transaction syncs: many pages, incremental, idempotent, direction, balances, the work queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from banking.registries import entitlement_events
from banking.runtime import Runtime
from banking.sync.jobs import requeue_postponed_syncs
from banking.sync.models import SyncJob
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import (
    connect_bank,
    deliver,
    deliver_pluggy_event,
    entitlements_event,
    outbox,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy, error


async def unlimited(runtime: Runtime, company_id: uuid.UUID) -> None:
    await deliver(
        runtime,
        entitlements_event(
            company_id, "enterprise", bank_accounts=None, transactions_per_month=None
        ),
        "banking.entitlements",
        entitlement_events,
    )


async def stored_transactions(database: Database, **where: Any) -> list[Transaction]:
    async with database.sessions() as session:
        statement = select(Transaction).filter_by(**where).order_by(Transaction.date)
        return list(await session.scalars(statement))


async def transaction_count(database: Database) -> int:
    async with database.sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(Transaction))).scalar_one()
        )


async def sync_job(client: httpx.AsyncClient, company_id: uuid.UUID, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/banking/sync-jobs/{job_id}", headers=token_for(company_id))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def request_sync(
    client: httpx.AsyncClient, company_id: uuid.UUID, account_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/banking/accounts/{account_id}/sync/", headers=token_for(company_id)
    )


@pytest.mark.asyncio
async def test_ten_thousand_transactions_over_many_pages_then_a_resync_that_adds_nothing(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await unlimited(worker_runtime, company_id)
    fake_pluggy.page_size = 500
    item = fake_pluggy.add_item(str(company_id))
    account = fake_pluggy.add_account(item["id"])
    fake_pluggy.add_transactions(account["id"], 10_000)
    await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )

    assert await run_queued_syncs(worker_runtime) == 1

    assert await transaction_count(database) == 10_000
    assert fake_pluggy.calls_to("GET", "/v2/transactions") == 20
    [first_job] = await outbox(database, "banking.sync.requested")
    done = await sync_job(client, company_id, first_job["data"]["job_id"])
    assert (done["status"], done["created_count"], done["updated_count"]) == (
        "succeeded",
        10_000,
        0,
    )

    [our_account] = (
        await client.get("/api/banking/accounts/", headers=token_for(company_id))
    ).json()
    again = await request_sync(client, company_id, our_account["id"])
    await run_queued_syncs(worker_runtime)

    resync = await sync_job(client, company_id, again.json()["job_id"])
    assert (resync["status"], resync["created_count"], resync["updated_count"]) == (
        "succeeded",
        0,
        0,
    )
    assert await transaction_count(database) == 10_000


@pytest.mark.asyncio
async def test_a_sync_after_the_first_asks_only_for_what_pluggy_created_since(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await unlimited(worker_runtime, company_id)
    connected = await connect_bank(client, fake_pluggy, company_id)
    pluggy_account_id = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(
        pluggy_account_id, 3, created_at=datetime(2026, 11, 1, 9, tzinfo=UTC)
    )
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_transactions(
        pluggy_account_id, 2, created_at=datetime(2026, 11, 2, 9, tzinfo=UTC)
    )

    response = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    job = await sync_job(client, company_id, response.json()["job_id"])
    assert job["created_count"] == 2
    last_query = [request for request in fake_pluggy.received if request[1] == "/v2/transactions"]
    assert len(last_query) == 2
    assert await transaction_count(database) == 5


@pytest.mark.asyncio
async def test_direction_comes_from_the_type_not_the_sign_and_money_is_in_cents(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await unlimited(worker_runtime, company_id)
    item = fake_pluggy.add_item(str(company_id))
    card = fake_pluggy.add_account(item["id"], account_type="CREDIT", subtype="CREDIT_CARD")
    [purchase] = fake_pluggy.add_transactions(card["id"], 1, amount="59.90")
    purchase["amount"] = 59.90  # credit cards show purchases as positive amounts
    [bill_payment] = fake_pluggy.add_transactions(
        card["id"], 1, amount="1000.00", transaction_type="CREDIT"
    )
    bill_payment["amount"] = -1000.0
    await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )

    await run_queued_syncs(worker_runtime)

    by_id = {t.pluggy_transaction_id: t for t in await stored_transactions(database)}
    assert (by_id[purchase["id"]].type, by_id[purchase["id"]].amount_cents) == ("DEBIT", 5990)
    assert (by_id[bill_payment["id"]].type, by_id[bill_payment["id"]].amount_cents) == (
        "CREDIT",
        100000,
    )


@pytest.mark.asyncio
async def test_a_sync_keeps_the_accounts_balance(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.set_balance(next(iter(fake_pluggy.accounts)), "2345.67")

    await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    [account] = (await client.get("/api/banking/accounts/", headers=token_for(company_id))).json()
    assert account["balance_cents"] == 234567
    assert account["last_synced_at"] is not None


@pytest.mark.asyncio
async def test_syncs_of_a_connection_that_needs_the_user_answer_409(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    account_id = connected["accounts"][0]["id"]
    pluggy_item_id = connected["pluggy_item_id"]
    fake_pluggy.set_item(
        pluggy_item_id,
        status="WAITING_USER_INPUT",
        executionStatus="WAITING_USER_INPUT",
        parameter={"name": "token", "label": "Token", "type": "number"},
    )
    await deliver_pluggy_event(
        worker_runtime, "item/waiting_user_input", {"itemId": pluggy_item_id}
    )
    waiting = await request_sync(client, company_id, account_id)

    fake_pluggy.set_item(
        pluggy_item_id,
        status="LOGIN_ERROR",
        executionStatus="INVALID_CREDENTIALS",
        parameter=None,
        error={"code": "INVALID_CREDENTIALS", "message": "wrong password"},
    )
    await deliver_pluggy_event(worker_runtime, "item/error", {"itemId": pluggy_item_id})
    refused = await request_sync(client, company_id, account_id)

    assert (waiting.status_code, waiting.json()["code"]) == (409, "mfa_required")
    assert (refused.status_code, refused.json()["code"]) == (409, "reconnect_required")


@pytest.mark.asyncio
async def test_a_sync_requested_twice_before_it_runs_is_one_job(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    account_id = connected["accounts"][0]["id"]

    first = await request_sync(client, company_id, account_id)
    second = await request_sync(client, company_id, account_id)

    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"]
    assert await run_queued_syncs(worker_runtime) == 1


@pytest.mark.asyncio
async def test_a_sync_of_a_bank_that_is_down_is_postponed_then_runs_when_it_is_back(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 2)

    fake_pluggy.set_connector_health(201, "OFFLINE")
    await deliver_pluggy_event(
        worker_runtime, "connector/status_updated", {"data": {"status": "OFFLINE"}, "id": 201}
    )
    response = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)
    postponed = await sync_job(client, company_id, response.json()["job_id"])

    fake_pluggy.set_connector_health(201, "ONLINE")
    await deliver_pluggy_event(
        worker_runtime, "connector/status_updated", {"data": {"status": "ONLINE"}, "id": 201}
    )
    await requeue_postponed_syncs(worker_runtime)
    await run_queued_syncs(worker_runtime)
    done = await sync_job(client, company_id, response.json()["job_id"])

    assert postponed["status"] == "postponed"
    assert postponed["retry_at"] is not None
    assert (done["status"], done["created_count"]) == ("succeeded", 2)
    connectors = (
        await client.get("/api/banking/connectors/", headers=token_for(company_id))
    ).json()
    assert [c["health_status"] for c in connectors] == ["ONLINE"]


@pytest.mark.asyncio
async def test_a_sync_while_pluggy_fails_is_postponed_not_failed(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.fail_next("GET", "/v2/transactions", *[error(500, "INTERNAL", "boom")] * 3)

    response = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    job = await sync_job(client, company_id, response.json()["job_id"])
    assert job["status"] == "postponed"


@pytest.mark.asyncio
async def test_a_sync_cut_short_by_pluggy_resumes_later_without_duplicates(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await unlimited(worker_runtime, company_id)
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.page_size = 10
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 45)
    fake_pluggy.fail_after("GET", "/v2/transactions", 2, error(500, "INTERNAL", "boom"))

    response = await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)
    postponed = await sync_job(client, company_id, response.json()["job_id"])
    kept_meanwhile = await transaction_count(database)

    fake_pluggy.recover()
    async with database.transaction() as session:
        await session.execute(update(SyncJob).values(retry_at=utcnow()))
    await requeue_postponed_syncs(worker_runtime)
    await run_queued_syncs(worker_runtime)

    done = await sync_job(client, company_id, response.json()["job_id"])
    assert postponed["status"] == "postponed"
    assert kept_meanwhile == 20
    # The job counts what each of its runs created: 20 before the cut, 25 after it.
    assert (done["status"], done["created_count"]) == ("succeeded", 45)
    assert await transaction_count(database) == 45


@pytest.mark.asyncio
async def test_a_page_naming_a_transaction_twice_stores_it_once(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    [twice] = fake_pluggy.add_transactions(account, 1)
    fake_pluggy.transactions[account].append(dict(twice))

    await run_queued_syncs(worker_runtime)

    assert [t.pluggy_transaction_id for t in await stored_transactions(database)] == [twice["id"]]


def sync_counters() -> dict[str, float]:
    """The worker's sync metrics now, as Prometheus would scrape them."""
    samples = {
        "succeeded": ("banking_sync_jobs_total", {"outcome": "succeeded"}),
        "postponed": ("banking_sync_jobs_total", {"outcome": "postponed"}),
        "created": ("banking_synced_transactions_total", {"change": "created"}),
        "timed": ("banking_sync_duration_seconds_count", {}),
    }
    return {
        name: REGISTRY.get_sample_value(metric, labels) or 0.0
        for name, (metric, labels) in samples.items()
    }


@pytest.mark.asyncio
async def test_the_worker_counts_its_syncs_and_what_they_stored(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    before = sync_counters()

    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 7)
    await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)
    fake_pluggy.fail_next("GET", "/v2/transactions", *[error(500, "INTERNAL", "boom")] * 3)
    await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    after = sync_counters()
    assert after["succeeded"] - before["succeeded"] == 1
    assert after["created"] - before["created"] == 7
    assert after["postponed"] - before["postponed"] == 1
    assert after["timed"] - before["timed"] == 2
