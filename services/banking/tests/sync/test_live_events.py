"""What the live stream is told of a sync: one progress event per page stored, then its end or
why it stopped; nothing when a redelivered request runs nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from banking.runtime import Runtime
from banking.sync.handlers import sync_job_runner
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope

from ..conftest import connect_bank, outbox, run_queued_syncs, shown
from ..pluggy_sandbox import SandboxPluggy, error
from .test_sync import request_sync, sync_job, unlimited

PROGRESS = "banking.sync.progress"
FINISHED = "banking.sync.finished"
FAILED = "banking.sync.failed"


@pytest.mark.asyncio
async def test_each_page_stored_is_shown_then_the_end_and_a_redelivery_shows_nothing(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await unlimited(worker_runtime, company_id)
    fake_pluggy.page_size = 10
    connected = await connect_bank(client, fake_pluggy, company_id)
    [account] = connected["accounts"]
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 25)

    await run_queued_syncs(worker_runtime)
    [requested] = await outbox(database, "banking.sync.requested")
    await sync_job_runner(worker_runtime)(EventEnvelope.model_validate(requested))

    sync_id = requested["data"]["job_id"]
    progress = await shown(database, PROGRESS)
    assert [p["transactions_stored"] for p in progress] == [10, 20, 25]
    assert progress[0] == {
        "sync_id": sync_id,
        "item_id": connected["id"],
        "account_id": account["id"],
        "account_name": account["name"],
        "transactions_stored": 10,
        "transactions_total": None,
    }
    [finished] = await shown(database, FINISHED)
    assert finished == {
        "sync_id": sync_id,
        "item_id": connected["id"],
        "accounts": 1,
        "transactions_stored": 25,
    }
    assert await shown(database, FAILED) == []
    [envelope] = await outbox(database, FINISHED)
    assert envelope["company_id"] == str(company_id)


@pytest.mark.asyncio
async def test_a_sync_pluggy_cannot_serve_now_is_shown_failed_with_its_retry(
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
    [failed] = await shown(database, FAILED)
    assert (failed["sync_id"], failed["item_id"]) == (job["id"], connected["id"])
    assert failed["reason"] == "pluggy_unavailable"
    assert failed["retried_at"] == job["retry_at"].replace("Z", "+00:00")
    assert len(await shown(database, FINISHED)) == 1


@pytest.mark.asyncio
async def test_a_sync_pluggy_refuses_is_shown_failed_for_good(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id)
    await run_queued_syncs(worker_runtime)
    fake_pluggy.fail_next("GET", "/v2/transactions", error(400, "BAD_REQUEST", "refused"))

    await request_sync(client, company_id, connected["accounts"][0]["id"])
    await run_queued_syncs(worker_runtime)

    [failed] = await shown(database, FAILED)
    assert (failed["reason"], failed["retried_at"]) == ("provider_error", None)
    assert failed["message"] == "Pluggy refused to list the transactions."
