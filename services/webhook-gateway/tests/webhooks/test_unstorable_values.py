"""Authentic deliveries carrying values PostgreSQL or Python cannot hold are malformed (400), not a
storage failure (503, retried forever) or a crash (500); events delivered alongside are stored."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from finhub_shared.db import Database

from ..factories import pluggy_delivery, pluggy_event, signed, stripe_event
from ..stored import outbox_envelopes, stored_events

STRIPE_EVENTS: dict[str, dict[str, Any]] = {
    "NUL in the id": stripe_event(event_id="evt_1\x00"),
    "lone surrogate in the id": stripe_event(event_id="evt_1\ud800"),
    "NUL in the type": stripe_event("invoice.paid\x00"),
    "lone surrogate in the type": stripe_event("customer.\udfff"),
    "created past year 9999": stripe_event(created=253_402_300_800),
    "created past any integer column": stripe_event(created=10**30),
}

PLUGGY_EVENTS: dict[str, dict[str, Any]] = {
    "NUL in the eventId": pluggy_event(eventId="a\x00b"),
    "lone surrogate in the eventId": pluggy_event(eventId="\ud83d"),
    "NUL in the event": pluggy_event(event="item/updated\x00"),
    "lone surrogate in the event": pluggy_event(event="item/\udc00"),
}


async def deliver_stripe(client: httpx.AsyncClient, event: dict[str, Any]) -> httpx.Response:
    body, headers = signed(json.dumps(event).encode())  # lone surrogates travel as \ud800 escapes
    return await client.post("/webhooks/stripe", content=body, headers=headers)


async def deliver_pluggy(client: httpx.AsyncClient, event: dict[str, Any]) -> httpx.Response:
    body, headers = pluggy_delivery(json.dumps(event).encode())
    return await client.post("/webhooks/pluggy", content=body, headers=headers)


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


@pytest.mark.asyncio
async def test_unstorable_events_are_malformed_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database
) -> None:
    stripe = {name: code_of(await deliver_stripe(client, e)) for name, e in STRIPE_EVENTS.items()}
    pluggy = {name: code_of(await deliver_pluggy(client, e)) for name, e in PLUGGY_EVENTS.items()}

    assert stripe | pluggy == dict.fromkeys(
        [*STRIPE_EVENTS, *PLUGGY_EVENTS], (400, "malformed_event")
    )
    assert (await stored_events(database), await outbox_envelopes(database)) == ([], [])


@pytest.mark.asyncio
async def test_the_latest_representable_created_time_is_accepted(client: httpx.AsyncClient) -> None:
    response = await deliver_stripe(client, stripe_event(created=253_402_300_799))

    assert response.json() == {"received": True, "duplicate": False, "ignored": False}


@pytest.mark.asyncio
async def test_events_delivered_together_with_unstorable_ones_are_stored(
    client: httpx.AsyncClient, database: Database
) -> None:
    good = [stripe_event() for _ in range(5)]

    responses = await asyncio.gather(
        *(deliver_stripe(client, event) for event in [*STRIPE_EVENTS.values(), *good])
    )

    assert [r.status_code for r in responses] == [400] * len(STRIPE_EVENTS) + [200] * len(good)
    stored = sorted(event.event_id for event in await stored_events(database))
    assert stored == sorted(event["id"] for event in good)
