"""The Pluggy half's state for the life of the app (`app.state.pluggy`), and starting it over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from provider_sandbox.config import get_settings
from provider_sandbox.control import register_time_travel
from provider_sandbox.pluggy.state import PluggySandbox, new_sandbox

MOUNT_PATH = "/pluggy"


def _start_sandbox(app: FastAPI) -> PluggySandbox:
    settings = get_settings()
    sandbox = new_sandbox(
        client_id=settings.pluggy_client_id,
        client_secret=settings.pluggy_client_secret.get_secret_value(),
        public_url=f"{settings.base_url}{MOUNT_PATH}",
        dispatcher=app.state.webhooks,
        webhook_retry_seconds=settings.pluggy_webhook_retry_seconds,
        rate_limits=settings.pluggy_rate_limits,
    )
    app.state.pluggy = sandbox
    sandbox.timeline.start()
    return sandbox


async def restart_sandbox(app: FastAPI) -> PluggySandbox:
    """Replace the app's Pluggy state with a fresh one (its timeline stops first)."""
    old: PluggySandbox = app.state.pluggy
    await old.timeline.stop()
    return _start_sandbox(app)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the Pluggy half's state, hook its clock into `POST /_sandbox/advance`, run it."""
    _start_sandbox(app)

    async def time_travel(delta: timedelta) -> dict[str, Any]:
        sandbox: PluggySandbox = app.state.pluggy
        return await sandbox.advance(delta)

    register_time_travel(app, "pluggy", time_travel)
    yield
    sandbox: PluggySandbox = app.state.pluggy
    await sandbox.timeline.stop()
