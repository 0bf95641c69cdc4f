"""The database goes away under webhook load: no request waits past its limit, /readyz says so,
deliveries are stored again as soon as it is back, and every acknowledged event is published."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from finhub_dev.testing import ServiceUnderTest, database_refusing_connections
from finhub_shared.bus import Publisher
from finhub_shared.db import Database
from finhub_shared.outbox import OutboxRelay
from finhub_shared.supervision import Supervisor
from webhook_gateway.database import OutboxMessage
from webhook_gateway.webhooks.store import SAVE_TIMEOUT_SECONDS

from .bus import collect_ids, probe_queue
from .factories import signed, stripe_event
from .stored import stored_events

SENDERS = 16
EVENT_TYPE = "invoice.payment_succeeded"
# Verification and the answer itself on a loaded two-core machine, beyond the store's limit.
ANSWER_MARGIN_SECONDS = 3.0


@dataclass(frozen=True)
class Answer:
    event_id: str
    status: int
    code: str | None
    seconds: float
    sent_at: float


@pytest_asyncio.fixture
async def publisher() -> AsyncIterator[Publisher]:
    publisher = Publisher(os.environ["AMQP_URL"], name="gateway outage tests")
    await publisher.connect()
    yield publisher
    await publisher.close()


async def keep_sending(
    client: httpx.AsyncClient, answers: list[Answer], stop: asyncio.Event
) -> None:
    """One provider's delivery loop: a new signed event as soon as the last one was answered."""
    while not stop.is_set():
        event = stripe_event(EVENT_TYPE)
        body, headers = signed(event)
        started = time.monotonic()
        response = await client.post("/webhooks/stripe", content=body, headers=headers)
        code = response.json().get("code") if response.status_code != 200 else None
        elapsed = time.monotonic() - started
        answers.append(Answer(str(event["id"]), response.status_code, code, elapsed, started))


@pytest.mark.asyncio
async def test_a_database_outage_under_load_loses_nothing_acknowledged_and_holds_no_request(
    service: ServiceUnderTest,
    client: httpx.AsyncClient,
    database: Database,
    publisher: Publisher,
) -> None:
    answers: list[Answer] = []
    stop = asyncio.Event()
    senders = [asyncio.create_task(keep_sending(client, answers, stop)) for _ in range(SENDERS)]
    try:
        await asyncio.sleep(1)
        async with database_refusing_connections(service.database_url):
            outage_began = time.monotonic()
            await asyncio.sleep(2)
            ready_during = await client.get("/readyz")
            await asyncio.sleep(3)
        outage_ended = time.monotonic()
        async with asyncio.timeout(30):
            while not any(a.status == 200 and a.sent_at > outage_ended for a in answers):
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(*senders)
    ready_after = await client.get("/readyz")

    acknowledged = {a.event_id for a in answers if a.status == 200}
    refused = [a for a in answers if a.status != 200]
    async with probe_queue(f"stripe.{EVENT_TYPE}") as queue, Supervisor() as supervisor:
        supervisor.start(
            "outbox-relay", OutboxRelay(database, OutboxMessage, publisher).run, window_seconds=60
        )
        published = await collect_ids(queue, acknowledged, within=60)

    assert max(a.seconds for a in answers) < SAVE_TIMEOUT_SECONDS + ANSWER_MARGIN_SECONDS
    assert {(a.status, a.code) for a in refused} == {(503, "storage_unavailable")}
    assert any(outage_began < a.sent_at < outage_ended for a in refused)
    assert ready_during.status_code == 503
    assert ready_during.json()["checks"]["database"] != "ok"
    assert ready_after.status_code == 200
    assert acknowledged <= {event.event_id for event in await stored_events(database)}
    assert sorted(published) == sorted(acknowledged)  # each once
