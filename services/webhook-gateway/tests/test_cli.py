"""`finhub-gateway replay`: the operator's way to publish a stored event again."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from finhub_shared.db import Database

from .factories import signed, stripe_event
from .stored import outbox_envelopes


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
