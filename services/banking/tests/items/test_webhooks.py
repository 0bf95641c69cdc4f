"""Pluggy's events: re-fetched from Pluggy, idempotent, safe in any order; consent revoked."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from banking.accounts.models import BankAccount
from banking.items import service
from banking.items.models import Item
from banking.pluggy.payloads import Item as PluggyItem
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from provider_sandbox.pluggy.clock import iso

from ..conftest import connect_bank, deliver_pluggy_event, outbox, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy, now


async def stored_descriptions(database: Database) -> dict[str, str]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(Transaction.pluggy_transaction_id, Transaction.description)
        )
        return dict(rows.all())


def pluggy_descriptions(fake_pluggy: SandboxPluggy, account_id: str) -> dict[str, str]:
    return {t["id"]: t["description"] for t in fake_pluggy.transactions[account_id]}


async def count(database: Database, model: Any) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_events_duplicated_and_shuffled_end_in_pluggys_state(
    worker_runtime: Runtime,
    seed: int,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    pluggy_item_id = connected["pluggy_item_id"]
    account_id = next(iter(fake_pluggy.accounts))
    # Created long before the newest one, so an incremental sync does not read them again.
    kept, changed, removed = fake_pluggy.add_transactions(
        account_id, 3, created_at=now() - timedelta(days=3)
    )
    fake_pluggy.add_transactions(account_id, 1, created_at=now() - timedelta(days=1))
    await run_queued_syncs(worker_runtime)

    fake_pluggy.update_transaction(account_id, changed["id"], description="PIX RECEBIDO Cliente")
    fake_pluggy.delete_transaction(account_id, removed["id"])
    created = fake_pluggy.add_transactions(account_id, 4, created_at=now() + timedelta(minutes=5))
    fake_pluggy.set_item(pluggy_item_id, lastUpdatedAt=iso(now()))
    events = [
        ("item/updated", {"itemId": pluggy_item_id}),
        (
            "transactions/created",
            {
                "itemId": pluggy_item_id,
                "accountId": account_id,
                "transactionsCreatedAtFrom": created[0]["createdAt"],
            },
        ),
        (
            "transactions/updated",
            {"itemId": pluggy_item_id, "accountId": account_id, "transactionIds": [changed["id"]]},
        ),
        (
            "transactions/deleted",
            {"itemId": pluggy_item_id, "accountId": account_id, "transactionIds": [removed["id"]]},
        ),
    ]
    rng = random.Random(seed)
    deliveries = [(str(uuid.uuid4()), event_type, data) for event_type, data in events]
    deliveries += rng.sample(deliveries, k=3)  # redeliveries of the same events
    rng.shuffle(deliveries)

    for event_id, event_type, data in deliveries:
        await deliver_pluggy_event(worker_runtime, event_type, data, event_id=event_id)
        if rng.random() < 0.5:  # queued syncs run at any point between events
            await run_queued_syncs(worker_runtime)
    await run_queued_syncs(worker_runtime)

    assert await stored_descriptions(database) == pluggy_descriptions(fake_pluggy, account_id)
    assert kept["id"] in await stored_descriptions(database)
    assert len(await stored_descriptions(database)) == 7


@pytest.mark.asyncio
async def test_an_item_event_before_the_callback_stores_the_item_for_its_company(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item = fake_pluggy.add_item(str(company_id))
    fake_pluggy.add_account(item["id"])

    await deliver_pluggy_event(worker_runtime, "item/created", {"itemId": item["id"]})

    listed = await client.get("/api/banking/items/", headers=token_for(company_id))
    assert [i["pluggy_item_id"] for i in listed.json()] == [item["id"]]
    assert len(listed.json()[0]["accounts"]) == 1
    intruder = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": item["id"]},
        headers=token_for(uuid.uuid4()),
    )
    assert intruder.status_code == 404
    mine = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert mine.json()["id"] == listed.json()[0]["id"]


@pytest.mark.asyncio
async def test_events_of_items_pluggy_no_longer_has_mark_them_deleted(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    del fake_pluggy.items[connected["pluggy_item_id"]]

    await deliver_pluggy_event(
        worker_runtime, "item/deleted", {"itemId": connected["pluggy_item_id"]}
    )

    shown = await client.get(f"/api/banking/items/{connected['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "DELETED"
    assert await count(database, BankAccount) == 0


@pytest.mark.asyncio
async def test_an_older_item_state_arriving_late_changes_nothing(
    fake_pluggy: SandboxPluggy, database: Database, worker_runtime: Runtime
) -> None:
    company_id = uuid.uuid4()
    raw = fake_pluggy.add_item(str(company_id))
    older = PluggyItem.model_validate(raw)
    newer = PluggyItem.model_validate(
        fake_pluggy.set_item(raw["id"], status="LOGIN_ERROR", executionStatus="INVALID_CREDENTIALS")
    )

    async with database.transaction() as session:
        item = await service.store_item_state(
            session,
            worker_runtime,
            None,
            service.ItemSnapshot(newer.id, newer),
            company_id,
            utcnow(),
            actor="job:test",
        )
        await service.store_item_state(
            session,
            worker_runtime,
            item,
            service.ItemSnapshot(older.id, older),
            company_id,
            utcnow(),
            actor="job:test",
        )

    async with database.sessions() as session:
        [stored] = list(await session.scalars(select(Item)))
    assert (stored.status, stored.execution_status) == ("LOGIN_ERROR", "INVALID_CREDENTIALS")


@pytest.mark.asyncio
async def test_consent_revoked_stops_syncing_deletes_the_bank_data_and_tells_the_company(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 5)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_consent(connected["pluggy_item_id"], revoked=True)

    await deliver_pluggy_event(
        worker_runtime, "consent/revoked", {"itemId": connected["pluggy_item_id"]}
    )

    headers = token_for(company_id)
    shown = await client.get(f"/api/banking/items/{connected['id']}", headers=headers)
    assert shown.json()["status"] == "CONSENT_REVOKED"
    assert shown.json()["next_action"]["action"] == "reconnect"
    assert await count(database, Transaction) == 0
    assert await count(database, BankAccount) == 0
    [notice] = await outbox(database, "banking.notification.requested")
    assert notice["data"]["kind"] == "consent_revoked"
    assert notice["company_id"] == str(company_id)
    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": connected["pluggy_item_id"]}
    )
    assert await run_queued_syncs(worker_runtime) == 0
    assert (await client.get("/api/banking/accounts/", headers=headers)).json() == []


@pytest.mark.asyncio
async def test_a_late_consent_revoked_event_after_a_new_consent_changes_nothing(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_consent(connected["pluggy_item_id"], revoked=True)
    fake_pluggy.add_consent(connected["pluggy_item_id"], expires_at=now() + timedelta(days=300))

    await deliver_pluggy_event(
        worker_runtime, "consent/revoked", {"itemId": connected["pluggy_item_id"]}
    )

    shown = await client.get(f"/api/banking/items/{connected['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "UPDATED"


@pytest.mark.asyncio
async def test_a_consent_found_revoked_in_pluggys_consent_data_revokes_the_item(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    fake_pluggy.add_connector(601, "Banco Open Finance")["isOpenFinance"] = True
    item = fake_pluggy.add_item(str(company_id), connector_id=601)
    fake_pluggy.add_account(item["id"])
    await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    fake_pluggy.add_consent(item["id"], revoked=True)

    await deliver_pluggy_event(worker_runtime, "item/updated", {"itemId": item["id"]})

    [shown] = (await client.get("/api/banking/items/", headers=token_for(company_id))).json()
    assert shown["status"] == "CONSENT_REVOKED"


@pytest.mark.asyncio
async def test_an_expired_consent_revokes_the_item(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.set_item(
        connected["pluggy_item_id"], consentExpiresAt=iso(now() - timedelta(hours=1))
    )

    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": connected["pluggy_item_id"]}
    )

    shown = await client.get(f"/api/banking/items/{connected['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "CONSENT_REVOKED"
