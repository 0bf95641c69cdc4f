"""POST /webhooks/pluggy: authentication that fails closed, then size, structure, dedupe, limits."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from finhub_shared.catalogue import ROUTES, Route
from finhub_shared.db import Database

from ..factories import pluggy_delivery, pluggy_event, pluggy_secret
from ..stored import outbox_envelopes, stored_events

GatewayWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks/pluggy", content=body, headers=headers)


@pytest.mark.asyncio
async def test_an_authenticated_event_is_stored_and_queued(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = "0d9f8e7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
    payload = pluggy_event("transactions/created", clientUserId=company_id)
    body, headers = pluggy_delivery(payload)

    response = await post(client, body, headers)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "ignored": False}
    [stored] = await stored_events(database)
    assert stored.raw_body == body
    assert stored.event_id == payload["eventId"]
    assert "x-webhook-secret" not in {name.lower() for name in stored.headers}
    [envelope] = await outbox_envelopes(database)
    assert envelope["_routing_key"] == "pluggy.transactions.created"
    assert envelope["type"] == "transactions/created"
    assert envelope["company_id"] == company_id
    assert envelope["data"] == payload


@pytest.mark.asyncio
@pytest.mark.parametrize("secret", [None, "", "wrong"])
async def test_without_the_secret_header_the_answer_is_401_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database, secret: str | None
) -> None:
    body, headers = pluggy_delivery(pluggy_event())
    if secret is None:
        del headers["X-Webhook-Secret"]
    else:
        headers["X-Webhook-Secret"] = secret

    response = await post(client, body, headers)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_a_prefix_of_the_secret_is_not_the_secret(client: httpx.AsyncClient) -> None:
    body, headers = pluggy_delivery(pluggy_event(), secret=pluggy_secret()[:-1])

    assert (await post(client, body, headers)).status_code == 401


@pytest.mark.asyncio
async def test_the_secret_can_be_rotated_with_both_accepted_meanwhile(
    gateway_with: GatewayWith,
) -> None:
    async with gateway_with(PLUGGY_WEBHOOK_SECRET=f"new-secret-value,{pluggy_secret()}") as client:
        for secret in ("new-secret-value", pluggy_secret()):
            assert (
                await post(client, *pluggy_delivery(pluggy_event(), secret=secret))
            ).status_code == 200
        refused = await post(client, *pluggy_delivery(pluggy_event(), secret="old-retired"))
    assert refused.status_code == 401


@pytest.mark.asyncio
async def test_an_event_of_another_pluggy_application_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await post(client, *pluggy_delivery(pluggy_event(clientId="someone-else")))

    assert response.status_code == 401
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_an_event_without_client_id_is_accepted(client: httpx.AsyncClient) -> None:
    payload = pluggy_event()
    del payload["clientId"]

    assert (await post(client, *pluggy_delivery(payload))).status_code == 200


@pytest.mark.asyncio
async def test_with_an_allowlist_only_listed_addresses_get_in(gateway_with: GatewayWith) -> None:
    # The test client connects from 203.0.113.7.
    async with gateway_with(PLUGGY_WEBHOOK_ALLOWED_CIDRS="198.51.100.0/24") as client:
        refused = await post(client, *pluggy_delivery(pluggy_event()))
    async with gateway_with(PLUGGY_WEBHOOK_ALLOWED_CIDRS="203.0.113.0/24, 10.0.0.0/8") as client:
        admitted = await post(client, *pluggy_delivery(pluggy_event()))

    assert refused.status_code == 403
    assert refused.json()["code"] == "source_not_allowed"
    assert admitted.status_code == 200


@pytest.mark.asyncio
async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    gateway_with: GatewayWith,
) -> None:
    body, headers = pluggy_delivery(pluggy_event())
    spoofed = headers | {"X-Forwarded-For": "177.71.238.212"}
    async with gateway_with(PLUGGY_WEBHOOK_ALLOWED_CIDRS="177.71.238.212/32") as client:
        untrusted = await post(client, body, spoofed)
    async with gateway_with(
        PLUGGY_WEBHOOK_ALLOWED_CIDRS="177.71.238.212/32", TRUSTED_PROXY_CIDRS="203.0.113.0/24"
    ) as client:
        trusted = await post(client, body, spoofed)
        # The proxy saw 6.6.6.6 connect; what that client wrote before it proves nothing.
        forged_chain = await post(
            client, body, headers | {"X-Forwarded-For": "177.71.238.212, 6.6.6.6"}
        )

    assert untrusted.status_code == 403
    assert trusted.status_code == 200
    assert forged_chain.status_code == 403


@pytest.mark.asyncio
async def test_a_body_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    payload = pluggy_event(padding="x" * (1024 * 1024))

    response = await post(client, *pluggy_delivery(payload))

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("payload_change", "missing"),
    [
        ({"eventId": None}, "eventId"),
        ({"event": ""}, "event"),
        ({"itemId": None}, "itemId"),
        ({"event": "transactions/deleted", "transactionIds": []}, "transactionIds"),
        ({"event": "payment_intent/completed"}, "paymentIntentId"),
    ],
)
async def test_an_event_without_the_ids_it_must_carry_is_malformed(
    client: httpx.AsyncClient, payload_change: dict[str, object], missing: str
) -> None:
    payload = {**pluggy_event("item/updated"), **payload_change}
    if payload_change.get("event") == "transactions/deleted":
        payload["accountId"] = "acc-1"

    response = await post(client, *pluggy_delivery(payload))

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert missing in response.json()["message"]


@pytest.mark.asyncio
@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null"])
async def test_a_body_that_is_not_a_json_object_is_malformed(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await post(client, *pluggy_delivery(body))

    assert response.json()["code"] == "malformed_event"


@pytest.mark.asyncio
async def test_a_redelivery_is_a_duplicate(client: httpx.AsyncClient, database: Database) -> None:
    body, headers = pluggy_delivery(pluggy_event())

    await post(client, body, headers)
    again = await post(client, body, headers)

    assert again.json()["duplicate"] is True
    assert len(await outbox_envelopes(database)) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "route",
    [route for route in ROUTES if route.source == "pluggy"],
    ids=lambda route: route.event_type,
)
async def test_every_routed_event_is_queued_under_its_routing_key(
    client: httpx.AsyncClient, database: Database, route: Route
) -> None:
    payload = pluggy_event(route.event_type) | dict.fromkeys(route.pluggy_fields, "id-1")
    if "transactionIds" in route.pluggy_fields:
        payload["transactionIds"] = ["tx-1"]

    response = await post(client, *pluggy_delivery(payload))

    assert response.json()["ignored"] is False
    [envelope] = await outbox_envelopes(database)
    assert envelope["_routing_key"] == route.routing_key


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "event",
    ["boleto/updated", "smart_transfer_payment/completed", "investments/created"],
)
async def test_an_event_no_service_handles_is_stored_as_ignored(
    client: httpx.AsyncClient, database: Database, event: str
) -> None:
    response = await post(client, *pluggy_delivery(pluggy_event(event)))

    assert response.json()["ignored"] is True
    assert [event.status for event in await stored_events(database)] == ["ignored"]
    assert await outbox_envelopes(database) == []


@pytest.mark.asyncio
async def test_over_the_rate_limit_the_answer_is_429(gateway_with: GatewayWith) -> None:
    async with gateway_with(WEBHOOK_RATE_LIMIT_PER_SOURCE_PER_MINUTE="2") as client:
        codes = [
            (await post(client, *pluggy_delivery(pluggy_event()))).status_code for _ in range(3)
        ]

    assert codes == [200, 200, 429]
