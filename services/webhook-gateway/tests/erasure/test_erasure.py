"""A deleted company's webhooks are purged: Stripe's naming it or its customer on billing's
request, Pluggy's naming it or its items on banking's confirmation; another company's stay,
and billing is told once, when both parts are done. Their fates keep their states and times but
no error or reason, also those reported after the erasure."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select, text, update

from finhub_shared.bus.outcomes import Outcomes
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event, utcnow
from finhub_shared.inbox import inbox_dispatcher
from webhook_gateway import consumer
from webhook_gateway.config import get_settings
from webhook_gateway.database import InboxEvent, OutboxMessage
from webhook_gateway.erasure.jobs import purge_late_webhooks
from webhook_gateway.fates import service as fates
from webhook_gateway.fates.models import EventFate
from webhook_gateway.main import create_admin_app
from webhook_gateway.registries import privacy_events
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks.models import WebhookEvent

from ..factories import pluggy_delivery, pluggy_event, signed, stripe_event
from ..reported import outcome, record
from ..stored import outbox_envelopes, stored_events

pytestmark = pytest.mark.asyncio

assert consumer.SUBSCRIPTIONS  # its handlers registered

COMPANY = uuid.uuid4()
OTHER = uuid.uuid4()
QUEUE = "billing.stripe"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PARKED = T0 + timedelta(seconds=11)
# What a consumer's error can say about whom an event was about.
ERROR = "LookupError: no subscription for cus_gone (ana@example.com)"
REASON = "refused: customer cus_gone unknown"


async def stripe_webhook(client: httpx.AsyncClient, customer: str, **metadata: str) -> str:
    """A Stripe subscription event of `customer` received; its event id."""
    subscription: dict[str, Any] = {"object": "subscription", "id": f"sub_{uuid.uuid4().hex}"}
    subscription |= {"customer": customer, "metadata": metadata}
    event = stripe_event("customer.subscription.updated", data_object=subscription)
    body, headers = signed(event)
    assert (await client.post("/webhooks/stripe", content=body, headers=headers)).is_success
    event_id: str = event["id"]
    return event_id


async def pluggy_webhook(client: httpx.AsyncClient, item_id: str, **fields: Any) -> str:
    """A Pluggy item event received; its event id."""
    payload = pluggy_event("item/updated", itemId=item_id, **fields)
    body, headers = pluggy_delivery(payload)
    assert (await client.post("/webhooks/pluggy", content=body, headers=headers)).is_success
    event_id: str = payload["eventId"]
    return event_id


async def handle(database: Database, envelope: EventEnvelope) -> None:
    """Deliver an event as the gateway's worker does (queue webhook-gateway.privacy)."""
    runtime = Runtime(settings=get_settings(), database=database)
    consumer = "webhook-gateway.privacy"
    await inbox_dispatcher(runtime, InboxEvent, consumer, privacy_events)(envelope)


def deletion_requested(deletion_id: uuid.UUID, customer: str | None) -> EventEnvelope:
    data = {"deletion_id": str(deletion_id), "company_id": str(COMPANY)}
    return new_event(
        "billing", "company.deletion_requested", data | {"stripe_customer_id": customer}
    )


def banking_erased(deletion_id: uuid.UUID, items: list[str]) -> EventEnvelope:
    data = {"deletion_id": str(deletion_id), "company_id": str(COMPANY), "pluggy_item_ids": items}
    return new_event("banking", "company.erased", data, company_id=COMPANY)


async def bodies(database: Database) -> dict[str, tuple[str, bytes]]:
    return {
        event.event_id: (event.status, event.raw_body) for event in await stored_events(database)
    }


