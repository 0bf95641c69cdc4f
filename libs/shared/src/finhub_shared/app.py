"""The FastAPI app factory every service uses: logging, database, auth, errors, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

import aio_pika
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp, Receive, Scope, Send

from finhub_shared.auth import TokenVerifier
from finhub_shared.body_limit import install_body_limit
from finhub_shared.db import Database
from finhub_shared.errors import install_error_handlers
from finhub_shared.logging import configure_logging
from finhub_shared.observability import install_observability
from finhub_shared.openapi import DocumentedApp, operation_id
from finhub_shared.runtime import settle_garbage_collector
from finhub_shared.settings import ServiceSettings, TokenVerificationSettings
from finhub_shared.supervision import Supervisor
from finhub_shared.tracing import configure_tracing, instrument_app

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# FastAPI's own OpenTelemetry support stays off: `instrument_app` traces requests when tracing is
# on (FastAPI's then stands aside), and when it is off, FastAPI still asked the global providers
# whether to trace on every request (4% of the gateway's time under load).
WITHOUT_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class WithoutTrailingSlash:
    """Routes are declared without a trailing slash; `/path/` is answered as `/path`, never
    redirected (a redirect behind a TLS proxy can point at http:// or the wrong host)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
        await self.app(scope, receive, send)


async def ping_broker(amqp_url: str, connect_timeout: float = 2.0) -> None:
    """Raise if RabbitMQ does not accept an AMQP connection."""
    connection = await aio_pika.connect(amqp_url, timeout=connect_timeout)
    await connection.close()


def create_service_app(
    *,
    service: str,
    title: str,
    settings: ServiceSettings,
    database_url: str,
    routers: Sequence[APIRouter] = (),
    extra_lifespan: ExtraLifespan | None = None,
    ready_needs_broker: bool = True,
    larger_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """A service's app with everything shared wired in; `extra_lifespan` adds its own resources
    and runs its long-lived tasks under `app.state.supervisor` (reported by /readyz).

    `ready_needs_broker=False` is for a service that keeps accepting work while the broker is
    down (the gateway stores webhooks in its outbox), so an outage must not take it out of rotation.
    `larger_bodies` names the routes (path patterns) that read bodies over MAX_REQUEST_BODY_BYTES.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            service, settings.log_level, json=settings.log_json, access_log=settings.log_access
        )
        app.state.settings = settings
        app.state.database = Database(
            database_url,
            application_name=f"{service}-api",
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            statement_cache_size=settings.database_statement_cache_size,
        )
        app.state.supervisor = Supervisor()
        app.state.supervisor.watch()
        if isinstance(settings, TokenVerificationSettings):
            app.state.token_verifier = TokenVerifier(
                settings.jwt_public_key_pem, settings.jwt_issuer, settings.jwt_audience
            )
        try:
            async with extra_lifespan(app) if extra_lifespan else nullcontext():
                settle_garbage_collector()
                yield
        finally:
            await app.state.supervisor.stop()
            await app.state.database.dispose()

    app = DocumentedApp(
        title=title,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        redirect_slashes=False,
        telemetry=WITHOUT_FASTAPI_TELEMETRY,
    )
    install_error_handlers(app)
    configure_tracing(service)
    instrument_app(app)

    async def check_database() -> None:
        await app.state.database.ping()

    async def check_broker() -> None:
        await ping_broker(settings.amqp_url.get_secret_value())

    async def check_tasks() -> None:
        await app.state.supervisor.check_tasks()

    async def check_tasks_alive() -> None:
        await app.state.supervisor.check_alive()

    # The service's routes are matched before the probes': they carry the traffic.
    for router in routers:
        app.include_router(router)
    install_body_limit(app, settings.max_request_body_bytes, larger_bodies)
    checks = {"database": check_database, "tasks": check_tasks}
    if ready_needs_broker:
        checks["broker"] = check_broker
    install_observability(app, checks, alive_checks={"tasks": check_tasks_alive})
    # Added last, so it runs first: metrics and the body limit see the path as routed.
    app.add_middleware(WithoutTrailingSlash)
    return app
