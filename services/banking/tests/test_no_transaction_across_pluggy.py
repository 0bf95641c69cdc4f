"""No database transaction is open while Pluggy is called, in the routes (banking-api's
connections) and in Pluggy's event handlers and periodic jobs (banking-worker's): Pluggy here
answers only once neither has a transaction open, and notes each call a transaction waited on."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from banking.config import get_settings
from banking.items.service import reconcile_unheard, retry_outdated
from banking.main import create_app
from banking.pluggy import PluggyClient
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from provider_sandbox.pluggy.clock import iso

from .conftest import (
    FAST_RETRIES,
    FrozenClock,
    connect_bank,
    deliver_pluggy_event,
    deliver_webhooks,
    pluggy_watching_transactions,
    run_queued_syncs,
    token_for,
)
from .pluggy_sandbox import MFA_TOKEN, SandboxPluggy, now


@pytest.fixture
def spanned() -> list[str]:
    """The Pluggy calls made while a banking transaction was open: none, we expect."""
    return []


@pytest.fixture
def watched_pluggy(
    fake_pluggy: SandboxPluggy, database: Database, spanned: list[str]
) -> httpx.MockTransport:
    """The sandbox's Pluggy behind a check of banking's open transactions (`database` connects as
    "tests", so the check never sees its own)."""
    return httpx.MockTransport(pluggy_watching_transactions(fake_pluggy, database, spanned))


@pytest_asyncio.fixture
async def pluggy(watched_pluggy: httpx.MockTransport) -> AsyncIterator[PluggyClient]:
    """The worker's Pluggy client (conftest's `worker_runtime` installs it), watched."""
    client = PluggyClient(
        os.environ["PLUGGY_API_URL"],
        os.environ["PLUGGY_CLIENT_ID"],
        SecretStr(os.environ["PLUGGY_CLIENT_SECRET"]),
        retry=FAST_RETRIES,
        transport=watched_pluggy,
    )
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def app(
    database: Database,
    watched_pluggy: httpx.MockTransport,
) -> AsyncIterator[FastAPI]:
    """Banking's app, its database connections named banking-api, its Pluggy watched."""
    application = create_app(pluggy_transport=watched_pluggy)
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture
async def worker_database(
    database: Database,
    migrated_database: str,
) -> AsyncIterator[Database]:
    """Banking's database as its worker connects to it: named banking-worker."""
    worker = Database(migrated_database, application_name="banking-worker")
    yield worker
    await worker.dispose()


@pytest.fixture
def worker_runtime(worker_database: Database, pluggy: PluggyClient) -> Runtime:
    """The worker's runtime: its connections named banking-worker, its Pluggy watched."""
    return Runtime(settings=get_settings(), database=worker_database, pluggy=pluggy)


@pytest.mark.asyncio
async def test_answering_mfa_holds_no_transaction_while_pluggy_is_called(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    spanned: list[str],
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    headers = token_for(company_id)
    waiting = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )

    answered = await client.post(
        f"/api/banking/items/{waiting.json()['id']}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=headers,
    )

    assert (answered.status_code, answered.json()["status"]) == (200, "LOGIN_IN_PROGRESS")
    assert fake_pluggy.calls_to("POST", "/items/[^/]+/mfa") == 1
    await fake_pluggy.advance(minutes=1)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    shown = await client.get(f"/api/banking/items/{waiting.json()['id']}", headers=headers)
    assert shown.json()["status"] == "UPDATED"
    assert spanned == []


@pytest.mark.asyncio
async def test_creating_a_pix_payment_holds_no_transaction_while_pluggy_is_called(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, spanned: list[str]
) -> None:
    company_id = uuid.uuid4()

    created = await client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}},
        headers=token_for(company_id),
    )

    assert created.status_code == 201, created.text
    assert len(fake_pluggy.payment_requests) == 1
    assert spanned == []


@pytest.mark.asyncio
async def test_a_mandates_routes_hold_no_transaction_while_pluggy_is_called(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    spanned: list[str],
    clock: FrozenClock,
) -> None:
    headers = token_for(uuid.uuid4())
    cycle_date = (clock.now.date() + timedelta(days=5)).isoformat()
    created = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": cycle_date,
            "fixed_amount_cents": 9990,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    mandate = created.json()
    [request_id] = fake_pluggy.payment_requests
    fake_pluggy.set_payment_request_status(request_id, "AUTHORIZED")
    await deliver_pluggy_event(
        worker_runtime, "payment_request/updated", {"paymentRequestId": request_id}
    )

    cycle = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/",
        json={"amount_cents": 9990, "date": cycle_date},
        headers=headers,
    )
    cancelled = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/{cycle.json()['id']}/cancel",
        headers=headers,
    )
    revoked = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/revoke", headers=headers
    )

    assert (cycle.status_code, cancelled.status_code, revoked.status_code) == (201, 200, 200)
    assert (cancelled.json()["status"], revoked.json()["status"]) == ("CANCELED", "canceled")
    assert fake_pluggy.payment_requests[request_id]["status"] == "CANCELED"
    assert spanned == []


