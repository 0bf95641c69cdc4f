"""`finhub-banking sync-account` and `finhub-banking items`."""

from __future__ import annotations

import uuid

import httpx
import pytest

from banking import commands
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.errors import NotFound

from .conftest import connect_bank, run_queued_syncs, token_for
from .pluggy_sandbox import SandboxPluggy


@pytest.mark.asyncio
async def test_sync_account_syncs_now_and_reports_what_changed(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 3)
    account_id = uuid.UUID(connected["accounts"][0]["id"])

    report = await commands.sync_account_now(account_id, httpx.MockTransport(fake_pluggy))

    assert (report.status, report.created, report.updated) == ("succeeded", 3, 0)
    listed = await client.get("/api/banking/transactions/", headers=token_for(company_id))
    assert len(listed.json()["results"]) == 3


@pytest.mark.asyncio
async def test_sync_account_of_an_unknown_account_says_so(database: Database) -> None:
    with pytest.raises(NotFound):
        await commands.sync_account_now(uuid.uuid4())


@pytest.mark.asyncio
async def test_items_lists_a_companys_connections_with_their_next_action(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id, accounts=2)
    pending = fake_pluggy.add_mfa_item(str(company_id))
    await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pending["id"]},
        headers=token_for(company_id),
    )
    await connect_bank(client, fake_pluggy, uuid.uuid4())

    found = await commands.company_items(company_id)

    assert sorted((i.status, i.next_action.action.value, len(i.accounts)) for i in found) == [
        ("UPDATED", "none", 2),
        ("WAITING_USER_INPUT", "answer_mfa", 0),
    ]