async def mark_published(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(update(OutboxMessage).values(published_at=utcnow()))


async def admin_detail(stored_id: uuid.UUID) -> dict[str, Any]:
    """The event as the operator's admin API shows it."""
    admin_app = create_admin_app()
    async with LifespanManager(admin_app):
        transport = httpx.ASGITransport(app=admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as operator:
            shown = await operator.get(
                f"/admin/events/{stored_id}",
                headers={"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"},
            )
    assert shown.status_code == 200
    detail: dict[str, Any] = shown.json()
    return detail


async def fates_shown(database: Database, event_id: str) -> list[dict[str, Any]]:
    """The event's fates in its admin detail, their times read."""
    [stored] = [event for event in await stored_events(database) if event.event_id == event_id]
    return [
        fate
        | {"at": datetime.fromisoformat(fate["at"])}
        | {
            "history": [
                step | {"at": datetime.fromisoformat(step["at"])} for step in fate["history"]
            ]
        }
        for fate in (await admin_detail(stored.id))["fates"]
    ]


def dead_lettered(event_id: str) -> list[EventEnvelope]:
    """`event_id` failing on QUEUE until parked, and ignored by banking.audit."""
    return [
        outcome(event_id, QUEUE, "retrying", T0, attempts=1, error=ERROR),
        outcome(
            event_id,
            QUEUE,
            "dead_lettered",
            PARKED,
            attempts=3,
            error=ERROR,
            reason=REASON,
        ),
        outcome(event_id, "banking.audit", "ignored", T0, reason="no_handler"),
    ]


def fates_of_dead_lettered(*, texts: bool) -> list[dict[str, Any]]:
    """What the admin shows of `dead_lettered`'s fates, with or without their texts."""
    error, reason = (ERROR, REASON) if texts else (None, None)
    no_handler = "no_handler" if texts else None
    return [
        {
            "queue": "banking.audit",
            "service": "banking",
            "state": "ignored",
            "at": T0,
            "attempts": 0,
            "last_error": None,
            "reason": no_handler,
            "history": [
                {"state": "ignored", "at": T0, "attempts": 0, "error": None, "reason": no_handler}
            ],
        },
        {
            "queue": QUEUE,
            "service": "billing",
            "state": "dead_lettered",
            "at": PARKED,
            "attempts": 3,
            "last_error": error,
            "reason": reason,
            "history": [
                {"state": "retrying", "at": T0, "attempts": 1, "error": error, "reason": None},
                {
                    "state": "dead_lettered",
                    "at": PARKED,
                    "attempts": 3,
                    "error": error,
                    "reason": reason,
                },
            ],
        },
    ]


async def confirmations(database: Database) -> list[dict[str, Any]]:
    return [
        envelope["data"]
        for envelope in await outbox_envelopes(database)
        if envelope["_routing_key"] == "gateway.company.erased"
    ]


async def test_webhooks_naming_the_company_are_purged_and_others_stay(
    client: httpx.AsyncClient, database: Database
) -> None:
    by_customer = await stripe_webhook(client, "cus_gone")
    by_metadata = await stripe_webhook(client, "cus_unknown", company_id=str(COMPANY))
    similar = await stripe_webhook(client, "cus_gone2")
    other_stripe = await stripe_webhook(client, "cus_other", company_id=str(OTHER))
    item = str(uuid.uuid4())
    by_item = await pluggy_webhook(client, item)
    by_client_user = await pluggy_webhook(client, str(uuid.uuid4()), clientUserId=str(COMPANY))
    other_pluggy = await pluggy_webhook(client, str(uuid.uuid4()), clientUserId=str(OTHER))
    before = await bodies(database)
    await mark_published(database)
    deletion_id = uuid.uuid4()

    await handle(database, deletion_requested(deletion_id, "cus_gone"))
    halfway = await confirmations(database)
    await handle(database, banking_erased(deletion_id, [item]))

    after = await bodies(database)
    purged = {by_customer, by_metadata, by_item, by_client_user}
    assert {event_id for event_id, (status, _) in after.items() if status == "erased"} == purged
    assert all(after[event_id][1] == b"{}" for event_id in purged)
    for kept in (similar, other_stripe, other_pluggy):
        assert after[kept] == before[kept]
    assert {e.event_id for e in await stored_events(database) if e.headers == {}} == purged
    relayed = {envelope["id"] for envelope in await outbox_envelopes(database)}
    assert relayed & purged == set()
    assert halfway == []
    assert await confirmations(database) == [
        {"deletion_id": str(deletion_id), "company_id": str(COMPANY), "purged": 4}
    ]


async def test_banking_confirming_first_and_redeliveries_confirm_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    deletion_id = uuid.uuid4()
    request = deletion_requested(deletion_id, None)
    erased = banking_erased(deletion_id, [])

    for envelope in (erased, erased, request, request):
        await handle(database, envelope)

    assert await confirmations(database) == [
        {"deletion_id": str(deletion_id), "company_id": str(COMPANY), "purged": 0}
    ]


async def test_a_webhook_coming_after_the_erasure_is_purged_by_the_next_run(
    client: httpx.AsyncClient, database: Database
) -> None:
    deletion_id = uuid.uuid4()
    await handle(database, deletion_requested(deletion_id, "cus_gone"))
    await handle(database, banking_erased(deletion_id, []))
    late = await stripe_webhook(client, "cus_gone")
    old = await stripe_webhook(client, "cus_old")
    async with database.transaction() as session:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.event_id == old)
            .values(raw_body=b'{"customer": "cus_old"}')
        )

    await purge_late_webhooks(Runtime(settings=get_settings(), database=database))

    after = await bodies(database)
    assert after[late] == ("erased", b"{}")
    assert after[old][0] == "routed"


