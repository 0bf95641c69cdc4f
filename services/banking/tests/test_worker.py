"""The worker's wiring with the real broker: a sync request travels through the outbox, the
events exchange and the `banking.sync-jobs` queue to the sync job handler."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest

from banking.consumer import SUBSCRIPTIONS
from banking.database import InboxEvent, OutboxMessage
from banking.runtime import Runtime
from finhub_shared.bus import Consumer, Publisher
from finhub_shared.db import Database
from finhub_shared.outbox import OutboxRelay
from finhub_shared.supervision import Supervisor
from finhub_shared.worker import message_handler

from .conftest import connect_bank, outbox, token_for
from .pluggy_sandbox import SandboxPluggy


@pytest.mark.asyncio
async def test_a_requested_sync_is_run_by_the_worker_through_rabbitmq(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    amqp_url = os.environ["AMQP_URL"]
    [sync_jobs] = [s for s in SUBSCRIPTIONS if s.queue.name == "banking.sync-jobs"]
    consumer = Consumer(
        amqp_url,
        sync_jobs.queue,
        message_handler(sync_jobs, worker_runtime, InboxEvent),
    )
    publisher = Publisher(amqp_url)
    await consumer.start()
    await publisher.connect()
    relay = OutboxRelay(database, OutboxMessage, publisher, idle_seconds=0.05)
    supervisor = Supervisor()
    supervisor.start("outbox-relay", relay.run, window_seconds=60)
    try:
        company_id = uuid.uuid4()
        connected = await connect_bank(client, fake_pluggy, company_id)
        [first_sync] = await outbox(database, "banking.sync.requested")
        await wait_for_job(client, company_id, first_sync["data"]["job_id"])
        fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 25)

        accepted = await client.post(
            f"/api/banking/accounts/{connected['accounts'][0]['id']}/sync/",
            headers=token_for(company_id),
        )

        assert accepted.status_code == 202
        job = await wait_for_job(client, company_id, accepted.json()["job_id"])
        assert (job["status"], job["created_count"]) == ("succeeded", 25)
    finally:
        await supervisor.stop()
        await consumer.stop()
        await publisher.close()


async def wait_for_job(
    client: httpx.AsyncClient, company_id: uuid.UUID, job_id: str
) -> dict[str, object]:
    async with asyncio.timeout(30):
        while True:
            response = await client.get(
                f"/api/banking/sync-jobs/{job_id}", headers=token_for(company_id)
            )
            job: dict[str, object] = response.json()
            if job["status"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.1)
