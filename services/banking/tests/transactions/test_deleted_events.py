"""transactions/deleted is not signed: a transaction goes only once Pluggy no longer has it, and
while Pluggy cannot say, the event is retried."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError

from ..conftest import connect_bank, deliver_pluggy_event, run_queued_syncs
from ..pluggy_sandbox import SandboxPluggy, ids_of


async def stored_ids(database: Database) -> set[str]:
    async with database.sessions() as session:
        return set(await session.scalars(select(Transaction.pluggy_transaction_id)))


def unconfirmed() -> float:
    value = REGISTRY.get_sample_value(
        "banking_unconfirmed_deletions_total", {"event": "transactions/deleted"}
    )
    return value or 0.0


async def synced_account(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    transactions: int,
) -> tuple[str, str, list[str]]:
    """A connected item's Pluggy id, its account's, and its synced transactions' ids."""
    connected = await connect_bank(client, fake_pluggy, uuid.uuid4())
    account_id = next(iter(fake_pluggy.accounts))
    added = list(ids_of(fake_pluggy.add_transactions(account_id, transactions)))
    await run_queued_syncs(worker_runtime)
    return connected["pluggy_item_id"], account_id, added


@pytest.mark.asyncio
async def test_only_the_transactions_pluggy_no_longer_has_are_deleted(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    item_id, account_id, (gone, forged, kept) = await synced_account(
        client, fake_pluggy, worker_runtime, 3
    )
    fake_pluggy.delete_transaction(account_id, gone)
    before = unconfirmed()

    await deliver_pluggy_event(
        worker_runtime,
        "transactions/deleted",
        {"itemId": item_id, "accountId": account_id, "transactionIds": [gone, forged]},
    )

    assert await stored_ids(database) == {forged, kept}
    assert unconfirmed() == before + 1


@pytest.mark.asyncio
async def test_transactions_deleted_while_pluggy_fails_are_retried_and_kept(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    item_id, account_id, (gone, kept) = await synced_account(client, fake_pluggy, worker_runtime, 2)
    fake_pluggy.delete_transaction(account_id, gone)
    fake_pluggy.fail_after("GET", "/v2/transactions", 0, httpx.Response(500, json={"code": 500}))
    event_id = str(uuid.uuid4())
    data = {"itemId": item_id, "accountId": account_id, "transactionIds": [gone]}

    with pytest.raises(ProviderError):  # the consumer retries the message later
        await deliver_pluggy_event(worker_runtime, "transactions/deleted", data, event_id=event_id)

    assert await stored_ids(database) == {gone, kept}
    fake_pluggy.recover()
    await deliver_pluggy_event(worker_runtime, "transactions/deleted", data, event_id=event_id)
    assert await stored_ids(database) == {kept}


@pytest.mark.asyncio
async def test_transactions_of_an_account_pluggy_no_longer_has_are_deleted(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    item_id, account_id, (gone, kept) = await synced_account(client, fake_pluggy, worker_runtime, 2)
    fake_pluggy.remove_item(item_id)

    await deliver_pluggy_event(
        worker_runtime,
        "transactions/deleted",
        {"itemId": item_id, "accountId": account_id, "transactionIds": [gone]},
    )

    assert await stored_ids(database) == {kept}