async def test_an_erased_event_is_shown_without_its_body_and_never_replayed(
    client: httpx.AsyncClient, database: Database
) -> None:
    event_id = await stripe_webhook(client, "cus_gone")
    deletion_id = uuid.uuid4()
    await handle(database, deletion_requested(deletion_id, "cus_gone"))
    [stored] = await stored_events(database)
    admin = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}

    admin_app = create_admin_app()
    async with LifespanManager(admin_app):
        transport = httpx.ASGITransport(app=admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as operator:
            shown = await operator.get(f"/admin/events/{stored.id}", headers=admin)
            one = await operator.post(f"/admin/events/{stored.id}/replay", headers=admin)
            every = await operator.post("/admin/events/replay", json={}, headers=admin)

    assert shown.json()["event_id"] == event_id
    assert (shown.json()["body"], shown.json()["headers"]) == ("{}", {})
    assert (one.status_code, one.json()["code"]) == (409, "event_erased")
    assert every.json() == {"replayed": 0}


async def test_an_erased_events_fates_keep_their_states_and_lose_their_texts(
    client: httpx.AsyncClient, database: Database
) -> None:
    gone = await stripe_webhook(client, "cus_gone")
    kept = await stripe_webhook(client, "cus_other", company_id=str(OTHER))
    await record(database, *dead_lettered(gone), *dead_lettered(kept))
    deletion_id = uuid.uuid4()

    await handle(database, deletion_requested(deletion_id, "cus_gone"))
    await handle(database, banking_erased(deletion_id, []))

    assert await fates_shown(database, gone) == fates_of_dead_lettered(texts=False)
    assert await fates_shown(database, kept) == fates_of_dead_lettered(texts=True)


async def test_outcomes_reported_after_the_erasure_are_kept_without_their_texts(
    client: httpx.AsyncClient, database: Database
) -> None:
    gone = await stripe_webhook(client, "cus_gone")
    await handle(database, deletion_requested(uuid.uuid4(), "cus_gone"))

    await record(database, *dead_lettered(gone))
    # Without its reason stored, a redelivery still does not hide that banking handled it.
    await record(
        database,
        outcome(gone, "banking.stripe", "handled", T0),
        outcome(gone, "banking.stripe", "ignored", T0 + timedelta(seconds=1), reason="duplicate"),
    )

    shown = await fates_shown(database, gone)
    assert [fate for fate in shown if fate["queue"] != "banking.stripe"] == fates_of_dead_lettered(
        texts=False
    )
    [banking] = [fate for fate in shown if fate["queue"] == "banking.stripe"]
    assert (banking["state"], banking["reason"]) == ("handled", None)
    assert [step["reason"] for step in banking["history"]] == [None, None]


async def test_a_late_webhooks_fates_lose_their_texts_with_it(
    client: httpx.AsyncClient, database: Database
) -> None:
    deletion_id = uuid.uuid4()
    await handle(database, deletion_requested(deletion_id, "cus_gone"))
    await handle(database, banking_erased(deletion_id, []))
    late = await stripe_webhook(client, "cus_gone")
    await record(database, *dead_lettered(late))

    await purge_late_webhooks(Runtime(settings=get_settings(), database=database))

    assert await fates_shown(database, late) == fates_of_dead_lettered(texts=False)


async def test_an_erasure_running_while_outcomes_are_recorded_erases_their_texts(
    client: httpx.AsyncClient, database: Database
) -> None:
    gone = await stripe_webhook(client, "cus_gone")
    told = [each for envelope in dead_lettered(gone) for each in envelope.data["outcomes"]]

    async with database.transaction() as session:
        await fates.record(session, Outcomes.model_validate({"outcomes": told}).outcomes)
        erasing = asyncio.create_task(
            handle(database, deletion_requested(uuid.uuid4(), "cus_gone"))
        )
        # The erasure runs up to the recorded event's lock (or, without one, to its end).
        while not erasing.done() and not await waiting_on_a_lock(database):
            await asyncio.sleep(0.01)
    await erasing

    async with database.sessions() as session:
        texts = (await session.execute(select(EventFate.last_error, EventFate.reason))).all()
    assert texts == [(None, None), (None, None)]


async def waiting_on_a_lock(database: Database) -> bool:
    """Whether another connection to the test database waits for a lock."""
    async with database.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)
