"""The plan's bank-account limit holds wherever accounts are stored: those past it are blocked
(kept, not synced, not counted) and activated, oldest first, once there is room."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from banking import commands
from banking.items import service as items
from banking.registries import entitlement_events
from banking.runtime import Runtime
from banking.sync.models import SyncJob
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import (
    connect_bank,
    deliver,
    deliver_pluggy_event,
    entitlements_event,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy


async def plan_allows(runtime: Runtime, company_id: uuid.UUID, bank_accounts: int | None) -> None:
    """Billing's snapshot: a plan allowing this many bank accounts (None: unlimited)."""
    plan = "enterprise" if bank_accounts is None else "professional"
    envelope = entitlements_event(company_id, plan, bank_accounts=bank_accounts)
    await deliver(runtime, envelope, "banking.entitlements", entitlement_events)


async def listed_accounts(client: httpx.AsyncClient, company_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get("/api/banking/accounts/", headers=token_for(company_id))
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


def status_counts(accounts: list[dict[str, Any]]) -> dict[str, int]:
    """How many accounts have each status."""
    return dict(Counter(account["status"] for account in accounts))


async def synced_account_ids(database: Database) -> set[uuid.UUID]:
    """The accounts a sync job was queued for."""
    async with database.sessions() as session:
        return set(await session.scalars(select(SyncJob.account_id)))


async def usage(client: httpx.AsyncClient, company_id: uuid.UUID) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.get("/api/banking/usage/", headers=token_for(company_id))
    ).json()
    return body


@pytest.mark.asyncio
async def test_one_bank_with_more_accounts_than_the_plan_keeps_those_past_it_blocked(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 10)

    connected = await connect_bank(client, fake_pluggy, company_id, accounts=12)

    blocked = [a for a in connected["accounts"] if a["status"] == "blocked"]
    assert len(blocked) == 2
    assert len(connected["accounts"]) == 12
    for account in blocked:
        assert account["blocked_reason"] == "bank_account_limit_reached"
        assert account["upgrade"]["upgrade_required"] is True
        assert account["upgrade"]["suggested_plan"] == "enterprise"
        assert "Upgrade to enterprise" in account["upgrade"]["message"]
    listed = await listed_accounts(client, company_id)
    assert {a["id"] for a in listed if a["status"] == "blocked"} == {a["id"] for a in blocked}
    assert all(a["upgrade"] is None for a in listed if a["status"] == "active")

    await run_queued_syncs(worker_runtime)
    assert await synced_account_ids(database) == {
        uuid.UUID(a["id"]) for a in listed if a["status"] == "active"
    }
    counted = await usage(client, company_id)
    assert (counted["bank_accounts"], counted["blocked_bank_accounts"]) == (10, 2)
    summary = (await client.get("/api/banking/summary/", headers=token_for(company_id))).json()
    assert sum(b["accounts"] for b in summary["balances"]) == 10


@pytest.mark.asyncio
@pytest.mark.parametrize("event_type", ["item/updated", "item/created", "accounts/created"])
async def test_pluggys_webhooks_store_accounts_past_the_limit_blocked(
    event_type: str,
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 2)
    item = fake_pluggy.add_item(str(company_id))
    for name in ("A", "B", "C"):
        fake_pluggy.add_account(item["id"], name=name)

    await deliver_pluggy_event(worker_runtime, event_type, {"itemId": item["id"]})

    listed = await listed_accounts(client, company_id)
    assert status_counts(listed) == {"active": 2, "blocked": 1}
    [blocked] = [a for a in listed if a["status"] == "blocked"]
    assert blocked["blocked_reason"] == "bank_account_limit_reached"
    assert uuid.UUID(blocked["id"]) not in await synced_account_ids(database)


@pytest.mark.asyncio
async def test_a_blocked_account_is_never_synced(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 1)
    connected = await connect_bank(client, fake_pluggy, company_id, accounts=2)
    [blocked] = [a for a in connected["accounts"] if a["status"] == "blocked"]
    [pluggy_account] = [a for a in fake_pluggy.accounts.values() if a["name"] == blocked["name"]]
    fake_pluggy.add_transactions(pluggy_account["id"], 3)

    asked = await client.post(
        f"/api/banking/accounts/{blocked['id']}/sync/", headers=token_for(company_id)
    )
    await deliver_pluggy_event(
        worker_runtime,
        "transactions/created",
        {
            "itemId": connected["pluggy_item_id"],
            "accountId": pluggy_account["id"],
            "transactionsCreatedAtFrom": utcnow().isoformat(),
        },
    )
    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": connected["pluggy_item_id"]}
    )
    await run_queued_syncs(worker_runtime)

    assert asked.status_code == 403
    assert asked.json()["code"] == "bank_account_limit_reached"
    assert asked.json()["suggested_plan"] == "professional"
    assert uuid.UUID(blocked["id"]) not in await synced_account_ids(database)
    [shown] = [a for a in await listed_accounts(client, company_id) if a["id"] == blocked["id"]]
    assert shown["last_synced_at"] is None


