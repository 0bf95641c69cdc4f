"""POST /webhooks/stripe: each check of the issue, in its order, with good and bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from finhub_shared.catalogue import ROUTES
from finhub_shared.db import Database

from ..factories import signed, stripe_event, stripe_secret
from ..stored import outbox_envelopes, stored_events

GatewayWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks/stripe", content=body, headers=headers)


@pytest.mark.asyncio
async def test_a_signed_event_is_stored_byte_for_byte_and_queued_for_the_bus(
    client: httpx.AsyncClient, database: Database
) -> None:
    event = stripe_event("invoice.paid", padding=2000)
    body, headers = signed(event)
    body = body.replace(b'"object": "event"', b'"object":   "event"')  # spacing Stripe may use
    body, headers = signed(body)

    response = await post(client, body, headers)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "ignored": False}
    [stored] = await stored_events(database)
    assert stored.raw_body == body
    assert (stored.source, stored.event_id, stored.event_type) == (
        "stripe",
        event["id"],
        "invoice.paid",
    )
    assert stored.status == "routed"
    assert "stripe-signature" not in {name.lower() for name in stored.headers}
    [envelope] = await outbox_envelopes(database)
    assert envelope["_routing_key"] == "stripe.invoice.paid"
    assert envelope["id"] == event["id"]
    assert envelope["source"] == "stripe"
    assert envelope["type"] == "invoice.paid"
    assert envelope["data"] == json.loads(body)
    assert envelope["schema_version"] == 1


@pytest.mark.asyncio
async def test_company_id_in_the_object_metadata_travels_in_the_envelope(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = "7b0c1a8e-1f8e-4a55-9c1d-2f4a6a0f9c11"
    subscription = {"object": "subscription", "id": "sub_9", "metadata": {"company_id": company_id}}
    body, headers = signed(stripe_event("customer.subscription.updated", data_object=subscription))

    assert (await post(client, body, headers)).status_code == 200

    [envelope] = await outbox_envelopes(database)
    assert envelope["company_id"] == company_id


@pytest.mark.asyncio
async def test_a_body_over_the_limit_is_refused_before_anything_else(
    client: httpx.AsyncClient, database: Database
) -> None:
    body, headers = signed(stripe_event(padding=1024 * 1024))

    response = await post(client, body, headers)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_a_streamed_body_over_the_limit_without_content_length_is_refused(
    client: httpx.AsyncClient,
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/webhooks/stripe", content=chunks(), headers={"Stripe-Signature": "t=1,v1=00"}
    )

    assert response.status_code == 413


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=notanumber,v1=abc", "v1=abc", "t=1700000000", "t=1700000000,v0=abc"],
)
async def test_missing_or_unparsable_signatures_are_refused(
    client: httpx.AsyncClient, database: Database, header: str | None
) -> None:
    body, _ = signed(stripe_event())
    headers = {} if header is None else {"Stripe-Signature": header}

    response = await post(client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_a_signature_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    body, headers = signed(stripe_event(), secret="whsec_someone_else")

    response = await post(client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"


@pytest.mark.asyncio
async def test_a_body_changed_after_signing_is_refused(client: httpx.AsyncClient) -> None:
    body, headers = signed(stripe_event())

    response = await post(client, body.replace(b"invoice", b"invoicE", 1), headers)

    assert response.json()["code"] == "invalid_signature"


@pytest.mark.asyncio
async def test_an_old_signature_is_refused_as_outside_the_tolerance(
    client: httpx.AsyncClient, database: Database
) -> None:
    body, headers = signed(stripe_event(), timestamp=int(time.time()) - 301)

    response = await post(client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "timestamp_outside_tolerance"
    assert await stored_events(database) == []


def header_over(body: bytes, signed_at: int, timestamps: str) -> dict[str, str]:
    """A Stripe-Signature whose `t` items are `timestamps` and whose v1 covers `signed_at`."""
    signature = signed(body, timestamp=signed_at)[1]["Stripe-Signature"].split(",v1=")[1]
    return {"Stripe-Signature": f"{timestamps},v1={signature}"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("timestamps", "signed_when"),
    [
        ("t=+{old},t={now}", "old"),
        ("t={old},t={now}", "old"),
        ("t=+{old}, t={now}", "old"),
        ("t={old_grouped},t={now}", "old"),
        ("t=+{old}", "old"),
        ("t= {old}", "old"),
        ("t={now},t={now}", "now"),
    ],
)
async def test_a_header_whose_timestamp_is_not_the_signed_one_alone_is_refused(
    client: httpx.AsyncClient, database: Database, timestamps: str, signed_when: str
) -> None:
    now = int(time.time())
    old = now - 86_400  # a delivery captured yesterday, replayed with a fresh-looking t
    body, _ = signed(stripe_event())
    header = header_over(
        body,
        old if signed_when == "old" else now,
        timestamps.format(old=old, now=now, old_grouped=f"{old:_}"),
    )

    response = await post(client, body, header)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_the_tolerance_is_configurable(gateway_with: GatewayWith) -> None:
    async with gateway_with(STRIPE_WEBHOOK_TOLERANCE_SECONDS="1000") as client:
        body, headers = signed(stripe_event(), timestamp=int(time.time()) - 600)
        assert (await post(client, body, headers)).status_code == 200


@pytest.mark.asyncio
async def test_while_a_secret_is_rolled_both_old_and_new_are_accepted(
    gateway_with: GatewayWith,
) -> None:
    old, new = stripe_secret(), "whsec_the_new_one"
    async with gateway_with(STRIPE_WEBHOOK_SECRET=f"{new},{old}") as client:
        for secret in (old, new):
            body, headers = signed(stripe_event(), secret=secret)
            assert (await post(client, body, headers)).status_code == 200
        body, headers = signed(stripe_event(), secret="whsec_retired")
        assert (await post(client, body, headers)).status_code == 400


@pytest.mark.asyncio
async def test_a_header_with_several_v1_signatures_passes_if_one_matches(
    client: httpx.AsyncClient,
) -> None:
    body, headers = signed(stripe_event())
    headers["Stripe-Signature"] += ",v1=" + "0" * 64

    assert (await post(client, body, headers)).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "change",
    [
        {"object": "invoice"},
        {"id": "in_123"},
        {"id": 42},
        {"type": ""},
        {"type": None},
        {"created": "yesterday"},
        {"created": True},
        {"data": {}},
        {"data": {"object": "in_123"}},
        {"id": "evt_" + "x" * 300},
    ],
)
async def test_events_without_stripe_structure_are_malformed(
    client: httpx.AsyncClient, database: Database, change: dict[str, object]
) -> None:
    body, headers = signed(stripe_event() | change)

    response = await post(client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert await stored_events(database) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"evt_1"', b"\xff\xfe"])
async def test_signed_bodies_that_are_not_json_objects_are_malformed(
    client: httpx.AsyncClient, body: bytes
) -> None:
    if body == b"\xff\xfe":
        # Stripe signs text; bytes that are not UTF-8 cannot carry a valid signature.
        response = await post(client, body, {"Stripe-Signature": "t=1,v1=00"})
        assert response.json()["code"] == "invalid_signature"
        return
    signed_body, headers = signed(body)

    response = await post(client, signed_body, headers)

    assert response.json()["code"] == "malformed_event"


@pytest.mark.asyncio
async def test_a_redelivered_event_is_answered_as_duplicate_and_not_queued_again(
    client: httpx.AsyncClient, database: Database
) -> None:
    event = stripe_event("customer.subscription.updated")

    first = await post(client, *signed(event))
    second = await post(client, *signed(event))  # Stripe signs each attempt anew

    assert first.json()["duplicate"] is False
    assert second.status_code == 200
    assert second.json() == {"received": True, "duplicate": True, "ignored": False}
    assert len(await stored_events(database)) == 1
    assert len(await outbox_envelopes(database)) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("customer.created", "customer"),
        ("invoice.finalization_failed", "invoice"),
        ("issuing_card.created", "issuing.card"),
    ],
)
async def test_a_type_no_service_handles_is_stored_as_ignored_and_not_published(
    client: httpx.AsyncClient, database: Database, event_type: str, kind: str
) -> None:
    body, headers = signed(stripe_event(event_type, data_object={"object": kind, "id": "x_1"}))

    response = await post(client, body, headers)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "ignored": True}
    [stored] = await stored_events(database)
    assert stored.status == "ignored"
    assert await outbox_envelopes(database) == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "event_type", sorted(route.event_type for route in ROUTES if route.source == "stripe")
)
async def test_every_routed_type_is_queued_under_its_routing_key(
    client: httpx.AsyncClient, database: Database, event_type: str
) -> None:
    response = await post(client, *signed(stripe_event(event_type)))

    assert response.json() == {"received": True, "duplicate": False, "ignored": False}
    [envelope] = await outbox_envelopes(database)
    assert envelope["_routing_key"] == f"stripe.{event_type}"


@pytest.mark.asyncio
async def test_over_the_rate_limit_the_provider_is_told_to_retry_later(
    gateway_with: GatewayWith, database: Database
) -> None:
    async with gateway_with(WEBHOOK_RATE_LIMIT_PER_TYPE_PER_MINUTE="3") as client:
        answers = [await post(client, *signed(stripe_event("invoice.paid"))) for _ in range(5)]
        other_type = await post(client, *signed(stripe_event("invoice.voided")))

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert answers[-1].json()["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert other_type.status_code == 200
    assert len(await stored_events(database)) == 4  # the refused ones will come back


@pytest.mark.asyncio
async def test_a_redelivery_over_the_rate_limit_is_still_answered_as_duplicate(
    gateway_with: GatewayWith,
) -> None:
    event = stripe_event("invoice.paid")
    async with gateway_with(WEBHOOK_RATE_LIMIT_PER_SOURCE_PER_MINUTE="1") as client:
        assert (await post(client, *signed(event))).status_code == 200
        again = await post(client, *signed(event))

    assert again.status_code == 200
    assert again.json()["duplicate"] is True


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("event_type", "wrong_object"),
    [
        ("invoice.paid", "customer"),
        ("customer.subscription.deleted", "invoice"),
        ("charge.dispute.created", "charge"),
        ("charge.refund.updated", "charge"),
        ("checkout.session.completed", None),
    ],
)
async def test_an_object_that_does_not_fit_the_event_type_is_malformed(
    client: httpx.AsyncClient, database: Database, event_type: str, wrong_object: str | None
) -> None:
    event = stripe_event(event_type, data_object={"object": wrong_object, "id": "x_1"})

    response = await post(client, *signed(event))

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert await stored_events(database) == []


@pytest.mark.asyncio
async def test_with_the_database_down_the_provider_gets_a_503_to_retry(
    gateway_with: GatewayWith,
) -> None:
    async with gateway_with(
        GATEWAY_DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing"
    ) as client:
        response = await post(client, *signed(stripe_event()))

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"


@pytest.mark.asyncio
async def test_rejections_are_counted_by_code(client: httpx.AsyncClient) -> None:
    await post(client, b"{}", {"Stripe-Signature": "t=1,v1=00"})

    metrics = (await client.get("/metrics")).text

    assert 'webhooks_rejected_total{code="invalid_signature",source="stripe"}' in metrics


@pytest.mark.asyncio
async def test_a_live_event_is_refused_by_a_test_mode_gateway_and_stored_nowhere(
    client: httpx.AsyncClient, database: Database
) -> None:
    body, headers = signed(stripe_event(livemode=True))

    response = await post(client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "livemode_mismatch"
    assert await stored_events(database) == []
    assert await outbox_envelopes(database) == []


@pytest.mark.asyncio
async def test_a_live_gateway_takes_live_events_and_refuses_test_ones(
    gateway_with: GatewayWith, database: Database
) -> None:
    live, test = stripe_event(livemode=True), stripe_event(livemode=False)
    async with gateway_with(STRIPE_LIVEMODE="true") as client:
        accepted = await post(client, *signed(live))
        refused = await post(client, *signed(test))

    assert accepted.status_code == 200
    assert (refused.status_code, refused.json()["code"]) == (400, "livemode_mismatch")
    assert [event.event_id for event in await stored_events(database)] == [live["id"]]


@pytest.mark.asyncio
@pytest.mark.parametrize("livemode", [None, "false", 0])
async def test_an_event_without_a_boolean_livemode_is_malformed(
    client: httpx.AsyncClient, database: Database, livemode: object
) -> None:
    body, headers = signed(stripe_event(livemode=livemode))

    response = await post(client, body, headers)

    assert (response.status_code, response.json()["code"]) == (400, "malformed_event")
    assert await stored_events(database) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("api_version", ["2026-10-28.endive", None])
async def test_the_api_version_is_stored_with_the_event(
    client: httpx.AsyncClient, database: Database, api_version: str | None
) -> None:
    body, headers = signed(stripe_event(api_version=api_version))

    assert (await post(client, body, headers)).status_code == 200

    [stored] = await stored_events(database)
    assert stored.api_version == api_version


@pytest.mark.asyncio
@pytest.mark.parametrize("api_version", [20261028, "", "v" * 65, "2026-10-28\x00"])
async def test_an_api_version_that_is_not_a_short_text_is_malformed(
    client: httpx.AsyncClient, api_version: object
) -> None:
    body, headers = signed(stripe_event(api_version=api_version))

    response = await post(client, body, headers)

    assert (response.status_code, response.json()["code"]) == (400, "malformed_event")
