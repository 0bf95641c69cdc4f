"""The hot-path store: a value PostgreSQL refuses fails only its own event, not the others
written in the same batch."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from finhub_dev.testing import ServiceUnderTest
from finhub_shared.db import Database, asyncpg_dsn
from finhub_shared.events import utcnow
from finhub_shared.supervision import Supervisor
from webhook_gateway.webhooks.errors import MalformedEvent
from webhook_gateway.webhooks.store import EventStore, IncomingEvent

from ..stored import outbox_envelopes, stored_events


def incoming(event_id: str, headers: dict[str, str] | None = None) -> IncomingEvent:
    now = utcnow()
    return IncomingEvent(
        source="stripe",
        event_id=event_id,
        event_type="invoice.paid",
        status="routed",
        raw_body=b'{"id": "%s"}' % event_id.encode(),
        headers=headers or {"content-type": "application/json"},
        company_id=None,
        occurred_at=now,
        received_at=now,
        routing_key="stripe.invoice.paid",
        envelope=b'{"id": "%s"}' % event_id.encode(),
        correlation_id=str(uuid.uuid4()),
    )


@pytest.mark.asyncio
async def test_an_event_postgresql_refuses_fails_alone_and_its_batch_is_stored(
    service: ServiceUnderTest, database: Database
) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(service.database_url), min_size=1, max_size=2)
    good = [incoming(f"evt_good_{n}") for n in range(5)]
    # JSON can carry "\u0000" in a header value; PostgreSQL's jsonb cannot store it.
    refused = incoming("evt_refused", headers={"x-odd": "a\x00b"})
    try:
        async with Supervisor() as supervisor:
            store = EventStore(pool, supervisor, writers=1)
            results = await asyncio.gather(
                *(store.save(event) for event in [*good[:3], refused, *good[3:]]),
                return_exceptions=True,
            )
    finally:
        await pool.close()

    assert results[:3] == [True, True, True]
    assert isinstance(results[3], MalformedEvent)
    assert results[4:] == [True, True]
    assert sorted(event.event_id for event in await stored_events(database)) == sorted(
        event.event_id for event in good
    )
    assert len(await outbox_envelopes(database)) == len(good)
