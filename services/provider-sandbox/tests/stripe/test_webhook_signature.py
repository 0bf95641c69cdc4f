"""The Stripe-Signature header the sandbox sends is the one Stripe sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe
from asgi_lifespan import LifespanManager

from provider_sandbox.config import get_settings
from provider_sandbox.main import create_app
from provider_sandbox.stripe.events import signature_header


def test_signature_matches_the_stripe_packages_own_test_helper() -> None:
    body = json.dumps({"id": "evt_1", "object": "event"})
    secret = "whsec_test_secret"

    ours = signature_header(body.encode(), secret, timestamp=1_700_000_000)
    theirs: Any = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=1_700_000_000
    )

    assert ours == theirs


def test_an_old_signature_is_refused_by_the_tolerance_check() -> None:
    body = b'{"id": "evt_1", "object": "event"}'
    header = signature_header(body, "whsec_x", timestamp=1_000)

    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, header, "whsec_x")


@pytest.fixture
def rotated_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    new, old = "whsec_new_secret_value", "whsec_old_secret_value"
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f"{new},{old}")
    get_settings.cache_clear()
    yield new, old
    get_settings.cache_clear()


@pytest.mark.asyncio
async def test_with_several_secrets_the_first_one_signs(rotated_secrets: tuple[str, str]) -> None:
    new, old = rotated_secrets
    received: list[httpx.Request] = []

    async def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    app = create_app(webhook_transport=httpx.MockTransport(receive))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await http.post(
                "/v1/customers", headers={"Authorization": "Bearer sk_test_rotation"}, data={}
            )
        await app.state.webhooks.drain()

    [delivery] = received
    header = delivery.headers["Stripe-Signature"]
    assert stripe.Webhook.construct_event(delivery.content, header, new).type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.content, header, old)
