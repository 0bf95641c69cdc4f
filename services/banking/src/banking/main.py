"""Banking's HTTP API: app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from banking.accounts.endpoints import router as accounts_router
from banking.audit.endpoints import router as audit_router
from banking.categories.endpoints import router as categories_router
from banking.config import BankingSettings, get_settings
from banking.connectors.endpoints import router as connectors_router
from banking.insights.endpoints import router as insights_router
from banking.items.endpoints import router as items_router
from banking.learning.endpoints import router as learning_router
from banking.pix.endpoints import router as pix_router
from banking.pluggy import api_retry, client_for
from banking.runtime import Runtime
from banking.summary.endpoints import router as summary_router
from banking.sync.endpoints import router as sync_router
from banking.transactions.endpoints import router as transactions_router
from banking.usage.endpoints import router as usage_router
from finhub_shared.app import create_service_app
from finhub_shared.events import utcnow

ROUTERS = (
    items_router,
    connectors_router,
    accounts_router,
    sync_router,
    transactions_router,
    categories_router,
    learning_router,
    summary_router,
    pix_router,
    usage_router,
    audit_router,
    insights_router,
)


def create_app(
    pluggy_transport: httpx.AsyncBaseTransport | None = None,
    settings: BankingSettings | None = None,
) -> FastAPI:
    """The banking API (uvicorn factory); tests pass a transport that fakes Pluggy, and settings
    of their own, and may set `app.state.clock`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def banking_lifespan(app: FastAPI) -> AsyncIterator[None]:
        pluggy = client_for(settings, api_retry(settings), pluggy_transport)
        app.state.clock = utcnow
        app.state.runtime = Runtime(settings=settings, database=app.state.database, pluggy=pluggy)
        try:
            yield
        finally:
            await pluggy.aclose()

    return create_service_app(
        service="banking",
        title="Finance Hub banking",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        routers=ROUTERS,
        extra_lifespan=banking_lifespan,
    )
