"""The event detail shows, for each queue that binds the event, what became of it there (pending
while the queue never answered); the list filters by fate; a replay shows until handled."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..reported import outcome, record
from .test_admin_events import admin, deliver

pytestmark = pytest.mark.asyncio

ERROR = "LookupError: company [REDACTED] has no subscription row"


async def known_queues(database: Database) -> None:
    """Queues whose consumers reported on an earlier event, so they are known before this one."""
    earlier, yesterday = f"evt_{uuid.uuid4().hex}", utcnow() - timedelta(days=1)
    await record(
        database,
        outcome(earlier, "billing.stripe", "handled", yesterday),
        outcome(earlier, "billing.audit", "handled", yesterday, binding_keys=("stripe.invoice.*",)),
        outcome(earlier, "banking.pluggy", "handled", yesterday, binding_keys=("pluggy.#",)),
    )


async def received(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, event_type: str
) -> dict[str, Any]:
    """Deliver a Stripe event; the admin's summary of it."""
    await deliver(webhooks, event_type)
    newest: dict[str, Any] = (await client.get("/admin/events?limit=1", headers=admin())).json()[
        "items"
    ][0]
    assert newest["event_type"] == event_type
    return newest


async def detail(client: httpx.AsyncClient, stored_id: str) -> dict[str, Any]:
    response = await client.get(f"/admin/events/{stored_id}", headers=admin())
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def dead_letter(database: Database, event_id: str) -> None:
    """billing.stripe's consumer failed on it twice, a moment ago, and parked it."""
    now = utcnow()
    await record(
        database,
        outcome(
            event_id,
            "billing.stripe",
            "retrying",
            now - timedelta(seconds=2),
            attempts=1,
            error=ERROR,
        ),
        outcome(
            event_id,
            "billing.stripe",
            "dead_lettered",
            now - timedelta(seconds=1),
            attempts=2,
            error=ERROR,
            reason="retries exhausted",
        ),
    )


async def test_the_detail_shows_each_binding_queue_and_pending_where_none_answered(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await known_queues(database)
    event = await received(webhooks, client, "invoice.paid")

    await dead_letter(database, event["event_id"])

    fates = (await detail(client, event["id"]))["fates"]
    assert [(fate["queue"], fate["service"], fate["state"]) for fate in fates] == [
        ("billing.audit", "billing", "pending"),
        ("billing.stripe", "billing", "dead_lettered"),
    ]
    pending, parked = fates
    assert (pending["at"], pending["history"]) == (None, [])
    assert (parked["attempts"], parked["last_error"], parked["reason"]) == (
        2,
        ERROR,
        "retries exhausted",
    )
    assert [step["state"] for step in parked["history"]] == ["retrying", "dead_lettered"]
    assert parked["history"][0]["error"] == ERROR


async def test_a_queue_first_heard_of_after_the_event_is_not_expected_of_it(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    event = await received(webhooks, client, "invoice.paid")
    later = f"evt_{uuid.uuid4().hex}"
    soon = utcnow() + timedelta(minutes=1)

    await record(database, outcome(later, "billing.stripe", "handled", soon))

    assert (await detail(client, event["id"]))["fates"] == []


async def test_the_list_filters_events_by_their_fate_on_any_queue(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await known_queues(database)
    parked = await received(webhooks, client, "invoice.paid")
    handled = await received(webhooks, client, "customer.updated")
    await dead_letter(database, parked["event_id"])
    await record(database, outcome(handled["event_id"], "billing.stripe", "handled", utcnow()))

    async def listed(fate: str) -> list[str]:
        page = (await client.get(f"/admin/events?fate={fate}", headers=admin())).json()
        return [item["event_id"] for item in page["items"]]

    assert await listed("dead_lettered") == [parked["event_id"]]
    assert await listed("handled") == [handled["event_id"]]
    # billing.audit binds stripe.invoice.* only: customer.updated is expected of no one else.
    assert await listed("pending") == [parked["event_id"]]
    assert await listed("retrying") == []


async def test_a_replay_from_the_admin_shows_as_replayed_until_the_queue_handles_it(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await known_queues(database)
    event = await received(webhooks, client, "invoice.paid")
    await dead_letter(database, event["event_id"])

    replayed = await client.post(f"/admin/events/{event['id']}/replay", headers=admin())
    assert replayed.status_code == 200, replayed.text
    after_replay = {fate["queue"]: fate for fate in (await detail(client, event["id"]))["fates"]}
    await record(
        database,
        outcome(event["event_id"], "billing.stripe", "handled", utcnow() + timedelta(seconds=1)),
    )
    after_handling = {fate["queue"]: fate for fate in (await detail(client, event["id"]))["fates"]}

    assert after_replay["billing.stripe"]["state"] == "replayed"
    assert after_replay["billing.stripe"]["reason"] == "replayed by an operator"
    assert after_replay["billing.audit"]["state"] == "pending"  # it never gave up on it
    handled = after_handling["billing.stripe"]
    assert handled["state"] == "handled"
    assert [step["state"] for step in handled["history"]] == [
        "retrying",
        "dead_lettered",
        "replayed",
        "handled",
    ]


async def test_every_event_dead_lettered_somewhere_can_be_replayed_at_once(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await known_queues(database)
    parked = await received(webhooks, client, "invoice.paid")
    handled = await received(webhooks, client, "invoice.voided")
    await dead_letter(database, parked["event_id"])
    await record(database, outcome(handled["event_id"], "billing.stripe", "handled", utcnow()))

    replay = await client.post(
        "/admin/events/replay", json={"fate": "dead_lettered"}, headers=admin()
    )

    assert replay.status_code == 200, replay.text
    assert replay.json() == {"replayed": 1}
    assert billing_state(await detail(client, parked["id"])) == "replayed"
    assert billing_state(await detail(client, handled["id"])) == "handled"


def billing_state(event: dict[str, Any]) -> str:
    [state] = [fate["state"] for fate in event["fates"] if fate["queue"] == "billing.stripe"]
    return state
