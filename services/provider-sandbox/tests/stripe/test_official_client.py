"""The official `stripe` package works against the sandbox and verifies the sandbox webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import stripe
import uvicorn
from fastapi import FastAPI

from provider_sandbox.main import create_app

pytestmark = [
    pytest.mark.asyncio,
    # stripe's own HTTPXClient still passes raw bytes as `data=`; not ours to fix.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]


class Inbox:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def receive(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest_asyncio.fixture
async def served_sandbox(inbox: Inbox) -> AsyncIterator[tuple[FastAPI, str]]:
    """The sandbox on a free localhost port, as the stripe package needs a real URL."""
    app = create_app(webhook_transport=httpx.MockTransport(inbox.receive))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
def client(served_sandbox: tuple[FastAPI, str], api_key: str) -> stripe.StripeClient:
    _, base_url = served_sandbox
    return stripe.StripeClient(
        api_key, base_addresses={"api": base_url}, http_client=stripe.HTTPXClient()
    )


def _webhook_secret(app: FastAPI) -> str:
    secret: str = app.state.stripe.webhook_secret
    return secret


async def test_stripe_package_creates_customer_and_checkout_session(
    client: stripe.StripeClient,
) -> None:
    customer = await client.v1.customers.create_async(
        params={"email": "ana@example.com", "metadata": {"company_id": "c-1"}}
    )
    prices = await client.v1.prices.list_async(params={"lookup_keys": ["professional_monthly"]})
    session = await client.v1.checkout.sessions.create_async(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": prices.data[0].id, "quantity": 1}],
            "success_url": "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example/cancel",
            "subscription_data": {"metadata": {"company_id": "c-1"}},
        },
        options={"idempotency_key": "checkout-c-1-attempt-1"},
    )

    assert isinstance(customer, stripe.Customer)
    assert customer.to_dict()["metadata"] == {"company_id": "c-1"}
    assert isinstance(session, stripe.checkout.Session)
    assert session.customer == customer.id
    assert session.status == "open"
    assert session.url is not None
    assert session.url.endswith(f"/checkout/{session.id}")
    fetched = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert fetched.amount_total == 7900


async def test_stripe_package_gets_typed_errors(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.customers.retrieve_async("cus_missing")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


async def test_stripe_package_sees_the_subscription_with_periods_on_items(
    client: stripe.StripeClient, served_sandbox: tuple[FastAPI, str], inbox: Inbox
) -> None:
    _, base_url = served_sandbox
    customer = await client.v1.customers.create_async(params={"email": "ana@example.com"})
    session = await client.v1.checkout.sessions.create_async(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": "price_finhub_starter_monthly"}],
        }
    )
    async with httpx.AsyncClient(base_url=base_url) as http:
        paid = await http.post(
            f"/_sandbox/stripe/checkout/{session.id}/pay", json={"card_number": "4242424242424242"}
        )
    subscription = await client.v1.subscriptions.retrieve_async(paid.json()["subscription"])
    updated = await client.v1.subscriptions.update_async(
        subscription.id, params={"cancel_at_period_end": True}
    )

    item = subscription["items"].data[0]
    assert subscription.status == "active"
    assert item.current_period_end > item.current_period_start
    assert updated.cancel_at_period_end is True
    assert updated.cancel_at == item.current_period_end


async def test_sandbox_webhooks_verify_with_construct_event(
    client: stripe.StripeClient, served_sandbox: tuple[FastAPI, str], inbox: Inbox
) -> None:
    app, _ = served_sandbox
    customer = await client.v1.customers.create_async(params={"email": "ana@example.com"})
    await app.state.webhooks.drain()

    [delivery] = inbox.requests
    event = stripe.Webhook.construct_event(
        delivery.content, delivery.headers["Stripe-Signature"], _webhook_secret(app)
    )

    assert str(delivery.url).endswith("/webhooks/stripe")
    assert event.type == "customer.created"
    assert event.data.object.id == customer.id
    assert event.api_version == "2026-10-28.endive"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.content, delivery.headers["Stripe-Signature"], "whsec_someone_else"
        )
