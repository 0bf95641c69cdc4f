"""The live app as deployed: its OpenAPI page documents the stream, /readyz names its tasks,
a quiet stream sends heartbeats, and the settings keep at least a day of events."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from finhub_dev.sse import opened
from finhub_shared.settings import MissingSettingError, load_settings
from live.config import LiveSettings, get_settings

from .conftest import Serve, token


@pytest.mark.asyncio
async def test_the_openapi_page_documents_the_stream_as_server_sent_events(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    answers = document["paths"]["/api/live/stream"]["get"]["responses"]
    assert "text/event-stream" in answers["200"]["content"]
    assert {"401", "429"} <= set(answers)
    parameters = document["paths"]["/api/live/stream"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["last-event-id"]


@pytest.mark.asyncio
async def test_readyz_answers_with_the_listener_and_fan_out_running(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ready = await client.get("/readyz")

    assert ready.status_code == 200, ready.text
    assert app.state.hub.open_streams == 0


@pytest.mark.asyncio
async def test_a_quiet_stream_sends_heartbeat_comments(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVE_HEARTBEAT_SECONDS", "0.1")
    get_settings.cache_clear()
    async with (
        serve() as live,
        opened(live, token(uuid.uuid4(), uuid.uuid4())) as (_, stream),
    ):
        assert stream is not None
        while stream.comments < 2:
            await stream.wait_for_input()


def test_fewer_than_24_hours_of_retention_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_RETENTION_HOURS", "12")

    with pytest.raises(
        MissingSettingError,
        match="LIVE_RETENTION_HOURS: Input should be greater than or equal to 24",
    ):
        load_settings(LiveSettings, "live")


def test_the_command_line_serves_works_and_migrates() -> None:
    command = [str(Path(sys.executable).parent / "finhub-live"), "--help"]
    answer = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)

    for subcommand in ("serve", "worker", "migrate", "dlq"):
        assert subcommand in answer.stdout
