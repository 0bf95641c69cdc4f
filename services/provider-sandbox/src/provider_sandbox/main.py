"""The provider sandbox's HTTP API: app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from finhub_shared.body_limit import install_body_limit
from finhub_shared.errors import install_error_handlers
from finhub_shared.logging import configure_logging
from finhub_shared.observability import install_observability
from provider_sandbox import control
from provider_sandbox.config import get_settings
from provider_sandbox.faults import PLUGGY_SCOPE, STRIPE_SCOPE, FaultInjectionMiddleware, FaultPlan
from provider_sandbox.openai import routes as openai_routes
from provider_sandbox.pluggy import routes as pluggy_routes
from provider_sandbox.stripe import files as stripe_files
from provider_sandbox.stripe import routes as stripe_routes
from provider_sandbox.webhooks import WebhookDispatcher


def create_app(*, webhook_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The sandbox API (uvicorn factory); it keeps its state in memory, so it is always ready.

    `webhook_transport` replaces the network for outgoing webhooks (tests).
    """
    settings = get_settings()
    faults = FaultPlan()
    webhooks = WebhookDispatcher(faults, transport=webhook_transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("provider-sandbox", settings.log_level, json=settings.log_json)
        app.state.settings = settings
        await webhooks.start()
        yield
        await webhooks.stop()

    app = FastAPI(
        title="Finance Hub provider sandbox (Stripe, Pluggy and OpenAI stand-in)", lifespan=lifespan
    )
    app.state.faults = faults
    app.state.webhooks = webhooks
    app.state.time_travel = {}
    install_error_handlers(app)
    # Middleware added later runs outside: faults are never saved as idempotent answers, and
    # metrics and correlation ids cover injected faults too.
    stripe_routes.install(app, settings)
    app.add_middleware(FaultInjectionMiddleware, plan=faults, scopes=(STRIPE_SCOPE, PLUGGY_SCOPE))
    # Outside the idempotency middleware, which reads the body itself; uploads to Stripe's
    # files API may be larger than the services' bodies.
    install_body_limit(
        app, settings.max_request_body_bytes, {"/v1/files": stripe_files.MAX_BODY_BYTES}
    )
    install_observability(app, {})
    app.include_router(stripe_routes.router)
    app.include_router(control.router)
    app.include_router(pluggy_routes.router, prefix="/pluggy")
    app.include_router(openai_routes.router, prefix=openai_routes.MOUNT_PATH)
    return app
