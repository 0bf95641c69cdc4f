"""The live service's app: `GET /api/live/stream`, fed by this replica's Hub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from finhub_shared.app import create_service_app
from finhub_shared.db import asyncpg_dsn
from finhub_shared.events import utcnow
from live.config import get_settings
from live.streams import endpoints
from live.streams.hub import Hub


def create_app(clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """The stream API (uvicorn factory); `clock` tells when tokens expire and streams beat."""
    settings = get_settings()
    database_url = settings.database_url.get_secret_value()

    @asynccontextmanager
    async def streams(app: FastAPI) -> AsyncIterator[None]:
        app.state.clock = clock
        app.state.hub = Hub(app.state.database, asyncpg_dsn(database_url), clock)
        app.state.hub.start(app.state.supervisor)
        try:
            yield
        finally:
            await app.state.hub.release()

    return create_service_app(
        service="live",
        title="Finance Hub live stream",
        settings=settings,
        database_url=database_url,
        routers=[endpoints.router],
        extra_lifespan=streams,
        # The API reads what the worker stored; the broker is the worker's concern.
        ready_needs_broker=False,
    )
