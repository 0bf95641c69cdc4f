"""The dead-letter commands every service's CLI has, against the real RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import aio_pika
import pytest
from typer.testing import CliRunner

from finhub_shared.bus import ConsumerQueue, declare_consumer_queue, delete_consumer_queue
from finhub_shared.bus.consumer import LAST_ERROR_HEADER
from finhub_shared.bus.topology import dead_letter_queue_name
from finhub_shared.cli import ServiceCommands, service_cli
from finhub_shared.settings import ServiceSettings

# What older code wrote into a dead letter's header, before error text was redacted.
LEAKY_ERROR = "ConnectionError: amqp://finhub:s3cret@broker; Bearer abc.def.ghi; sk_live_4eC39Hq"


async def _declare_with_one_dead_letter(queue: ConsumerQueue, message_id: str) -> None:
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel() as channel:
        await declare_consumer_queue(channel, queue)
        message = aio_pika.Message(
            b'{"parked": true}', message_id=message_id, headers={LAST_ERROR_HEADER: LEAKY_ERROR}
        )
        await channel.default_exchange.publish(message, dead_letter_queue_name(queue.name))


async def _depth(queue_name: str) -> int:
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel() as channel:
        declared = await channel.declare_queue(queue_name, passive=True)
        return declared.declaration_result.message_count or 0


async def _delete(queue: ConsumerQueue) -> None:
    connection = await aio_pika.connect(os.environ["AMQP_URL"])
    async with connection, connection.channel() as channel:
        await delete_consumer_queue(channel, queue)


@pytest.fixture
def parked() -> Iterator[tuple[ConsumerQueue, str]]:
    queue = ConsumerQueue(f"test.cli.{uuid.uuid4().hex[:8]}", ("test.cli.#",), (0.5,))
    message_id = str(uuid.uuid4())
    asyncio.run(_declare_with_one_dead_letter(queue, message_id))
    yield queue, message_id
    asyncio.run(_delete(queue))


def run(queue: ConsumerQueue, *arguments: str) -> tuple[int, str]:
    app = service_cli(
        ServiceCommands(
            name="test", app_factory="x:y", settings=ServiceSettings, queues=[queue.name]
        )
    )
    result = CliRunner().invoke(app, ["dlq", *arguments])
    return result.exit_code, result.output


def test_list_show_replay_and_drop(parked: tuple[ConsumerQueue, str]) -> None:
    queue, message_id = parked

    code, listing = run(queue, "list")
    assert code == 0
    assert f"{queue.name}.dlq" in listing
    assert listing.split()[-1] == "1"

    code, shown = run(queue, "show", queue.name)
    assert code == 0
    assert message_id in shown
    assert '{"parked": true}' in shown

    code, _ = run(queue, "drop", queue.name)
    assert code != 0  # refuses without --yes
    assert asyncio.run(_depth(dead_letter_queue_name(queue.name))) == 1

    code, replayed = run(queue, "replay", queue.name)
    assert code == 0
    assert "replayed 1 message(s)" in replayed
    assert asyncio.run(_depth(queue.name)) == 1


def test_drop_deletes_with_yes(parked: tuple[ConsumerQueue, str]) -> None:
    queue, message_id = parked

    code, output = run(queue, "drop", queue.name, "--message-id", message_id, "--yes")

    assert code == 0
    assert "dropped 1 message(s)" in output


def test_an_unknown_queue_is_refused(parked: tuple[ConsumerQueue, str]) -> None:
    queue, _ = parked

    code, output = run(queue, "show", "someone.else")

    assert code != 0
    assert "is not one of" in output


def test_show_redacts_secrets_in_the_error_text(parked: tuple[ConsumerQueue, str]) -> None:
    queue, message_id = parked

    code, shown = run(queue, "show", queue.name)

    assert code == 0
    assert message_id in shown
    assert "amqp://finhub:***@broker" in shown
    for secret in ("s3cret", "abc.def.ghi", "sk_live_4eC39Hq"):
        assert secret not in shown
