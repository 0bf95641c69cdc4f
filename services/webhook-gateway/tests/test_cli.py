"""`finhub-gateway replay` publishes a stored event again; `serve-admin` serves the admin API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finhub_shared.db import Database

from .factories import signed, stripe_event
from .stored import outbox_envelopes
from .test_worker_health import free_port, wait_for_status


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "finhub-gateway"), *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.asyncio
async def test_replay_by_provider_event_id_queues_the_event_again(
    client: httpx.AsyncClient, database: Database, tmp_path: Path
) -> None:
    event = stripe_event("invoice.paid")
    body, headers = signed(event)
    await client.post("/webhooks/stripe", content=body, headers=headers)

    result = await asyncio.to_thread(run_cli, "replay", str(event["id"]), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert str(event["id"]) in result.stdout
    assert [envelope["id"] for envelope in await outbox_envelopes(database)] == [event["id"]] * 2


@pytest.mark.asyncio
async def test_replaying_an_unknown_event_fails_with_a_message(
    database: Database, tmp_path: Path
) -> None:
    result = await asyncio.to_thread(run_cli, "replay", "evt_does_not_exist", cwd=tmp_path)

    assert result.returncode == 1
    assert "no stored event matches evt_does_not_exist" in result.stderr


@pytest.fixture
def admin_port(tmp_path: Path, migrated_database: str) -> Iterator[int]:
    """`finhub-gateway serve-admin` running on a free GATEWAY_ADMIN_PORT."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "finhub-gateway"), "serve-admin"]
    log = (tmp_path / "admin.log").open("ab")
    environment = {**os.environ, "GATEWAY_ADMIN_PORT": str(port)}
    admin = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=log, stderr=log)
    try:
        yield port
    finally:
        admin.send_signal(signal.SIGTERM)
        # uvicorn stops cleanly, then re-raises the signal it stopped on.
        assert admin.wait(30) in (0, -signal.SIGTERM)


@pytest.mark.asyncio
async def test_serve_admin_serves_the_admin_api_on_its_own_port(admin_port: int) -> None:
    await wait_for_status(admin_port, "/readyz", 200)
    token = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{admin_port}", timeout=5) as http:
        listed = await http.get("/admin/events", headers=token)
        refused = await http.get("/admin/events")
        webhook = await http.post("/webhooks/stripe", content=b"{}")

    assert listed.status_code == 200
    assert refused.status_code == 401
    assert webhook.status_code == 404