@pytest.mark.asyncio
async def test_a_job_for_a_blocked_account_ends_skipped_without_asking_pluggy(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 0)
    connected = await connect_bank(client, fake_pluggy, company_id, accounts=1)
    [blocked] = connected["accounts"]

    report = await commands.sync_account_now(
        uuid.UUID(blocked["id"]), httpx.MockTransport(fake_pluggy)
    )

    assert (report.status, report.error) == ("skipped", "bank_account_limit_reached")
    assert fake_pluggy.calls_to("GET", "/v2/transactions") == 0


@pytest.mark.asyncio
async def test_an_upgrade_activates_the_oldest_blocked_accounts_and_syncs_them(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 1)
    first = await connect_bank(client, fake_pluggy, company_id, accounts=2)
    later = await connect_bank(client, fake_pluggy, company_id, accounts=1)
    [waited_longest] = [a["id"] for a in first["accounts"] if a["status"] == "blocked"]
    [waited_less] = [a["id"] for a in later["accounts"]]

    await plan_allows(worker_runtime, company_id, 2)
    await run_queued_syncs(worker_runtime)

    listed = {a["id"]: a for a in await listed_accounts(client, company_id)}
    assert listed[waited_longest]["status"] == "active"
    assert listed[waited_longest]["blocked_reason"] is None
    assert listed[waited_longest]["last_synced_at"] is not None
    assert listed[waited_less]["status"] == "blocked"

    await plan_allows(worker_runtime, company_id, None)
    await run_queued_syncs(worker_runtime)

    listed = {a["id"]: a for a in await listed_accounts(client, company_id)}
    assert {a["status"] for a in listed.values()} == {"active"}
    assert listed[waited_less]["last_synced_at"] is not None
    assert (await usage(client, company_id))["bank_accounts"] == 3


@pytest.mark.asyncio
async def test_a_downgrade_keeps_the_active_accounts_and_blocks_new_ones(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 3)
    await connect_bank(client, fake_pluggy, company_id, accounts=3)

    await plan_allows(worker_runtime, company_id, 1)
    added = await connect_bank(client, fake_pluggy, company_id, accounts=1)

    assert [a["status"] for a in added["accounts"]] == ["blocked"]
    listed = await listed_accounts(client, company_id)
    assert status_counts(listed) == {"active": 3, "blocked": 1}
    assert (await usage(client, company_id))["bank_accounts"] == 3


@pytest.mark.asyncio
async def test_removing_a_connection_gives_its_place_to_a_blocked_account(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 1)
    removed = await connect_bank(client, fake_pluggy, company_id, accounts=1)
    waiting = await connect_bank(client, fake_pluggy, company_id, accounts=1)
    assert [a["status"] for a in waiting["accounts"]] == ["blocked"]

    deleted = await client.delete(
        f"/api/banking/items/{removed['id']}", headers=token_for(company_id)
    )
    await run_queued_syncs(worker_runtime)

    assert deleted.status_code == 204
    [account] = await listed_accounts(client, company_id)
    assert account["id"] == waiting["accounts"][0]["id"]
    assert account["status"] == "active"
    assert account["last_synced_at"] is not None


async def waiting_on_a_lock(database: Database) -> bool:
    """Whether a transaction on this database waits for a lock another one holds."""
    async with database.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


@pytest.mark.asyncio
async def test_two_connections_stored_at_once_cannot_both_take_the_last_places(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await plan_allows(worker_runtime, company_id, 10)
    await connect_bank(client, fake_pluggy, company_id, accounts=0)  # the bank's connector known
    principal = Principal(uuid.uuid4(), company_id, "owner", "token")
    now = utcnow()
    snapshots = []
    for _ in range(2):
        item = fake_pluggy.add_item(str(company_id))
        for index in range(6):
            fake_pluggy.add_account(item["id"], name=f"Conta {index}")
        snapshots.append(
            await items.fetch_connection(database, worker_runtime, principal, item["id"], now)
        )

    async def store(snapshot: items.ItemSnapshot) -> None:
        async with database.transaction() as session:
            await items.complete_connection(session, worker_runtime, principal, snapshot, now)

    async with database.transaction() as first:
        await items.complete_connection(first, worker_runtime, principal, snapshots[0], now)
        second = asyncio.create_task(store(snapshots[1]))
        # The second waits for the first to commit (without the company's lock, it would not).
        while not second.done() and not await waiting_on_a_lock(database):
            await asyncio.sleep(0.01)
    await second

    counted = await usage(client, company_id)
    assert (counted["bank_accounts"], counted["blocked_bank_accounts"]) == (10, 2)
