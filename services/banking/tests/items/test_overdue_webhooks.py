"""Items in progress whose webhook never came (lost while banking was down) are fetched from
Pluggy by the worker and kept as the item webhook keeps them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from banking.items import service
from banking.items.models import Item
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from provider_sandbox.pluggy.clock import iso

from ..conftest import outbox, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy, error

MFA_PARAMETER = {
    "name": "token",
    "label": "Token",
    "type": "number",
    "placeholder": "123456",
    "validationMessage": "Token inválido",
    "mfa": True,
}


async def connect_in_progress(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company_id: uuid.UUID,
    execution_status: str = "LOGIN_IN_PROGRESS",
) -> dict[str, Any]:
    """The widget's callback for an item Pluggy is still logging in or updating; its JSON."""
    item = fake_pluggy.add_item(
        str(company_id), status="UPDATING", execution_status=execution_status
    )
    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def last_changed_at(database: Database, item_id: str, moment: datetime) -> None:
    """The item's row last changed at `moment` (the clock of the test, not the database's)."""
    async with database.transaction() as session:
        await session.execute(
            update(Item).where(Item.id == uuid.UUID(item_id)).values(updated_at=moment)
        )


async def stored_status(database: Database, item_id: str) -> str:
    async with database.sessions() as session:
        status = await session.scalar(select(Item.status).where(Item.id == uuid.UUID(item_id)))
    assert status is not None
    return status


def fetches_of(fake_pluggy: SandboxPluggy, item: dict[str, Any]) -> int:
    return fake_pluggy.calls_to("GET", f"/items/{item['pluggy_item_id']}")


@pytest.mark.asyncio
async def test_an_mfa_prompt_whose_webhook_was_lost_reaches_the_user(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id, now = uuid.uuid4(), utcnow()
    stuck = await connect_in_progress(client, fake_pluggy, company_id)
    assert stuck["status"] == "LOGIN_IN_PROGRESS"
    fake_pluggy.set_item(
        stuck["pluggy_item_id"],
        status="WAITING_USER_INPUT",
        executionStatus="WAITING_USER_INPUT",
        parameter={**MFA_PARAMETER, "expiresAt": iso(now + timedelta(minutes=2))},
    )
    await last_changed_at(database, stuck["id"], now - timedelta(seconds=30))

    done = await service.reconcile_unheard(database, worker_runtime, now)

    assert done == service.Reconciliation(checked=1, failed=0)
    shown = await client.get(f"/api/banking/items/{stuck['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "WAITING_USER_INPUT"
    assert shown.json()["next_action"]["action"] == "answer_mfa"
    assert shown.json()["mfa"]["name"] == "token"
    async with database.sessions() as session:
        encrypted = await session.scalar(
            select(Item.mfa_prompt_encrypted).where(Item.id == uuid.UUID(stuck["id"]))
        )
    assert encrypted is not None
    assert b"Token" not in encrypted


@pytest.mark.asyncio
async def test_an_update_whose_webhook_was_lost_stores_the_accounts_and_syncs_them(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id, now = uuid.uuid4(), utcnow()
    stuck = await connect_in_progress(client, fake_pluggy, company_id, "ACCOUNTS_IN_PROGRESS")
    assert (stuck["status"], stuck["accounts"]) == ("UPDATING", [])
    account = fake_pluggy.add_account(stuck["pluggy_item_id"], name="Conta Corrente")
    fake_pluggy.add_transactions(account["id"], 3)
    fake_pluggy.set_item(
        stuck["pluggy_item_id"],
        status="UPDATED",
        executionStatus="SUCCESS",
        lastUpdatedAt=iso(now),
    )
    await last_changed_at(database, stuck["id"], now - timedelta(seconds=30))

    await service.reconcile_unheard(database, worker_runtime, now)

    shown = await client.get(f"/api/banking/items/{stuck['id']}", headers=token_for(company_id))
    assert shown.json()["status"] == "UPDATED"
    assert [a["name"] for a in shown.json()["accounts"]] == ["Conta Corrente"]
    queued = await outbox(database, "banking.sync.requested")
    assert len(queued) == 1
    assert await run_queued_syncs(worker_runtime) == 1
    synced = await client.get(
        "/api/banking/transactions/", headers=token_for(company_id), params={"limit": 10}
    )
    assert len(synced.json()["results"]) == 3


@pytest.mark.asyncio
async def test_items_heard_of_recently_are_not_fetched(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    now = utcnow()
    overdue_after = timedelta(seconds=worker_runtime.settings.item_webhook_overdue_seconds)
    changed = await connect_in_progress(client, fake_pluggy, uuid.uuid4())
    checked = await connect_in_progress(client, fake_pluggy, uuid.uuid4())
    await last_changed_at(database, changed["id"], now - overdue_after + timedelta(seconds=10))
    await last_changed_at(database, checked["id"], now - overdue_after - timedelta(seconds=1))
    fetched = {item["id"]: fetches_of(fake_pluggy, item) for item in (changed, checked)}

    first = await service.reconcile_unheard(database, worker_runtime, now)
    again = await service.reconcile_unheard(database, worker_runtime, now + timedelta(seconds=5))

    assert (first.checked, again.checked) == (1, 0)
    assert fetches_of(fake_pluggy, changed) == fetched[changed["id"]]
    assert fetches_of(fake_pluggy, checked) == fetched[checked["id"]] + 1
    later = await service.reconcile_unheard(database, worker_runtime, now + overdue_after)
    assert later.checked == 2
    assert fetches_of(fake_pluggy, checked) == fetched[checked["id"]] + 2


@pytest.mark.asyncio
async def test_an_item_pluggy_fails_on_does_not_stop_the_others(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    now = utcnow()
    failing, *others = [
        await connect_in_progress(client, fake_pluggy, uuid.uuid4()) for _ in range(3)
    ]
    # The failing one is the longest unheard of, so it is asked first.
    await last_changed_at(database, failing["id"], now - timedelta(minutes=5))
    for other in others:
        await last_changed_at(database, other["id"], now - timedelta(minutes=1))
        fake_pluggy.set_item(
            other["pluggy_item_id"], status="LOGIN_ERROR", executionStatus="INVALID_CREDENTIALS"
        )
    fake_pluggy.fail_after(
        "GET",
        f"/items/{failing['pluggy_item_id']}",
        0,
        error(500, "INTERNAL_SERVER_ERROR", "internal error"),
    )

    done = await service.reconcile_unheard(database, worker_runtime, now)

    assert done == service.Reconciliation(checked=3, failed=1)
    assert await stored_status(database, failing["id"]) == "LOGIN_IN_PROGRESS"
    assert [await stored_status(database, other["id"]) for other in others] == ["LOGIN_ERROR"] * 2


@pytest.mark.asyncio
async def test_an_item_pluggy_no_longer_knows_is_deleted_as_on_item_deleted(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id, now = uuid.uuid4(), utcnow()
    gone = await connect_in_progress(client, fake_pluggy, company_id)
    del fake_pluggy.items[gone["pluggy_item_id"]]
    await last_changed_at(database, gone["id"], now - timedelta(minutes=1))

    done = await service.reconcile_unheard(database, worker_runtime, now)

    assert done == service.Reconciliation(checked=1, failed=0)
    assert await stored_status(database, gone["id"]) == "DELETED"
    listed = await client.get("/api/banking/items/", headers=token_for(company_id))
    assert listed.json() == []
