"""Hostile filters, cursors, ids and replay bodies get a 4xx with a stable code; nothing changes."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from finhub_shared.db import Database

from ..factories import signed, stripe_event
from ..stored import outbox_envelopes, stored_events
from .test_admin_events import admin, deliver

SOME_ID = "5f1d7c1e-0000-4000-8000-000000000000"
INVALID = (422, "validation_error")
BAD_CURSOR = (400, "invalid_cursor")
REVERSED_RANGE = (400, "invalid_date_range")


def cursor(date: str, stored_id: str = SOME_ID, **more: str) -> str:
    """A cursor as `KeysetCursor` writes them, around any values."""
    payload = {"date": date, "id": stored_id, **more}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


async def answer(response: httpx.Response) -> tuple[int, str]:
    """The status and the stable code of an error answer (which must also say why)."""
    body = response.json()
    assert isinstance(body["message"], str), body
    assert body["message"]
    return response.status_code, body["code"]


BAD_QUERIES = {
    # text PostgreSQL cannot compare with (NUL), or that selects nothing on purpose
    "type=%00": INVALID,
    "type=invoice.paid%00": INVALID,
    "type=": INVALID,
    "type=" + "x" * 256: INVALID,
    "source=": INVALID,
    "source=paypal": INVALID,
    "source=STRIPE": INVALID,
    "status=delivered": INVALID,
    "fate=lost": INVALID,
    "fate=": INVALID,
    # limits
    "limit=0": INVALID,
    "limit=-1": INVALID,
    "limit=501": INVALID,
    "limit=99999999999999999999999999": INVALID,
    "limit=ten": INVALID,
    "limit=1.5": INVALID,
    # dates: no such instant in UTC, no zone, past year 9999, garbage, a range that ends first
    "received_from=0001-01-01T00:00:00%2B05:00": INVALID,
    "received_to=9999-12-31T23:59:59-05:00": INVALID,
    "received_from=2026-01-01T00:00:00": INVALID,
    "received_from=2026-01-01": INVALID,
    "received_from=1796083200": INVALID,
    "received_from=10000-01-01T00:00:00Z": INVALID,
    "received_from=%00": INVALID,
    "received_from=%ED%A0%80": INVALID,
    "received_to=1e400": INVALID,
    "received_from=2027-01-01T00:00:00Z&received_to=2026-01-01T00:00:00Z": REVERSED_RANGE,
    # cursors: tampered, garbage, empty, or pointing at no instant in UTC
    "cursor=": BAD_CURSOR,
    "cursor=%00": BAD_CURSOR,
    "cursor=%ED%A0%80": BAD_CURSOR,
    "cursor=====": BAD_CURSOR,
    "cursor=" + "A" * 10_000: BAD_CURSOR,
    "cursor=" + base64.urlsafe_b64encode(b"\xff\xfe|x").decode(): BAD_CURSOR,
    "cursor=" + cursor("0001-01-01T00:00:00+05:00"): BAD_CURSOR,
    "cursor=" + cursor("9999-12-31T23:59:59-05:00"): BAD_CURSOR,
    "cursor=" + cursor("2026-01-01T00:00:00"): BAD_CURSOR,
    "cursor=" + cursor("2026-01-01T00:00:00+00:00", x="x"): BAD_CURSOR,
    "cursor=" + cursor("2026-01-01T00:00:00+00:00", "not-a-uuid"): BAD_CURSOR,
}


@pytest.mark.asyncio
async def test_hostile_query_strings_get_a_4xx_with_a_stable_code(
    webhooks: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    await deliver(webhooks, "invoice.paid")

    answers = {
        query: await answer(await client.get(f"/admin/events?{query}", headers=admin()))
        for query in BAD_QUERIES
    }

    assert answers == BAD_QUERIES


@pytest.mark.asyncio
async def test_a_lone_surrogate_in_a_raw_query_string_matches_nothing(
    webhooks: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    await deliver(webhooks, "invoice.paid")

    response = await client.get("/admin/events?type=%ED%A0%80", headers=admin())

    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.asyncio
async def test_a_range_in_another_zone_means_the_same_instants(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await deliver(webhooks, "invoice.paid")
    [event] = (await client.get("/admin/events", headers=admin())).json()["items"]
    received = datetime.fromisoformat(event["received_at"]).astimezone(
        timezone(-timedelta(hours=3))
    )
    a_second_later = (received + timedelta(seconds=1)).isoformat()

    inside = await client.get(
        "/admin/events",
        params={"received_from": received.isoformat(), "received_to": a_second_later},
        headers=admin(),
    )
    after = await client.get(
        "/admin/events", params={"received_from": a_second_later}, headers=admin()
    )

    assert [item["id"] for item in inside.json()["items"]] == [event["id"]]
    assert after.json()["items"] == []


BAD_IDS = {
    "/admin/events/not-a-uuid": INVALID,
    "/admin/events/%00": INVALID,
    "/admin/events/%ED%A0%80": INVALID,
    "/admin/events/" + "1" * 10_000: INVALID,
    f"/admin/events/{SOME_ID}": (404, "event_not_found"),
}


@pytest.mark.asyncio
async def test_ids_in_paths_that_are_not_stored_event_ids_get_a_4xx(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    before = await outbox_envelopes(database)

    details = {path: await answer(await client.get(path, headers=admin())) for path in BAD_IDS}
    replays = {
        path: await answer(await client.post(f"{path}/replay", headers=admin())) for path in BAD_IDS
    }

    assert details == BAD_IDS
    assert replays == BAD_IDS
    assert await outbox_envelopes(database) == before


BAD_REPLAY_BODIES: dict[bytes, tuple[int, str]] = {
    b'{"type": "\\u0000"}': INVALID,
    b'{"type": "invoice.paid\\u0000"}': INVALID,
    b'{"type": "\\ud800"}': INVALID,
    b'{"source": "\\udfff"}': INVALID,
    b'{"type": ""}': INVALID,  # would have meant "every type"
    b'{"event_type": "nothing"}': INVALID,  # a misspelt field, not "all"
    b'{"type": 1}': INVALID,
    b'{"type": ["invoice.paid"]}': INVALID,
    b'{"source": "paypal"}': INVALID,
    b'{"status": "delivered"}': INVALID,
    b'{"received_from": "0001-01-01T00:00:00+05:00"}': INVALID,
    b'{"received_to": "9999-12-31T23:59:59-05:00"}': INVALID,
    b'{"received_from": "2026-01-01T00:00:00"}': INVALID,
    b'{"received_from": "\\u0000"}': INVALID,
    b'{"received_from": 99999999999999999999999}': INVALID,
    b'{"received_from": 1e308}': INVALID,
    b'{"received_from": 0.025}': INVALID,  # not seconds since 1970: not a time at all
    b'{"received_from": "1796083200"}': INVALID,
    b'{"received_from": "2027-01-01T00:00Z", "received_to": "2026-01-01T00:00Z"}': REVERSED_RANGE,
    b'{"type": "' + b"x" * 100_000 + b'"}': INVALID,
    b"[]": INVALID,
    b"null": INVALID,
    b'"everything"': INVALID,
    b"": INVALID,
    b"{": INVALID,
    b"\xff\xfe": INVALID,
}


@pytest.mark.asyncio
async def test_hostile_replay_filters_get_a_4xx_and_queue_nothing(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    before = (await stored_events(database), await outbox_envelopes(database))

    answers = {
        body: await answer(
            await client.post(
                "/admin/events/replay",
                content=body,
                headers=admin() | {"Content-Type": "application/json"},
            )
        )
        for body in BAD_REPLAY_BODIES
    }

    assert answers == BAD_REPLAY_BODIES
    after = (await stored_events(database), await outbox_envelopes(database))
    assert [len(rows) for rows in after] == [len(rows) for rows in before] == [1, 1]


@pytest.mark.asyncio
async def test_an_event_of_an_ignored_type_is_not_replayed(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    # A type the gateway does not route, as long as a type may be: "stripe." + it fits no key.
    body, headers = signed(stripe_event("x" * 255, data_object={"object": "x"}))
    await webhooks.post("/webhooks/stripe", content=body, headers=headers)
    [event] = (await client.get("/admin/events", headers=admin())).json()["items"]

    response = await client.post(f"/admin/events/{event['id']}/replay", headers=admin())

    assert (response.status_code, response.json()["code"]) == (409, "event_ignored")
    assert await outbox_envelopes(database) == []


@pytest.mark.asyncio
async def test_replaying_by_filter_leaves_ignored_events_out(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    body, headers = signed(stripe_event("issuing_card.created", data_object={"object": "x"}))
    await webhooks.post("/webhooks/stripe", content=body, headers=headers)

    everything = await client.post("/admin/events/replay", json={}, headers=admin())
    ignored = await client.post("/admin/events/replay", json={"status": "ignored"}, headers=admin())

    assert (everything.json(), ignored.json()) == ({"replayed": 1}, {"replayed": 0})
    routing_keys = [envelope["_routing_key"] for envelope in await outbox_envelopes(database)]
    assert routing_keys == ["stripe.invoice.paid", "stripe.invoice.paid"]
