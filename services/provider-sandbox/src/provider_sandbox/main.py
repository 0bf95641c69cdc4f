"""The provider sandbox's HTTP API: app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from finhub_shared.errors import install_error_handlers
from finhub_shared.logging import configure_logging
from finhub_shared.observability import install_observability
from provider_sandbox.config import get_settings
from provider_sandbox.pluggy import routes as pluggy_routes
from provider_sandbox.stripe import routes as stripe_routes


def create_app() -> FastAPI:
    """The sandbox API (uvicorn factory); it keeps its state in memory, so it is always ready."""
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("provider-sandbox", settings.log_level, json=settings.log_json)
        app.state.settings = settings
        yield

    app = FastAPI(
        title="Finance Hub provider sandbox (Stripe and Pluggy stand-in)", lifespan=lifespan
    )
    install_error_handlers(app)
    install_observability(app, {})
    app.include_router(stripe_routes.router)
    app.include_router(pluggy_routes.router, prefix="/pluggy")
    return app
