"""Nothing accepted is lost: concurrent duplicates, a broker outage, a worker killed mid-run."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from finhub_shared.bus import Publisher
from finhub_shared.db import Database
from finhub_shared.outbox import OutboxRelay
from finhub_shared.supervision import Supervisor
from webhook_gateway.database import OutboxMessage

from .bus import collect_ids, probe_queue
from .factories import signed, stripe_event
from .stored import stored_events


@pytest_asyncio.fixture
async def publisher() -> AsyncIterator[Publisher]:
    publisher = Publisher(os.environ["AMQP_URL"], name="gateway tests")
    await publisher.connect()
    yield publisher
    await publisher.close()


async def backlog(database: Database) -> int:
    async with database.sessions() as session:
        query = select(func.count()).where(OutboxMessage.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def wait_until_drained(database: Database, within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        while await backlog(database):
            await asyncio.sleep(0.1)


async def deliver(client: httpx.AsyncClient, event: dict[str, object]) -> httpx.Response:
    body, headers = signed(event)
    return await client.post("/webhooks/stripe", content=body, headers=headers)


@pytest.mark.asyncio
async def test_1000_concurrent_deliveries_of_100_events_store_and_publish_each_once(
    client: httpx.AsyncClient, database: Database, publisher: Publisher
) -> None:
    events = [stripe_event("invoice.paid") for _ in range(100)]
    deliveries = events + [random.choice(events) for _ in range(900)]
    random.shuffle(deliveries)
    ids = {str(event["id"]) for event in events}

    async with probe_queue("stripe.invoice.paid") as queue:
        answers = await asyncio.gather(*(deliver(client, event) for event in deliveries))
        async with Supervisor() as supervisor:
            relay = OutboxRelay(database, OutboxMessage, publisher)
            supervisor.start("outbox-relay", relay.run, window_seconds=60)
            await wait_until_drained(database)
        received = await collect_ids(queue, ids)

    assert all(answer.status_code == 200 for answer in answers)
    assert sum(not answer.json()["duplicate"] for answer in answers) == 100
    assert len(await stored_events(database)) == 100
    assert await backlog(database) == 0
    assert sorted(received) == sorted(ids)  # each exactly once


@pytest.mark.asyncio
@pytest.mark.broker_restart
@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="rabbitmqctl is not installed")
async def test_webhooks_accepted_while_the_broker_is_down_are_all_published_when_it_returns(
    client: httpx.AsyncClient, database: Database, publisher: Publisher
) -> None:
    events = [stripe_event("invoice.payment_failed") for _ in range(60)]
    async with probe_queue("stripe.invoice.payment_failed") as queue:
        relay = OutboxRelay(database, OutboxMessage, publisher, retry_seconds=0.5)
        supervisor = Supervisor()
        supervisor.start("outbox-relay", relay.run, window_seconds=60)
        await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "stop_app"], check=True)
        try:
            answers = [await deliver(client, event) for event in events]
            ready = await client.get("/readyz")
            await asyncio.sleep(1)
            assert await backlog(database) == len(events)
        finally:
            await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "start_app"], check=True)
            await asyncio.to_thread(
                subprocess.run, ["rabbitmqctl", "-q", "await_startup"], check=True
            )
        try:
            await wait_until_drained(database)
        finally:
            await supervisor.stop()
        received = await collect_ids(queue, {str(event["id"]) for event in events})

    assert [answer.status_code for answer in answers] == [200] * len(events)
    assert ready.status_code == 200  # the gateway stays in rotation: it can still store
    assert set(received) == {event["id"] for event in events}


def start_worker(tmp_path: Path) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "finhub-gateway"), "worker"]
    log = (tmp_path / "worker.log").open("ab")
    # The test environment (root conftest) holds every setting; tmp_path has no .env.
    return subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=log)


@pytest.mark.asyncio
async def test_events_committed_before_the_worker_was_killed_are_published_after_restart(
    client: httpx.AsyncClient, database: Database, tmp_path: Path
) -> None:
    batches = [[stripe_event("charge.refunded") for _ in range(30)] for _ in range(3)]
    ids = {str(event["id"]) for batch in batches for event in batch}
    async with probe_queue("stripe.charge.refunded") as queue:
        for event in batches[0]:  # committed while no worker runs
            await deliver(client, event)
        worker = start_worker(tmp_path)
        try:
            for event in batches[1]:
                await deliver(client, event)
            worker.send_signal(signal.SIGKILL)  # mid-run, no chance to finish anything
            await asyncio.to_thread(worker.wait)
            for event in batches[2]:
                await deliver(client, event)
            worker = start_worker(tmp_path)
            await wait_until_drained(database)
        finally:
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 30)
        received = await collect_ids(queue, ids)

    assert set(received) == ids
    assert await backlog(database) == 0