@pytest.mark.asyncio
async def test_transactions_updated_holds_no_transaction_while_pluggy_is_called(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    spanned: list[str],
) -> None:
    connected = await connect_bank(client, fake_pluggy, uuid.uuid4())
    account_id = next(iter(fake_pluggy.accounts))
    [changed] = fake_pluggy.add_transactions(account_id, 1, created_at=now() - timedelta(days=1))
    await run_queued_syncs(worker_runtime)
    fake_pluggy.update_transaction(account_id, changed["id"], description="PIX RECEBIDO Cliente")

    await deliver_pluggy_event(
        worker_runtime,
        "transactions/updated",
        {
            "itemId": connected["pluggy_item_id"],
            "accountId": account_id,
            "transactionIds": [changed["id"]],
        },
    )

    async with worker_database.sessions() as session:
        stored = await session.scalar(
            select(Transaction.description).where(
                Transaction.pluggy_transaction_id == changed["id"]
            )
        )
    assert stored == "PIX RECEBIDO Cliente"
    assert spanned == []


@pytest.mark.asyncio
@pytest.mark.parametrize("event_type", ["item/deleted", "consent/revoked", "transactions/deleted"])
async def test_confirming_a_deletion_holds_no_transaction_while_pluggy_is_called(
    event_type: str,
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    spanned: list[str],
) -> None:
    connected = await connect_bank(client, fake_pluggy, uuid.uuid4())
    account_id = next(iter(fake_pluggy.accounts))
    [removed] = fake_pluggy.add_transactions(account_id, 1)
    await run_queued_syncs(worker_runtime)
    if event_type == "consent/revoked":
        fake_pluggy.add_consent(connected["pluggy_item_id"], revoked=True)
    else:
        fake_pluggy.remove_item(connected["pluggy_item_id"])

    await deliver_pluggy_event(
        worker_runtime,
        event_type,
        {
            "itemId": connected["pluggy_item_id"],
            "accountId": account_id,
            "transactionIds": [removed["id"]],
        },
    )

    async with worker_database.sessions() as session:
        assert await session.scalar(select(Transaction.id)) is None
    assert spanned == []


@pytest.mark.asyncio
async def test_item_updated_holds_no_transaction_while_pluggy_is_called(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    spanned: list[str],
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.set_item(
        connected["pluggy_item_id"],
        status="LOGIN_ERROR",
        executionStatus="INVALID_CREDENTIALS",
        error={"code": "INVALID_CREDENTIALS", "message": "invalid credentials"},
        lastUpdatedAt=iso(now()),
    )

    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": connected["pluggy_item_id"]}
    )

    shown = await client.get(f"/api/banking/items/{connected['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "LOGIN_ERROR"
    assert spanned == []


@pytest.mark.asyncio
async def test_reconciling_unheard_items_holds_no_transaction_while_pluggy_is_called(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    worker_runtime: Runtime,
    spanned: list[str],
) -> None:
    company_id, moment = uuid.uuid4(), now()
    stuck = fake_pluggy.add_item(
        str(company_id), status="UPDATING", execution_status="LOGIN_IN_PROGRESS"
    )
    fake_pluggy.add_account(stuck["id"])
    headers = token_for(company_id)
    connected = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": stuck["id"]}, headers=headers
    )
    fake_pluggy.set_item(stuck["id"], status="UPDATED", executionStatus="SUCCESS")
    later = moment + timedelta(seconds=worker_runtime.settings.item_webhook_overdue_seconds + 60)

    done = await reconcile_unheard(worker_database, worker_runtime, later)

    assert done.checked == 1
    shown = await client.get(f"/api/banking/items/{connected.json()['id']}", headers=headers)
    assert (shown.json()["status"], len(shown.json()["accounts"])) == ("UPDATED", 1)
    assert spanned == []


@pytest.mark.asyncio
async def test_retrying_outdated_items_holds_no_transaction_while_pluggy_is_called(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_database: Database,
    worker_runtime: Runtime,
    spanned: list[str],
) -> None:
    company_id = uuid.uuid4()
    outdated = fake_pluggy.add_item(
        str(company_id), status="OUTDATED", execution_status="SITE_NOT_AVAILABLE"
    )
    headers = token_for(company_id)
    connected = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": outdated["id"]}, headers=headers
    )
    later = now() + timedelta(seconds=worker_runtime.settings.outdated_retry_first_seconds + 1)

    done = await retry_outdated(worker_database, worker_runtime, later)

    assert done.asked == 1
    shown = await client.get(f"/api/banking/items/{connected.json()['id']}", headers=headers)
    assert shown.json()["status"] == "UPDATING"
    assert spanned == []
