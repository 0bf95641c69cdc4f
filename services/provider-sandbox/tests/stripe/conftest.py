"""Fixtures for the Stripe half: the sandbox app in-process, its webhooks caught at the edge."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from provider_sandbox.main import create_app

Json = dict[str, Any]
Subscribe = Callable[..., Awaitable[Json]]


@dataclass
class WebhookInbox:
    """Every webhook the sandbox sent, as the gateway would have received it."""

    requests: list[httpx.Request] = field(default_factory=list)

    async def receive(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)

    def events(self) -> list[Json]:
        return [json.loads(request.content) for request in self.requests]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]

    def clear(self) -> None:
        self.requests.clear()


@pytest.fixture
def webhook_inbox() -> WebhookInbox:
    return WebhookInbox()


@pytest_asyncio.fixture
async def sandbox_app(webhook_inbox: WebhookInbox) -> AsyncIterator[FastAPI]:
    app = create_app(webhook_transport=httpx.MockTransport(webhook_inbox.receive))
    async with LifespanManager(app):
        yield app


@pytest.fixture
def api_key() -> str:
    return "sk_test_" + secrets.token_urlsafe(16)


@pytest_asyncio.fixture
async def stripe_http(sandbox_app: FastAPI, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the sandbox's Stripe API, authenticated as the stripe package does it."""
    transport = httpx.ASGITransport(app=sandbox_app)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        yield http


async def drain(app: FastAPI) -> None:
    """Wait for every webhook the app has queued."""
    await app.state.webhooks.drain()


@pytest.fixture
def subscribe(stripe_http: httpx.AsyncClient, sandbox_app: FastAPI) -> Subscribe:
    """Create a customer and a checkout session, pay it, and return the paid session."""

    async def subscribe_with(
        card: str = "4242424242424242",
        lookup_key: str = "professional_monthly",
        **session_params: str,
    ) -> Json:
        customer = (
            await stripe_http.post("/v1/customers", data={"email": "ana@example.com"})
        ).json()
        price = await price_for(stripe_http, lookup_key)
        session = await stripe_http.post(
            "/v1/checkout/sessions",
            data={
                "mode": "subscription",
                "customer": customer["id"],
                "line_items[0][price]": price["id"],
                "line_items[0][quantity]": "1",
                "success_url": "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}",
                "subscription_data[metadata][company_id]": "company-1",
                **session_params,
            },
        )
        paid = await stripe_http.post(
            f"/_sandbox/stripe/checkout/{session.json()['id']}/pay", json={"card_number": card}
        )
        assert paid.status_code == 200, paid.text
        await drain(sandbox_app)
        result: Json = paid.json()
        return result

    return subscribe_with


async def price_for(http: httpx.AsyncClient, lookup_key: str) -> Json:
    """The seeded price with that lookup key."""
    prices = (await http.get("/v1/prices", params={"lookup_keys[]": lookup_key})).json()
    price: Json = prices["data"][0]
    return price
