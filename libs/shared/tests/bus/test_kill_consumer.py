"""A consumer killed in the middle of a message: the message is not lost, its effect lands once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractChannel

from finhub_shared.bus import (
    ConsumerQueue,
    Publisher,
    dead_letter_queue_name,
    declare_consumer_queue,
)
from finhub_shared.db import asyncpg_dsn
from finhub_shared.events import new_event

NewQueue = Callable[..., ConsumerQueue]
ReadyCount = Callable[[str], Awaitable[int]]
WaitFor = Callable[..., Awaitable[None]]

SCRATCH_DATABASE = "finhub_bus_test"
CONSUMER_SCRIPT = Path(__file__).with_name("inbox_consumer.py")


@pytest_asyncio.fixture(scope="session")
async def database_url() -> str:
    """A scratch database of the bus tests, created on first use."""
    admin_url = asyncpg_dsn(
        os.environ.get("POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", SCRATCH_DATABASE
        )
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")
    finally:
        await admin.close()
    return urlsplit(admin_url)._replace(path=f"/{SCRATCH_DATABASE}").geturl()


@pytest_asyncio.fixture
async def database(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A connection to the scratch database and the prefix of this test's own two tables."""
    tables = f"bus_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(database_url)
    await connection.execute(
        f"CREATE TABLE {tables}_inbox (event_id text PRIMARY KEY);"
        f"CREATE TABLE {tables}_effects (event_id text NOT NULL, amount_cents integer NOT NULL)"
    )
    yield connection, tables
    await connection.execute(f"DROP TABLE {tables}_inbox, {tables}_effects")
    await connection.close()


@pytest.mark.asyncio
async def test_a_consumer_killed_mid_message_loses_nothing_and_applies_it_once(
    amqp_url: str,
    database_url: str,
    database: tuple[asyncpg.Connection, str],
    new_queue: NewQueue,
    channel: AbstractChannel,
    publisher: Publisher,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    connection, tables = database
    queue = new_queue()
    await declare_consumer_queue(channel, queue)
    payment = new_event("banking", "bustest.payment", {"amount_cents": 4200})
    await publisher.publish(
        f"{queue.name}.payment", payment.model_dump_json().encode(), message_id=payment.id
    )

    async def effects() -> int:
        count: int = await connection.fetchval(
            f"SELECT count(*) FROM {tables}_effects WHERE event_id = $1", payment.id
        )
        return count

    arguments = [
        f"--queue={queue.name}",
        f"--binding-key={queue.binding_keys[0]}",
        *(f"--retry-delay={delay}" for delay in queue.retry_delays_seconds),
        f"--tables={tables}",
    ]
    environment = {
        **os.environ,
        "BUS_TEST_AMQP_URL": amqp_url,
        "BUS_TEST_DATABASE_URL": database_url,
    }

    async with consumer_process([*arguments, "--stall"], environment) as first:
        assert await _stalled_event_id(first) == payment.id
        first.kill()
        await first.wait()
    assert await effects() == 0  # its transaction died with it

    async with consumer_process(arguments, environment) as second:
        await wait_for(lambda: _equals(effects(), 1), seconds=20)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=10) == 0

    assert await effects() == 1
    assert await ready_count(queue.name) == 0  # acked: nothing returned when it disconnected
    assert await ready_count(dead_letter_queue_name(queue.name)) == 0


async def _stalled_event_id(process: asyncio.subprocess.Process) -> str:
    """Read the consumer's stdout until it says which event it is stuck in."""
    assert process.stdout is not None
    async with asyncio.timeout(20):
        while line := await process.stdout.readline():
            if line.startswith(b"stalled "):
                return line.decode().removeprefix("stalled ").strip()
    raise AssertionError("the consumer ended without stalling")


async def _equals(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


@asynccontextmanager
async def consumer_process(
    arguments: list[str], environment: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The consumer script running in a process of its own, killed at the end if still alive."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CONSUMER_SCRIPT),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        env=environment,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
