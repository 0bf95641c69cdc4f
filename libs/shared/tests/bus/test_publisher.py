"""Publishing: the contract's message properties, routing by binding key, confirms and failures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractChannel
from aio_pika.exceptions import ProbableAuthenticationError
from prometheus_client import REGISTRY

from finhub_shared.bus import ConsumerQueue, Publisher, PublishError, declare_consumer_queue
from finhub_shared.correlation import correlation_scope
from finhub_shared.events import new_event

NewQueue = Callable[..., ConsumerQueue]
ReadyCount = Callable[[str], Awaitable[int]]


@pytest.mark.asyncio
async def test_envelope_arrives_with_the_contract_properties_where_its_key_is_bound(
    publisher: Publisher, new_queue: NewQueue, channel: AbstractChannel
) -> None:
    queue = new_queue("banking.{name}.invoice.*")
    main = await declare_consumer_queue(channel, queue)
    paid = new_event("banking", f"{queue.name}.invoice.paid", {"amount_cents": 1500})
    unbound = new_event("banking", f"{queue.name}.customer.created", {})

    with correlation_scope("corr-roundtrip"):
        await publisher.publish_envelope(paid)
        with pytest.raises(PublishError, match="no queue is bound"):
            await publisher.publish_envelope(unbound)

    message = await main.get(timeout=5)
    await message.ack()
    assert message.delivery_mode == DeliveryMode.PERSISTENT
    assert message.message_id == paid.id
    assert message.content_type == "application/json"
    assert message.correlation_id == "corr-roundtrip"
    assert json.loads(message.body)["data"] == {"amount_cents": 1500}
    assert message.routing_key == f"banking.{queue.name}.invoice.paid"
    assert await main.get(fail=False) is None


@pytest.mark.asyncio
async def test_an_explicit_correlation_id_wins_over_the_current_one(
    publisher: Publisher, new_queue: NewQueue, channel: AbstractChannel
) -> None:
    queue = new_queue()
    main = await declare_consumer_queue(channel, queue)

    with correlation_scope("the-current-one"):
        await publisher.publish(
            f"{queue.name}.x", b"{}", message_id="m-1", correlation_id="the-explicit-one"
        )

    message = await main.get(timeout=5)
    await message.ack()
    assert message.correlation_id == "the-explicit-one"


@pytest.mark.asyncio
async def test_publish_returns_once_the_queue_holds_the_message(
    publisher: Publisher, new_queue: NewQueue, channel: AbstractChannel, ready_count: ReadyCount
) -> None:
    queue = new_queue()
    await declare_consumer_queue(channel, queue)
    confirmed_before = REGISTRY.get_sample_value("bus_publish_seconds_count") or 0

    for number in range(1, 4):
        await publisher.publish(f"{queue.name}.x", b"{}", message_id=f"m-{number}")
        assert await ready_count(queue.name) == number

    assert REGISTRY.get_sample_value("bus_publish_seconds_count") == confirmed_before + 3


@pytest.mark.asyncio
async def test_a_nacked_message_raises_publish_error(
    publisher: Publisher, new_queue: NewQueue, channel: AbstractChannel
) -> None:
    full_queue = new_queue().name
    await channel.declare_queue(
        full_queue,
        durable=True,
        arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    await publisher.send_to_queue(full_queue, Message(b"first", message_id="first"))

    with pytest.raises(PublishError, match="second"):
        await publisher.send_to_queue(full_queue, Message(b"second", message_id="second"))


@pytest.mark.asyncio
async def test_sending_to_a_queue_that_does_not_exist_raises_publish_error(
    publisher: Publisher,
) -> None:
    missing = f"test-bus.missing.{uuid.uuid4().hex}"

    with pytest.raises(PublishError, match="no queue"):
        await publisher.send_to_queue(missing, Message(b"{}", message_id="lost"))


@pytest.mark.asyncio
async def test_an_event_no_queue_is_bound_for_raises_so_the_outbox_keeps_it(
    publisher: Publisher,
) -> None:
    with pytest.raises(PublishError, match="no queue is bound"):
        await publisher.publish(
            f"billing.nobody-listens-{uuid.uuid4().hex}", b"{}", message_id="kept"
        )


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl on this machine")
@pytest.mark.asyncio
async def test_the_publisher_reconnects_by_itself_after_the_broker_drops_it(
    amqp_url: str, new_queue: NewQueue, channel: AbstractChannel, ready_count: ReadyCount
) -> None:
    queue = new_queue()
    await declare_consumer_queue(channel, queue)
    name = f"bus tests {uuid.uuid4().hex}"
    publisher = Publisher(amqp_url, name=name, confirm_timeout_seconds=1)
    await publisher.connect()
    try:
        await _broker_closes_connection(name)
        await _publish_when_reconnected(publisher, f"{queue.name}.x")
    finally:
        await publisher.close()

    # A publish whose confirm was lost in the reconnect is sent again: at least once, by design.
    assert await ready_count(queue.name) >= 1


async def _broker_closes_connection(connection_name: str) -> None:
    listing = await _rabbitmqctl(
        "list_connections", "--no-table-headers", "pid", "client_properties"
    )
    pids = [line.split("\t")[0] for line in listing.splitlines() if connection_name in line]
    assert len(pids) == 1
    await _rabbitmqctl("close_connection", pids[0], "bus test drops the connection")


async def _publish_when_reconnected(publisher: Publisher, routing_key: str) -> None:
    async with asyncio.timeout(15):
        while True:
            try:
                await publisher.publish(routing_key, b"{}", message_id="after-reconnect")
                return
            except PublishError:
                await asyncio.sleep(0.2)


async def _rabbitmqctl(*arguments: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", *arguments, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    return output.decode()


class BrokerDoorway:
    """A port that refuses connections until `open()`, then forwards them to the real broker:
    a broker that comes up after the worker, without stopping the one other tests share."""

    def __init__(self, broker_port: int) -> None:
        self._broker_port = broker_port
        self._server: asyncio.Server | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        broker_in, broker_out = await asyncio.open_connection("127.0.0.1", self._broker_port)
        await asyncio.gather(_pipe(client_in, broker_out), _pipe(broker_in, client_out))


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
    target.close()


@pytest.mark.asyncio
async def test_a_worker_publisher_waits_for_a_broker_that_is_not_up_yet(
    amqp_url: str, new_queue: NewQueue, channel: AbstractChannel
) -> None:
    broker = urlsplit(amqp_url)
    doorway = BrokerDoorway(broker.port or 5672)
    publisher = Publisher(
        urlunsplit(broker._replace(netloc=f"{broker.netloc.rsplit(':', 1)[0]}:{doorway.port}"))
    )
    connecting = asyncio.create_task(publisher.connect_when_up(longest_pause_seconds=0.2))
    try:
        await asyncio.sleep(1)
        assert not connecting.done()  # still waiting, not failed

        await doorway.open()
        await asyncio.wait_for(connecting, timeout=10)

        queue = new_queue("banking.{name}.#")
        bound = await declare_consumer_queue(channel, queue)
        await publisher.publish_envelope(new_event("banking", f"{queue.name}.came.up", {}))
        assert (await bound.get(timeout=5)) is not None
    finally:
        connecting.cancel()
        await publisher.close()
        await doorway.close()


@pytest.mark.asyncio
async def test_a_worker_publisher_with_wrong_credentials_fails_at_once(amqp_url: str) -> None:
    broker = urlsplit(amqp_url)
    wrong = broker._replace(netloc=f"nobody:wrong@{broker.netloc.rsplit('@', 1)[-1]}")
    publisher = Publisher(urlunsplit(wrong))

    with pytest.raises(ProbableAuthenticationError):
        await asyncio.wait_for(publisher.connect_when_up(), timeout=10)
