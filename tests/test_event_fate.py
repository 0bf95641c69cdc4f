"""An event's fate across services, on the real PostgreSQL and RabbitMQ: a paid checkout's Stripe
events reach billing while a long transaction holds the company's subscription row, so each
attempt runs out of time until the retries are exhausted and billing parks them; the gateway's
admin shows the event dead-lettered with its error. Once the row is free, the DLQ tooling replays
them and the admin shows the event replayed, then handled.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from finhub_shared.bus import dead_letter_queue_name, replay
from finhub_shared.db import asyncpg_dsn
from webhook_gateway.main import create_admin_app

from .parts import running, running_system

EVENT = "customer.subscription.created"
# Short enough for the test; the real ones are 1 s to 10 min and 120 s.
RETRY_DELAYS = (0.2, 0.5)
HANDLER_TIME_LIMIT = 2.0


@asynccontextmanager
async def subscriptions_held() -> AsyncIterator[None]:
    """An open transaction in billing's database holding every subscription row, as a forgotten
    session of an operator would, until the block ends."""
    connection = await asyncpg.connect(asyncpg_dsn(os.environ["BILLING_DATABASE_URL"]))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("SELECT id FROM subscriptions FOR UPDATE")
        yield
        await transaction.rollback()
    finally:
        await connection.close()


async def eventually(admin: httpx.AsyncClient, path: str, holds: Any, within: float = 90) -> Any:
    """GET `path` from the admin API until `holds(answer)`; the answer."""
    headers = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}
    async with asyncio.timeout(within):
        while True:
            response = await admin.get(path, headers=headers)
            assert response.status_code == 200, response.text
            if holds(response.json()):
                return response.json()
            await asyncio.sleep(0.3)


async def subscription_status(billing: httpx.AsyncClient, headers: dict[str, str]) -> str:
    status: str = (await billing.get("/api/payments/subscription/", headers=headers)).json()[
        "status"
    ]
    return status


def billing_fate(detail: dict[str, Any]) -> dict[str, Any]:
    """The event's fate on billing's Stripe queue (the test's own copy of `billing.stripe`)."""
    [fate] = [fate for fate in detail["fates"] if ".billing.stripe." in fate["queue"]]
    return fate


@pytest.mark.asyncio
async def test_a_dead_lettered_stripe_event_shows_its_fate_then_its_replay() -> None:
    async with (
        running_system(
            retry_delays_seconds=RETRY_DELAYS, handler_time_limit_seconds=HANDLER_TIME_LIMIT
        ) as system,
        running(create_admin_app()) as admin,
    ):
        headers = await system.register(
            f"bia+{uuid.uuid4().hex[:6]}@mercado.com.br", "Bia Lima", "Mercadinho Bom Preço"
        )
        plans = (await system.billing.get("/api/payments/plans/")).json()
        plan = next(plan for plan in plans if plan["slug"] == "professional")
        checkout = await system.billing.post(
            "/api/payments/checkout/",
            json={"plan_id": plan["id"], "billing_period": "monthly"},
            headers=headers,
        )
        assert checkout.status_code == 201, checkout.text

        async with subscriptions_held():
            paid = await system.sandbox.post(
                f"/_sandbox/stripe/checkout/{checkout.json()['session_id']}/pay",
                json={"card_number": "4242424242424242"},
            )
            assert paid.status_code == 200, paid.text
            parked = await eventually(
                admin,
                f"/admin/events?type={EVENT}&fate=dead_lettered",
                lambda page: len(page["items"]) == 1,
            )
            stored_id = parked["items"][0]["id"]
            dead_lettered = billing_fate(
                await eventually(admin, f"/admin/events/{stored_id}", lambda _: True)
            )
        # Attempts under way when the row came free succeed; then every parked one is replayed.
        await eventually(admin, "/admin/events?fate=retrying", lambda page: page["items"] == [])
        queue = dead_lettered["queue"]
        replayed = await replay(os.environ["AMQP_URL"], dead_letter_queue_name(queue), queue)
        handled = billing_fate(
            await eventually(
                admin,
                f"/admin/events/{stored_id}",
                lambda detail: billing_fate(detail)["state"] == "handled",
            )
        )
        async with asyncio.timeout(60):
            while (await subscription_status(system.billing, headers)) != "active":
                await asyncio.sleep(0.3)

    assert dead_lettered["state"] == "dead_lettered"
    assert dead_lettered["service"] == "e2e"  # the harness's queues are named e2e.<queue>.<id>
    assert dead_lettered["reason"] == "retries exhausted"
    assert dead_lettered["attempts"] == len(RETRY_DELAYS) + 1
    # What `_describe_error` kept of the handler's failure: cut short waiting for the row.
    assert dead_lettered["last_error"].startswith("TimeoutError")
    steps = [step["state"] for step in dead_lettered["history"]]
    assert steps == ["retrying", "retrying", "dead_lettered"]
    assert replayed >= 1
    history = [step["state"] for step in handled["history"]]
    assert history[-3:] == ["dead_lettered", "replayed", "handled"]
    assert handled["attempts"] == 0  # a replay starts a fresh round of attempts
