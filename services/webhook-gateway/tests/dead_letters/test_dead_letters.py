"""The admin API's dead letters: counted per queue, shown redacted, replayed to their queue,
dropped; on a queue of the test's own in the real RabbitMQ."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import aio_pika
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from finhub_shared.bus import ConsumerQueue, delete_consumer_queue
from finhub_shared.bus.consumer import ATTEMPTS_HEADER, LAST_ERROR_HEADER
from finhub_shared.bus.topology import dead_letter_queue_name, declare_consumer_queue
from webhook_gateway.config import get_settings
from webhook_gateway.main import create_admin_app

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture
async def queue() -> AsyncIterator[ConsumerQueue]:
    """A consumer queue with its retry tiers and DLQ, deleted after the test."""
    queue = ConsumerQueue(f"test-dlq.{uuid.uuid4().hex[:12]}", ("test-dlq.nothing",))
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel() as channel:
        await declare_consumer_queue(channel, queue)
        yield queue
        await delete_consumer_queue(channel, queue)


@pytest_asyncio.fixture
async def admin(
    queue: ConsumerQueue, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin API knowing the test's queue and one that was never declared."""
    monkeypatch.setenv("ADMIN_DEAD_LETTER_QUEUES", f"{queue.name}, test-dlq.never-declared")
    get_settings.cache_clear()
    try:
        app = create_admin_app()
        async with LifespanManager(app):
            headers = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://admin", headers=headers
            ) as client:
                yield client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def park(queue: ConsumerQueue, message_id: str, error: str) -> None:
    """A message that failed every attempt, as the consumer parks it."""
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel(publisher_confirms=True) as channel:
        message = aio_pika.Message(
            b'{"id": "%s", "data": {"card": "4242424242424242"}}' % message_id.encode(),
            message_id=message_id,
            headers={ATTEMPTS_HEADER: 5, LAST_ERROR_HEADER: error},
        )
        await channel.default_exchange.publish(message, dead_letter_queue_name(queue.name))


async def waiting(queue_name: str) -> int:
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel() as channel:
        declared = await channel.declare_queue(queue_name, passive=True)
        return declared.declaration_result.message_count or 0


async def test_parked_messages_are_counted_shown_redacted_and_replayed_to_their_queue(
    admin: httpx.AsyncClient, queue: ConsumerQueue
) -> None:
    await park(queue, "evt_one", "RuntimeError: token sk_live_abcdefghijklmnop1234 refused")
    await park(queue, "evt_two", "RuntimeError: bank down")

    listed = (await admin.get("/admin/dead-letters")).json()["items"]
    shown = (await admin.get(f"/admin/dead-letters/{queue.name}")).json()["items"]
    replayed = await admin.post(
        f"/admin/dead-letters/{queue.name}/replay", json={"message_id": "evt_one"}
    )

    assert listed == [
        {
            "queue": queue.name,
            "queue_messages": 0,
            "consumers": 0,
            "dead_letter_queue": f"{queue.name}.dlq",
            "messages": 2,
        },
        {
            "queue": "test-dlq.never-declared",
            "queue_messages": None,
            "consumers": None,
            "dead_letter_queue": "test-dlq.never-declared.dlq",
            "messages": None,
        },
    ]
    assert [(letter["message_id"], letter["attempts"]) for letter in shown] == [
        ("evt_one", 5),
        ("evt_two", 5),
    ]
    assert "sk_live_abcdefghijklmnop1234" not in shown[0]["last_error"]
    assert "4242424242424242" not in shown[0]["body"]
    assert replayed.json() == {"count": 1}
    assert await waiting(queue.name) == 1
    remaining = (await admin.get(f"/admin/dead-letters/{queue.name}")).json()["items"]
    assert [letter["message_id"] for letter in remaining] == ["evt_two"]


async def test_dropped_messages_are_gone_for_good(
    admin: httpx.AsyncClient, queue: ConsumerQueue
) -> None:
    await park(queue, "evt_one", "RuntimeError: bank down")
    await park(queue, "evt_two", "RuntimeError: bank down")

    dropped = await admin.post(f"/admin/dead-letters/{queue.name}/drop", json={})

    assert dropped.json() == {"count": 2}
    assert (await admin.get(f"/admin/dead-letters/{queue.name}")).json()["items"] == []
    assert await waiting(queue.name) == 0


async def test_a_queue_the_api_does_not_know_is_404_and_one_never_declared_holds_nothing(
    admin: httpx.AsyncClient,
) -> None:
    unknown = await admin.get("/admin/dead-letters/billing.not-a-queue")
    undeclared = await admin.get("/admin/dead-letters/test-dlq.never-declared")
    replay = await admin.post("/admin/dead-letters/test-dlq.never-declared/replay", json={})
    misspelt = await admin.post(
        "/admin/dead-letters/test-dlq.never-declared/drop", json={"messageid": "x"}
    )

    assert (unknown.status_code, unknown.json()["code"]) == (404, "queue_not_found")
    assert (undeclared.status_code, undeclared.json()["items"]) == (200, [])
    assert replay.json() == {"count": 0}
    assert misspelt.status_code == 422


async def test_dead_letters_need_the_admin_token(admin: httpx.AsyncClient) -> None:
    answer = await admin.get("/admin/dead-letters", headers={"Authorization": "Bearer wrong"})

    assert answer.status_code == 401
