"""The real broker as the gateway's tests see it: a durable probe queue on `finhub.events`."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractQueue

from finhub_shared.bus import declare_exchange
from finhub_shared.events import EXCHANGE


@asynccontextmanager
async def probe_queue(binding_key: str) -> AsyncIterator[AbstractQueue]:
    """A durable queue bound to `binding_key`: it survives a broker restart; deleted after."""
    connection = await aio_pika.connect_robust(os.environ["AMQP_URL"])
    channel = await connection.channel()
    await declare_exchange(channel)
    queue = await channel.declare_queue(f"test.probe.{uuid.uuid4().hex[:10]}", durable=True)
    await queue.bind(EXCHANGE, routing_key=binding_key)
    try:
        yield queue
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()


async def collect_ids(
    queue: AbstractQueue, wanted: Collection[str], within: float = 30.0
) -> list[str]:
    """Message ids from `queue` that are among `wanted` (others' messages are skipped), until
    every wanted id arrived or `within` seconds passed; duplicates are kept, to be counted."""
    received: list[str] = []
    try:
        async with asyncio.timeout(within):
            async with queue.iterator() as messages:
                async for message in messages:
                    await message.ack()
                    if message.message_id in wanted:
                        received.append(message.message_id)
                    if set(received) >= set(wanted):
                        break
    except TimeoutError:
        pass
    return received
