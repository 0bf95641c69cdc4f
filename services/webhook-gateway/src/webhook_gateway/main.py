"""The webhook gateway's two HTTP apps: the public one for providers, the admin one for operators.

They are served on separate ports (GATEWAY_PORT, GATEWAY_ADMIN_PORT), so the ingress that exposes
the webhooks to the internet has no route to the operator's endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from finhub_shared.app import create_service_app
from finhub_shared.db import asyncpg_dsn
from webhook_gateway.admin import endpoints as admin_endpoints
from webhook_gateway.config import GatewaySettings, get_settings
from webhook_gateway.dead_letters import endpoints as dead_letter_endpoints
from webhook_gateway.webhooks import endpoints as webhook_endpoints
from webhook_gateway.webhooks.rate_limit import WebhookRateLimiter
from webhook_gateway.webhooks.service import Gate
from webhook_gateway.webhooks.store import EventStore


def create_app() -> FastAPI:
    """The public webhook API, `/webhooks/*` only (uvicorn factory)."""
    settings = get_settings()

    @asynccontextmanager
    async def hot_path(app: FastAPI) -> AsyncIterator[None]:
        pool = await _storage_pool(settings)
        store = EventStore(pool, app.state.supervisor)
        app.state.gate = Gate(
            settings=settings,
            store=store,
            limiter=WebhookRateLimiter(
                settings.rate_limit_per_source, settings.rate_limit_per_type
            ),
        )
        try:
            yield
        finally:
            await store.drain()
            await app.state.supervisor.stop()
            await pool.close()

    return create_service_app(
        service="webhook-gateway",
        title="Finance Hub webhook gateway",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        routers=[webhook_endpoints.router],
        extra_lifespan=hot_path,
        ready_needs_broker=False,
    )


def create_admin_app() -> FastAPI:
    """The operator's API, `/admin/*` behind ADMIN_TOKEN (uvicorn factory), on its own port."""
    settings = get_settings()
    return create_service_app(
        service="webhook-gateway-admin",
        title="Finance Hub webhook gateway admin",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        routers=[admin_endpoints.router, dead_letter_endpoints.router],
        # Replays go through the outbox, like the webhooks: the broker is the worker's concern.
        ready_needs_broker=False,
    )


async def _storage_pool(settings: GatewaySettings) -> asyncpg.Pool:
    # A pool of its own for the hot path, so admin queries never queue behind webhook writes.
    return await asyncpg.create_pool(
        asyncpg_dsn(settings.database_url.get_secret_value()),
        min_size=0,  # start even while PostgreSQL is down; requests then answer 503
        max_size=4,
        timeout=5,
        command_timeout=10,
        server_settings={"application_name": "webhook-gateway-hot-path"},
        # 0 behind PgBouncer in transaction mode: asyncpg then uses unnamed statements.
        statement_cache_size=settings.database_statement_cache_size,
    )
