"""The transactional outbox against the real PostgreSQL and RabbitMQ: nothing published that was
not committed, nothing committed that is not published."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from aio_pika.abc import AbstractQueue
from sqlalchemy import func, select, text, update

from finhub_dev.testing import database_refusing_connections
from finhub_shared import metrics
from finhub_shared.bus import Publisher
from finhub_shared.correlation import correlation_scope
from finhub_shared.db import Database
from finhub_shared.events import new_event
from finhub_shared.outbox import OutboxRelay, enqueue, prune_published, record_backlog, vacuum
from finhub_shared.supervision import Backoff, Supervisor

from .conftest import OutboxMessage


async def enqueue_events(database: Database, event_type: str, count: int) -> list[str]:
    ids = []
    async with database.transaction() as session:
        for number in range(count):
            envelope = new_event("billing", event_type, {"number": number})
            await enqueue(session, OutboxMessage, envelope)
            ids.append(envelope.id)
    return ids


async def received_ids(queue: AbstractQueue, expected: int, within: float = 10.0) -> list[str]:
    """Message ids taken from `queue` until `expected` arrived or `within` seconds passed."""
    ids: list[str] = []
    async with asyncio.timeout(within):
        async with queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                assert message.message_id
                ids.append(message.message_id)
                if len(ids) >= expected:
                    break
    return ids


async def unpublished_count(database: Database) -> int:
    async with database.sessions() as session:
        query = select(func.count()).where(OutboxMessage.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def run_relay_until_drained(relay: OutboxRelay, database: Database) -> None:
    async with Supervisor() as supervisor, asyncio.timeout(30):
        supervisor.start("outbox-relay", relay.run, window_seconds=60)
        while await unpublished_count(database):
            await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_committed_messages_are_published_with_their_envelope_and_properties(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    with correlation_scope("corr-123"):
        async with database.transaction() as session:
            envelope = new_event("billing", event_type, {"plan": "starter"})
            await enqueue(session, OutboxMessage, envelope)

    published, failed = await OutboxRelay(database, OutboxMessage, publisher).relay_batch()

    assert (published, failed) == (1, False)
    message = await probe_queue.get(timeout=5)
    assert message.message_id == envelope.id
    assert message.correlation_id == "corr-123"
    assert message.content_type == "application/json"
    assert message.delivery_mode == 2  # persistent
    body = json.loads(message.body)
    assert body["id"] == envelope.id
    assert body["data"] == {"plan": "starter"}
    assert await unpublished_count(database) == 0


@pytest.mark.asyncio
async def test_a_rolled_back_transaction_publishes_nothing(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    async def failing_change() -> None:
        async with database.transaction() as session:
            await enqueue(session, OutboxMessage, new_event("billing", event_type, {}))
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        await failing_change()

    assert await OutboxRelay(database, OutboxMessage, publisher).relay_batch() == (0, False)
    assert await probe_queue.get(fail=False, timeout=1) is None


@pytest.mark.asyncio
async def test_rows_committed_before_a_crash_are_published_by_the_next_relay(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    # The process that committed these died before publishing: no relay ran for them.
    ids = await enqueue_events(database, event_type, 25)

    await run_relay_until_drained(OutboxRelay(database, OutboxMessage, publisher), database)

    assert sorted(await received_ids(probe_queue, 25)) == sorted(ids)


@pytest.mark.asyncio
async def test_two_relays_share_the_table_without_publishing_a_row_twice(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    ids = await enqueue_events(database, event_type, 300)
    relays = [OutboxRelay(database, OutboxMessage, publisher, batch_size=20) for _ in range(2)]

    await asyncio.gather(*(run_relay_until_drained(relay, database) for relay in relays))

    received = await received_ids(probe_queue, 300)
    assert sorted(received) == sorted(ids)
    assert await probe_queue.get(fail=False, timeout=0.5) is None


@pytest.mark.asyncio
async def test_an_event_no_consumer_has_bound_yet_stays_in_the_outbox(
    database: Database, publisher: Publisher, event_type: str
) -> None:
    await enqueue_events(database, event_type, 2)  # nothing bound to this event type

    assert await OutboxRelay(database, OutboxMessage, publisher).relay_batch() == (0, True)
    assert await unpublished_count(database) == 2


@pytest.mark.asyncio
async def test_a_message_that_cannot_be_published_does_not_hold_up_the_others(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    await enqueue_events(database, "nobody-listens.created", 1)
    ids = await enqueue_events(database, event_type, 30)
    relay = OutboxRelay(database, OutboxMessage, publisher, batch_size=10, retry_seconds=30)
    async with Supervisor() as supervisor:
        supervisor.start("outbox-relay", relay.run, window_seconds=60)
        received = await received_ids(probe_queue, 30, within=10)

    assert sorted(received) == sorted(ids)
    assert await unpublished_count(database) == 1


@pytest.mark.asyncio
async def test_a_failed_publish_keeps_the_row_for_the_next_attempt(
    database: Database, probe_queue: AbstractQueue, event_type: str
) -> None:
    [event_id] = await enqueue_events(database, event_type, 1)
    closed_publisher = Publisher("amqp://guest:guest@127.0.0.1:5672/")  # never connected

    published, failed = await OutboxRelay(database, OutboxMessage, closed_publisher).relay_batch()

    assert (published, failed) == (0, True)
    async with database.sessions() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.message_id == event_id
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error


@pytest.mark.asyncio
async def test_backlog_gauges_show_unpublished_rows_and_their_age(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    await enqueue_events(database, event_type, 3)
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage).values(created_at=func.now() - timedelta(seconds=42))
        )
    relay = OutboxRelay(database, OutboxMessage, publisher)

    await record_backlog(database, OutboxMessage)
    assert metrics.OUTBOX_BACKLOG._value.get() == 3
    assert metrics.OUTBOX_OLDEST_AGE._value.get() >= 42

    await relay.relay_batch()
    await record_backlog(database, OutboxMessage)
    assert metrics.OUTBOX_BACKLOG._value.get() == 0
    assert metrics.OUTBOX_OLDEST_AGE._value.get() == 0


@pytest.mark.asyncio
async def test_the_relay_carries_on_after_losing_its_database(
    scratch_schema: str,
    database: Database,
    publisher: Publisher,
    probe_queue: AbstractQueue,
    event_type: str,
) -> None:
    # Each step waits for what it expects, however loaded the machine; the deadline only ends
    # a relay that never gets there.
    deadline = 120
    relay_database = Database(scratch_schema, application_name="relay-under-test")
    relay = OutboxRelay(relay_database, OutboxMessage, publisher, idle_seconds=0.05)
    before = await enqueue_events(database, event_type, 5)
    try:
        async with Supervisor(backoff=Backoff(0.05, 0.2)) as supervisor:
            supervisor.start("outbox-relay", relay.run, window_seconds=deadline)
            published_before = await received_ids(probe_queue, 5, within=deadline)
            async with database_refusing_connections(scratch_schema), asyncio.timeout(deadline):
                while "outbox-relay" not in supervisor.problems():
                    await asyncio.sleep(0.05)
                during = supervisor.problems()["outbox-relay"]
            after = await enqueue_events(database, event_type, 5)
            published_after = await received_ids(probe_queue, 5, within=deadline)
            async with asyncio.timeout(deadline):
                # The relay's next beat clears its problem: it is healthy again.
                while supervisor.problems():
                    await asyncio.sleep(0.05)
    finally:
        await relay_database.dispose()

    assert sorted(published_before) == sorted(before)
    assert during.startswith("failing (")
    assert sorted(published_after) == sorted(after)
    assert await unpublished_count(database) == 0


@pytest.mark.asyncio
async def test_prune_deletes_only_rows_published_long_ago(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    await enqueue_events(database, event_type, 4)
    await OutboxRelay(database, OutboxMessage, publisher).relay_batch()
    await enqueue_events(database, event_type, 2)  # not yet published
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.published_at.is_not(None))
            .values(published_at=func.now() - timedelta(days=10))
        )

    assert await prune_published(database, OutboxMessage, older_than=timedelta(days=7)) == 4
    assert await unpublished_count(database) == 2


@pytest.mark.asyncio
async def test_vacuum_reclaims_what_the_relay_left_behind(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    await enqueue_events(database, event_type, 50)
    await OutboxRelay(database, OutboxMessage, publisher).relay_batch()

    await vacuum(database, OutboxMessage)

    async with database.sessions() as session:
        last_vacuum = (
            await session.execute(
                text(
                    "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables"
                    " WHERE relname = 'outbox_messages'"
                )
            )
        ).one()
    assert all(moment is not None for moment in last_vacuum)


@pytest.mark.asyncio
@pytest.mark.broker_restart
@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="rabbitmqctl is not installed")
async def test_messages_committed_while_the_broker_is_down_are_all_published_when_it_returns(
    database: Database, publisher: Publisher, probe_queue: AbstractQueue, event_type: str
) -> None:
    relay = OutboxRelay(database, OutboxMessage, publisher, retry_seconds=0.5)
    supervisor = Supervisor()
    supervisor.start("outbox-relay", relay.run, window_seconds=60)
    ids = await enqueue_events(database, event_type, 20)
    await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "stop_app"], check=True)
    try:
        ids += await enqueue_events(database, event_type, 20)  # accepted while the broker is down
        await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "start_app"], check=True)
        await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "await_startup"], check=True)
    ids += await enqueue_events(database, event_type, 20)
    try:
        async with asyncio.timeout(60):
            while await unpublished_count(database):
                await asyncio.sleep(0.2)
    finally:
        await supervisor.stop()

    # The probe queue is exclusive, so it died with the broker's connections: count what the
    # relay confirmed instead, and that every committed id was confirmed.
    async with database.sessions() as session:
        confirmed = set(
            (
                await session.scalars(
                    select(OutboxMessage.message_id).where(OutboxMessage.published_at.is_not(None))
                )
            ).all()
        )
    assert confirmed == set(ids)
