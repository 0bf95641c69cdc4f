"""The worker as its supervisor sees it: /healthz, /readyz and /metrics on its metrics port,
telling the truth while its database is away and once it is back."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finhub_dev.testing import ServiceUnderTest, database_refusing_connections
from finhub_shared.db import Database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def worker_port(tmp_path: Path, database: Database) -> Iterator[int]:
    """A gateway worker process serving its health on a free port, started on clean tables (an
    outbox row left by an earlier test would show in its backlog)."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "finhub-gateway"), "worker"]
    log = (tmp_path / "worker.log").open("ab")
    environment = {**os.environ, "WORKER_METRICS_PORT": str(port)}
    worker = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=log, stderr=log)
    try:
        yield port
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0


async def answer(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        return await http.get(path)


async def wait_for_status(port: int, path: str, status: int, within: float = 30) -> httpx.Response:
    async with asyncio.timeout(within):
        while True:
            try:
                response = await answer(port, path)
                if response.status_code == status:
                    return response
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.2)


def backlog_line(metrics: str) -> str:
    [line] = [line for line in metrics.splitlines() if line.startswith("outbox_backlog ")]
    return line


@pytest.mark.asyncio
async def test_the_worker_reports_its_database_outage_and_its_recovery(
    service: ServiceUnderTest, worker_port: int
) -> None:
    ready = await wait_for_status(worker_port, "/readyz", 200)
    metrics_before = (await answer(worker_port, "/metrics")).text

    async with database_refusing_connections(service.database_url):
        not_ready = await wait_for_status(worker_port, "/readyz", 503)
        alive_during = await answer(worker_port, "/healthz")
        metrics_during = (await answer(worker_port, "/metrics")).text

    ready_again = await wait_for_status(worker_port, "/readyz", 200)

    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "tasks": "ok"}
    assert backlog_line(metrics_before) == "outbox_backlog 0.0"
    assert not_ready.json()["code"] == "not_ready"
    assert not_ready.json()["checks"]["database"] != "ok"
    # Retrying after errors is alive: restarting the process would not bring the database back.
    assert alive_during.status_code == 200
    assert backlog_line(metrics_during) == "outbox_backlog NaN"
    assert ready_again.json()["checks"]["tasks"] == "ok"
