"""The worker stores each event of the contract once, numbered per company; an event that breaks
the contract is parked in the dead-letter queue at once and never reaches a stream."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from finhub_shared.bus import Publisher, dead_letter_queue_name, peek
from finhub_shared.db import Database
from finhub_shared.events import new_event, utcnow
from live.consumer import SUBSCRIPTIONS
from live.events.jobs import prune_old_events
from live.events.models import LiveEvent
from live.events.schemas import CONTRACTS
from live.runtime import Runtime

from ..conftest import Publish, notification
from ..stored import stored, stored_soon

DLQ = dead_letter_queue_name(SUBSCRIPTIONS[0].queue.name)
ITEM, SYNC, ACCOUNT, PAYMENT = (str(uuid.uuid4()) for _ in range(4))

# One valid example of every event of the contract.
EXAMPLES: dict[str, dict[str, Any]] = {
    "banking.item.status_changed": {
        "item_id": ITEM,
        "connector_name": "Pluggy Bank",
        "status": "UPDATING",
        "next_action": "wait_for_bank",
        "message": "Pluggy is fetching data from the bank.",
    },
    "banking.item.mfa_required": {
        "item_id": ITEM,
        "connector_name": "Pluggy Bank",
        "prompt": {
            "name": "token",
            "label": "Token",
            "type": "select",
            "options": [{"value": "sms", "label": "SMS"}],
        },
        "expires_at": "2026-12-06T12:02:00+00:00",
    },
    "banking.item.mfa_expired": {
        "item_id": ITEM,
        "connector_name": "Pluggy Bank",
        "retry_path": f"/api/banking/items/{ITEM}/reconnect",
        "message": "The bank's code expired; reconnect to get a new one.",
    },
    "banking.sync.progress": {
        "sync_id": SYNC,
        "item_id": ITEM,
        "account_id": ACCOUNT,
        "account_name": "Conta corrente",
        "transactions_stored": 500,
        "transactions_total": 1200,
    },
    "banking.sync.finished": {
        "sync_id": SYNC,
        "item_id": ITEM,
        "accounts": 2,
        "transactions_stored": 1200,
    },
    "banking.sync.failed": {
        "sync_id": SYNC,
        "item_id": ITEM,
        "reason": "provider_unavailable",
        "message": "The bank is not answering; the sync will be retried.",
        "retried_at": "2026-12-06T12:10:00+00:00",
    },
    "banking.pix.payment_status_changed": {
        "payment_id": PAYMENT,
        "kind": "scheduled",
        "status": "COMPLETED",
        "previous_status": "SCHEDULED",
        "amount_cents": 12_345,
        "scheduled_for": "2026-12-07T00:00:00+00:00",
        "message": "Paid.",
    },
    "banking.insight.created": {
        "insight_id": str(uuid.uuid4()),
        "kind": "low_balance",
        "severity": "action",
        "title": "Saldo baixo à vista",
        "message": "A conta deve ficar abaixo de R$ 0,00 em 12/01/2027.",
        "account_id": ACCOUNT,
        "link": "/api/banking/insights/x",
    },
    "billing.notification.created": notification(),
    "billing.session.revoked": {"user_id": str(uuid.uuid4()), "session_id": None},
}


async def parked(message_id: str) -> str | None:
    """The reason the DLQ gives for this message, once it is there."""
    async with asyncio.timeout(10):
        while True:
            letters = await peek(os.environ["AMQP_URL"], DLQ, limit=100)
            for letter in letters:
                if letter.message_id == message_id:
                    return letter.reason
            await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_every_event_of_the_contract_is_stored_in_order_under_its_name(
    database: Database, publish: Publish
) -> None:
    company_id = uuid.uuid4()
    assert set(EXAMPLES) == set(CONTRACTS)
    for routing_key, data in EXAMPLES.items():
        await publish(routing_key, data, company_id)

    events = await stored_soon(database, company_id, len(EXAMPLES))

    assert [event.seq for event in events] == list(range(1, len(EXAMPLES) + 1))
    assert [event.type for event in events] == [c.name for c in CONTRACTS.values()]
    assert [event.shown for event in events] == [True] * (len(EXAMPLES) - 1) + [False]


@pytest.mark.asyncio
async def test_a_redelivered_event_is_stored_once(database: Database, worker: Runtime) -> None:
    company_id = uuid.uuid4()
    envelope = new_event("billing", "notification.created", notification(), company_id=company_id)
    publisher = Publisher(os.environ["AMQP_URL"])
    await publisher.connect()
    try:
        for _ in range(2):
            await publisher.publish_envelope(envelope)
        await publisher.publish_envelope(
            new_event("billing", "notification.created", notification(), company_id=company_id)
        )
    finally:
        await publisher.close()

    # One message at a time: once the last is stored, the redelivery was handled before it.
    events = await stored_soon(database, company_id, 2)
    assert [event.event_id for event in events][:1] == [envelope.id]
    assert [event.seq for event in events] == [1, 2]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("data", "company", "why"),
    [
        ({**EXAMPLES["banking.sync.progress"], "transactions_stored": -1}, True, "data."),
        ({k: v for k, v in EXAMPLES["banking.sync.progress"].items() if k != "item_id"}, True, ""),
        ({**EXAMPLES["banking.sync.progress"], "password": "hunter2"}, True, "data.password"),
        (EXAMPLES["banking.sync.progress"], False, "banking.sync.progress carries no company_id"),
    ],
    ids=["negative-count", "missing-id", "unknown-field", "no-company"],
)
async def test_an_event_breaking_the_contract_is_parked_at_once_and_never_shown(
    database: Database, publish: Publish, data: dict[str, Any], company: bool, why: str
) -> None:
    company_id = uuid.uuid4()
    refused = await publish("banking.sync.progress", data, company_id if company else None)
    await publish("billing.notification.created", notification(), company_id)

    [event] = await stored_soon(database, company_id, 1)
    reason = await parked(refused.id)

    assert event.type == "notification"
    assert reason is not None
    assert reason.startswith("refused: Refused: ")
    assert why in reason
    assert "hunter2" not in reason


@pytest.mark.asyncio
async def test_events_older_than_the_retention_are_pruned(
    database: Database, publish: Publish, worker: Runtime
) -> None:
    company_id = uuid.uuid4()
    for title in ("old", "kept"):
        await publish("billing.notification.created", notification(title), company_id)
    old, kept = await stored_soon(database, company_id, 2)
    hours = worker.settings.retention_hours
    async with database.transaction() as session:
        for event, age in ((old, hours + 1), (kept, hours - 1)):
            await session.execute(
                update(LiveEvent)
                .where(LiveEvent.event_id == event.event_id)
                .values(recorded_at=utcnow() - timedelta(hours=age))
            )

    await prune_old_events(worker)

    assert [e.data["title"] for e in await stored(database, company_id)] == ["kept"]
