"""`finhub-live serve` as deployed: on a stop signal, open streams are cut after the grace
(they never end by themselves) and their places freed, so the process ends in time."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from finhub_dev.sse import free_port, opened
from finhub_shared.db import Database
from live.streams.models import OpenStream

from .conftest import token


async def ready(base_url: str) -> None:
    async with asyncio.timeout(30), httpx.AsyncClient(base_url=base_url) as client:
        while True:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def open_streams(database: Database) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(OpenStream)) or 0


@pytest.mark.asyncio
async def test_a_stop_cuts_open_streams_after_the_grace_and_frees_their_places(
    database: Database, tmp_path: Path
) -> None:
    port = free_port()
    command = [str(Path(sys.executable).parent / "finhub-live"), "serve", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(*command, cwd=tmp_path, env=dict(os.environ))
    try:
        base_url = f"http://127.0.0.1:{port}"
        await ready(base_url)
        async with opened(base_url, token(uuid.uuid4(), uuid.uuid4())) as (_, stream):
            assert stream is not None
            assert await open_streams(database) == 1
            stopped_at = time.monotonic()
            server.send_signal(signal.SIGTERM)

            await stream.closes(within=15)
            async with asyncio.timeout(15):
                await server.wait()

        assert stream.cut
        assert time.monotonic() - stopped_at < 10
        assert await open_streams(database) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
