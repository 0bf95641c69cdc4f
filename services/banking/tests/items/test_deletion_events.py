"""item/deleted and consent/revoked are not signed: the bank data goes only once Pluggy's API
confirms the item is gone or its consents are; while Pluggy cannot say, the event is retried."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from banking.accounts.models import BankAccount
from banking.database import InboxEvent
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError

from ..conftest import connect_bank, deliver_pluggy_event, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy


async def count(database: Database, model: Any) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def unconfirmed(event_type: str) -> float:
    value = REGISTRY.get_sample_value("banking_unconfirmed_deletions_total", {"event": event_type})
    return value or 0.0


async def connected_with_data(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, worker_runtime: Runtime
) -> tuple[uuid.UUID, dict[str, Any]]:
    """A company's connection with one account and three synced transactions."""
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 3)
    await run_queued_syncs(worker_runtime)
    return company_id, connected


async def status_of(client: httpx.AsyncClient, company_id: uuid.UUID, item_id: str) -> str:
    shown = await client.get(f"/api/banking/items/{item_id}", headers=token_for(company_id))
    status: str = shown.json()["status"]
    return status


@pytest.mark.asyncio
async def test_a_forged_item_deleted_for_an_item_pluggy_still_has_keeps_its_data(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, connected = await connected_with_data(client, fake_pluggy, worker_runtime)
    before = unconfirmed("item/deleted")

    await deliver_pluggy_event(
        worker_runtime, "item/deleted", {"itemId": connected["pluggy_item_id"]}
    )

    assert await status_of(client, company_id, connected["id"]) == "UPDATED"
    assert (await count(database, BankAccount), await count(database, Transaction)) == (1, 3)
    assert unconfirmed("item/deleted") == before + 1


@pytest.mark.asyncio
async def test_an_item_deleted_that_pluggy_confirms_deletes_its_data(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, connected = await connected_with_data(client, fake_pluggy, worker_runtime)
    fake_pluggy.remove_item(connected["pluggy_item_id"])

    await deliver_pluggy_event(
        worker_runtime, "item/deleted", {"itemId": connected["pluggy_item_id"]}
    )

    assert await status_of(client, company_id, connected["id"]) == "DELETED"
    assert (await count(database, BankAccount), await count(database, Transaction)) == (0, 0)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"code": 500, "message": "boom"}),
        # A 404 that is not Pluggy's ITEM_NOT_FOUND (a proxy, a wrong path) confirms nothing.
        httpx.Response(404, text="<html>Not Found</html>"),
    ],
    ids=["pluggy failing", "a 404 not from pluggy"],
)
async def test_an_item_deleted_pluggy_cannot_confirm_is_retried_and_keeps_the_data(
    answer: httpx.Response,
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, connected = await connected_with_data(client, fake_pluggy, worker_runtime)
    pluggy_item_id = connected["pluggy_item_id"]
    fake_pluggy.remove_item(pluggy_item_id)
    fake_pluggy.fail_after("GET", f"/items/{pluggy_item_id}", 0, answer)
    event_id = str(uuid.uuid4())

    with pytest.raises(ProviderError):  # the consumer retries the message later
        await deliver_pluggy_event(
            worker_runtime, "item/deleted", {"itemId": pluggy_item_id}, event_id=event_id
        )

    assert await status_of(client, company_id, connected["id"]) == "UPDATED"
    assert (await count(database, BankAccount), await count(database, Transaction)) == (1, 3)
    assert await count(database, InboxEvent) == 0  # not recorded: the retry is handled anew

    fake_pluggy.recover()
    await deliver_pluggy_event(
        worker_runtime, "item/deleted", {"itemId": pluggy_item_id}, event_id=event_id
    )
    assert await status_of(client, company_id, connected["id"]) == "DELETED"
    assert await count(database, Transaction) == 0


@pytest.mark.asyncio
async def test_a_consent_revoked_event_pluggy_lists_no_consent_for_keeps_the_data(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, connected = await connected_with_data(client, fake_pluggy, worker_runtime)
    before = unconfirmed("consent/revoked")

    await deliver_pluggy_event(
        worker_runtime, "consent/revoked", {"itemId": connected["pluggy_item_id"]}
    )

    assert await status_of(client, company_id, connected["id"]) == "UPDATED"
    assert (await count(database, BankAccount), await count(database, Transaction)) == (1, 3)
    assert unconfirmed("consent/revoked") == before + 1


@pytest.mark.asyncio
async def test_a_consent_revoked_event_while_pluggy_fails_is_retried_and_keeps_the_data(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, connected = await connected_with_data(client, fake_pluggy, worker_runtime)
    fake_pluggy.add_consent(connected["pluggy_item_id"], revoked=True)
    fake_pluggy.fail_after("GET", "/consents", 0, httpx.Response(500, json={"code": 500}))
    event_id = str(uuid.uuid4())
    data = {"itemId": connected["pluggy_item_id"]}

    with pytest.raises(ProviderError):
        await deliver_pluggy_event(worker_runtime, "consent/revoked", data, event_id=event_id)

    assert await status_of(client, company_id, connected["id"]) == "UPDATED"
    assert await count(database, Transaction) == 3
    fake_pluggy.recover()
    await deliver_pluggy_event(worker_runtime, "consent/revoked", data, event_id=event_id)
    assert await status_of(client, company_id, connected["id"]) == "CONSENT_REVOKED"
    assert await count(database, Transaction) == 0
