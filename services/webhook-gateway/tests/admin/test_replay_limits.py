"""One replay-by-filter request queues at most MAX_REPLAY events, a batch at a time, each once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, text

from finhub_shared.db import Database
from webhook_gateway.admin.service import MAX_REPLAY, REPLAY_BATCH
from webhook_gateway.database import OutboxMessage

from .test_admin_events import admin

# Routed invoice.paid events received one second apart, the newest a second ago.
_STORE_ROUTED = text(
    """
    INSERT INTO webhook_events (id, source, event_id, event_type, status, raw_body, headers,
                                occurred_at, received_at)
    SELECT gen_random_uuid(), 'stripe', 'evt_bulk_' || n, 'invoice.paid', 'routed',
           convert_to('{"id": "evt_bulk_' || n || '"}', 'UTF8'), '{}', now(),
           now() - n * interval '1 second'
    FROM generate_series(1, :count) AS n
    """
)


async def store_routed(database: Database, count: int) -> None:
    async with database.transaction() as session:
        await session.execute(_STORE_ROUTED, {"count": count})


async def queued_message_ids(database: Database) -> list[str]:
    async with database.sessions() as session:
        return list((await session.scalars(select(OutboxMessage.message_id))).all())


async def outbox_size(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


@pytest.mark.asyncio
async def test_a_filter_matching_more_than_the_cap_is_refused_and_queues_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    await store_routed(database, MAX_REPLAY + 1)

    response = await client.post("/admin/events/replay", json={}, headers=admin())

    assert (response.status_code, response.json()["code"]) == (400, "replay_too_large")
    assert str(MAX_REPLAY) in response.json()["message"]
    assert await outbox_size(database) == 0


@pytest.mark.asyncio
async def test_a_filter_matching_nothing_replays_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    await store_routed(database, 3)

    response = await client.post(
        "/admin/events/replay", json={"type": "invoice.voided"}, headers=admin()
    )

    assert response.json() == {"replayed": 0}
    assert await outbox_size(database) == 0


@pytest.mark.asyncio
async def test_a_replay_of_several_batches_queues_each_match_exactly_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    count = 2 * REPLAY_BATCH + 1
    await store_routed(database, count + 5)  # the 5 oldest fall outside the range below
    async with database.sessions() as session:
        cutoff = await session.scalar(
            text("SELECT received_at FROM webhook_events WHERE event_id = :id"),
            {"id": f"evt_bulk_{count}"},
        )

    response = await client.post(
        "/admin/events/replay", json={"received_from": cutoff.isoformat()}, headers=admin()
    )

    assert response.json() == {"replayed": count}
    assert sorted(await queued_message_ids(database)) == sorted(
        f"evt_bulk_{n}" for n in range(1, count + 1)
    )
