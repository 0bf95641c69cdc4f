"""Whatever arrives, the gateway answers with a 4xx (never a 5xx) and publishes nothing unsigned."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator

import httpx
import pytest
import stripe
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from finhub_shared.db import Database
from webhook_gateway.database import OutboxMessage
from webhook_gateway.main import create_app

header_names = st.sampled_from(
    ["stripe-signature", "x-webhook-secret", "content-type", "x-forwarded-for"]
) | st.from_regex(r"\Ax-[a-z]{1,12}\Z")
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200)
stripe_like_signatures = st.builds(
    "t={},v1={}".format,
    st.integers(min_value=0, max_value=2**40),
    st.text(alphabet="0123456789abcdef", max_size=64),
)
json_values = st.none() | st.integers() | st.text(max_size=30)
event_like_bodies = st.builds(
    lambda fields: json.dumps(fields).encode(),
    st.dictionaries(
        st.sampled_from(["id", "object", "type", "created", "data", "event", "eventId", "itemId"]),
        json_values | st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    ),
)


class RunningGateway:
    """The gateway app on an event loop of its own, so hypothesis can drive it synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = create_app()
        self.lifespan = self.loop.run_until_complete(self._start())
        transport = httpx.ASGITransport(app=self.app, client=("198.51.100.1", 1234))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://gw")

    async def _start(self) -> LifespanManager:
        lifespan = LifespanManager(self.app)  # must be built inside the loop
        await lifespan.__aenter__()
        return lifespan

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(path, content=body, headers=headers))

    def outbox_size(self) -> int:
        return self.loop.run_until_complete(self._outbox_size())

    async def _outbox_size(self) -> int:
        async with self.app.state.database.sessions() as session:
            count = await session.execute(select(func.count()).select_from(OutboxMessage))
            return int(count.scalar_one())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture
def gateway(database: Database) -> Iterator[RunningGateway]:
    running = RunningGateway()
    yield running
    running.close()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/webhooks/stripe", "/webhooks/pluggy"]),
    body=st.binary(max_size=4096) | event_like_bodies,
    headers=st.dictionaries(header_names, header_values, max_size=5),
    signature=st.none() | stripe_like_signatures,
)
def test_arbitrary_deliveries_get_a_4xx_and_publish_nothing(
    gateway: RunningGateway,
    path: str,
    body: bytes,
    headers: dict[str, str],
    signature: str | None,
) -> None:
    if signature is not None:
        headers["stripe-signature"] = signature

    response = gateway.post(path, body, headers)

    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"]
    assert gateway.outbox_size() == 0


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=event_like_bodies)
def test_correctly_signed_nonsense_is_refused_with_a_4xx(
    gateway: RunningGateway, body: bytes
) -> None:
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(time.time())
    )

    response = gateway.post("/webhooks/stripe", body, {"Stripe-Signature": header})

    assert 400 <= response.status_code < 500 or response.json()["received"], response.text
