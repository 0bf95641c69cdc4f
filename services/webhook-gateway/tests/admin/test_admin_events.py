"""Operators list, inspect and replay stored events with the admin token, and nobody else can."""

from __future__ import annotations

import os

import httpx
import pytest
from sqlalchemy import func, update

from finhub_shared.db import Database
from webhook_gateway.database import OutboxMessage

from ..factories import pluggy_delivery, pluggy_event, signed, stripe_event
from ..stored import outbox_envelopes


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}


async def deliver(client: httpx.AsyncClient, event_type: str) -> None:
    body, headers = signed(stripe_event(event_type))
    assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}]
)
async def test_admin_endpoints_need_the_admin_token(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/admin/events"),
        ("GET", "/admin/events/00000000-0000-0000-0000-000000000000"),
        ("POST", "/admin/events/00000000-0000-0000-0000-000000000000/replay"),
        ("POST", "/admin/events/replay"),
    ]:
        response = await client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"


@pytest.mark.asyncio
async def test_events_are_listed_newest_first_filtered_and_paginated(
    webhooks: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    for event_type in ("invoice.paid", "invoice.paid", "customer.updated"):
        await deliver(webhooks, event_type)
    body, headers = pluggy_delivery(pluggy_event())
    await webhooks.post("/webhooks/pluggy", content=body, headers=headers)

    everything = (await client.get("/admin/events", headers=admin())).json()
    invoices = (
        await client.get("/admin/events?source=stripe&type=invoice.paid", headers=admin())
    ).json()
    first = (await client.get("/admin/events?limit=2", headers=admin())).json()
    rest = (
        await client.get(f"/admin/events?limit=2&cursor={first['next_cursor']}", headers=admin())
    ).json()

    received = [item["received_at"] for item in everything["items"]]
    assert received == sorted(received, reverse=True)
    assert len(everything["items"]) == 4
    assert [item["event_type"] for item in invoices["items"]] == ["invoice.paid", "invoice.paid"]
    assert rest["next_cursor"] is None
    paged_ids = [item["id"] for item in first["items"] + rest["items"]]
    assert paged_ids == [item["id"] for item in everything["items"]]


@pytest.mark.asyncio
async def test_each_event_says_whether_it_is_queued_published_or_ignored(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    await deliver(webhooks, "invoice.voided")
    body, headers = signed(stripe_event("issuing_card.created", data_object={"object": "x"}))
    await webhooks.post("/webhooks/stripe", content=body, headers=headers)
    async with database.transaction() as session:  # the relay published the voided one
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.routing_key == "stripe.invoice.voided")
            .values(published_at=func.now())
        )

    listed = (await client.get("/admin/events", headers=admin())).json()["items"]
    queued = (await client.get("/admin/events?status=queued", headers=admin())).json()["items"]
    published = (await client.get("/admin/events?status=published", headers=admin())).json()

    status_of = {item["event_type"]: item["status"] for item in listed}
    assert status_of == {
        "invoice.paid": "queued",
        "invoice.voided": "published",
        "issuing_card.created": "ignored",
    }
    assert [item["event_type"] for item in queued] == ["invoice.paid"]
    assert [item["event_type"] for item in published["items"]] == ["invoice.voided"]
    assert published["items"][0]["published_at"] is not None


@pytest.mark.asyncio
async def test_a_bad_cursor_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/events?cursor=not-a-cursor", headers=admin())

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.asyncio
async def test_one_event_shows_its_body_and_headers_without_secrets(
    webhooks: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    body, headers = signed(stripe_event("invoice.paid"))
    await webhooks.post("/webhooks/stripe", content=body, headers=headers | {"X-Trace": "abc"})
    [summary] = (await client.get("/admin/events", headers=admin())).json()["items"]

    detail = (await client.get(f"/admin/events/{summary['id']}", headers=admin())).json()

    assert detail["body"] == body.decode()
    assert detail["headers"]["x-trace"] == "abc"
    assert "stripe-signature" not in detail["headers"]
    assert detail["api_version"] == "2026-10-28.endive"


@pytest.mark.asyncio
async def test_an_unknown_event_id_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/admin/events/5f1d7c1e-0000-4000-8000-000000000000", headers=admin()
    )

    assert response.status_code == 404
    assert response.json()["code"] == "event_not_found"


@pytest.mark.asyncio
async def test_replaying_one_event_queues_it_again_under_its_own_id(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    [summary] = (await client.get("/admin/events", headers=admin())).json()["items"]

    response = await client.post(f"/admin/events/{summary['id']}/replay", headers=admin())

    assert response.json() == {"replayed": 1}
    first, again = await outbox_envelopes(database)
    assert again["id"] == first["id"] == summary["event_id"]
    assert again["data"] == first["data"]


@pytest.mark.asyncio
async def test_replaying_by_filter_queues_every_match(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    for event_type in ("invoice.paid", "invoice.paid", "customer.updated"):
        await deliver(webhooks, event_type)

    response = await client.post(
        "/admin/events/replay", json={"type": "invoice.paid"}, headers=admin()
    )

    assert response.json() == {"replayed": 2}
    assert len(await outbox_envelopes(database)) == 5
