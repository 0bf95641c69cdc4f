"""`finhub-live worker` as deployed: it consumes `live.events` from the real broker, stores what
it reads, serves its health on WORKER_METRICS_PORT, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from finhub_dev.sse import free_port
from finhub_shared.bus import Publisher
from finhub_shared.db import Database
from finhub_shared.events import new_event

from .conftest import notification
from .stored import stored_soon


@pytest.mark.asyncio
async def test_the_worker_stores_what_is_published_and_stops_on_sigterm(
    database: Database, tmp_path: Path
) -> None:
    metrics_port = free_port()
    worker = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "finhub-live"),
        "worker",
        cwd=tmp_path,
        env={**os.environ, "WORKER_METRICS_PORT": str(metrics_port)},
    )
    publisher = Publisher(os.environ["AMQP_URL"])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as health:
            async with asyncio.timeout(30):
                while True:
                    try:
                        if (await health.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
        company_id = uuid.uuid4()
        await publisher.connect()
        await publisher.publish_envelope(
            new_event("billing", "notification.created", notification(), company_id=company_id)
        )

        [event] = await stored_soon(database, company_id, 1)

        assert event.type == "notification"
        worker.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await worker.wait() == 0
    finally:
        await publisher.close()
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
