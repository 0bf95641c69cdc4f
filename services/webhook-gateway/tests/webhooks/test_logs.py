"""The gateway's log lines never hold signatures, secret headers or payload bodies."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from ..factories import pluggy_delivery, pluggy_event, signed, stripe_event

BODY_MARKER = "customer-name-Maria-da-Silva-4111"


@pytest.mark.asyncio
async def test_accepted_and_refused_deliveries_leave_no_secret_in_the_logs(
    capfd: pytest.CaptureFixture[str],
    client: httpx.AsyncClient,  # capture first, then start
) -> None:
    stripe_body, stripe_headers = signed(
        stripe_event(data_object={"object": "invoice", "id": "in_1", "description": BODY_MARKER})
    )
    pluggy_body, pluggy_headers = pluggy_delivery(pluggy_event(note=BODY_MARKER))
    deliveries = [
        ("/webhooks/stripe", stripe_body, stripe_headers),  # accepted
        ("/webhooks/stripe", stripe_body + b" ", stripe_headers),  # bad signature
        ("/webhooks/pluggy", pluggy_body, pluggy_headers),  # accepted
        ("/webhooks/pluggy", pluggy_body, {"X-Webhook-Secret": "guess-" + BODY_MARKER}),
        ("/webhooks/pluggy", b"{" + BODY_MARKER.encode(), pluggy_headers),  # not JSON
    ]
    for path, body, headers in deliveries:
        await client.post(path, content=body, headers=headers | {"Authorization": "Bearer tok-123"})

    output = capfd.readouterr()
    logs = output.out + output.err
    assert "webhook_rejected" in logs  # the refusals were logged
    for secret in (
        stripe_headers["Stripe-Signature"],
        stripe_headers["Stripe-Signature"].split("v1=")[1],
        os.environ["STRIPE_WEBHOOK_SECRET"],
        os.environ["PLUGGY_WEBHOOK_SECRET"],
        "tok-123",
        BODY_MARKER,
    ):
        assert secret not in logs


@pytest.mark.asyncio
async def test_refused_credentials_are_logged_for_security_other_refusals_for_webhooks(
    capfd: pytest.CaptureFixture[str],
    client: httpx.AsyncClient,  # capture first, then start
) -> None:
    stripe_body, stripe_headers = signed(stripe_event())
    pluggy_body, pluggy_headers = pluggy_delivery(pluggy_event())
    deliveries = [
        ("/webhooks/stripe", stripe_body + b" ", stripe_headers),  # bad signature
        ("/webhooks/pluggy", pluggy_body, {"X-Webhook-Secret": "a-guess"}),
        ("/webhooks/pluggy", b"{", pluggy_headers),  # not JSON
    ]
    for path, body, headers in deliveries:
        await client.post(path, content=body, headers=headers)

    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line[:1] == "{"]
    refusals = [
        (line["code"], line["area"]) for line in lines if line["event"] == "webhook_rejected"
    ]
    assert refusals == [
        ("invalid_signature", "security"),
        ("unauthorized", "security"),
        ("malformed_event", "webhooks"),
    ]
