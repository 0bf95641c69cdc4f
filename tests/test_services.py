"""What every service promises (DESIGN.md): health, readiness, metrics, JSON errors, its
migrations matching its models, and refusing to start without a secret."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import banking.config
import banking.main
import billing.config
import billing.main
import live.config
import live.main
import provider_sandbox.config
import provider_sandbox.main
import webhook_gateway.config
import webhook_gateway.main
from finhub_dev.testing import migrate_fresh
from finhub_shared.cli import alembic_config

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Service:
    name: str
    command: str
    app_factory: Callable[[], FastAPI]
    secret: str  # one variable it cannot start without
    database_variable: str | None
    body_route: str | None  # a POST whose body the service reads (None: it reads none)


SERVICES = [
    Service(
        "webhook-gateway",
        "finhub-gateway",
        webhook_gateway.main.create_app,
        "PLUGGY_WEBHOOK_SECRET",
        "GATEWAY_DATABASE_URL",
        "/webhooks/stripe",
    ),
    Service(
        "billing",
        "finhub-billing",
        billing.main.create_app,
        "JWT_PRIVATE_KEY",
        "BILLING_DATABASE_URL",
        "/api/auth/login",
    ),
    Service(
        "banking",
        "finhub-banking",
        banking.main.create_app,
        "MFA_ENCRYPTION_KEY",
        "BANKING_DATABASE_URL",
        "/api/banking/rules/",
    ),
    Service(
        "live",
        "finhub-live",
        live.main.create_app,
        "JWT_PUBLIC_KEY",
        "LIVE_DATABASE_URL",
        None,
    ),
    Service(
        "provider-sandbox",
        "finhub-sandbox",
        provider_sandbox.main.create_app,
        "STRIPE_WEBHOOK_SECRET",
        None,
        "/v1/customers",
    ),
]
DATABASE_SERVICES = [service for service in SERVICES if service.database_variable]
BODY_SERVICES = [service for service in SERVICES if service.body_route]


@pytest_asyncio.fixture(params=SERVICES, ids=lambda service: service.name)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    app = request.param.app_factory()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


BODY_LIMIT = 4096
# The sandbox's Stripe API wants a test key; its idempotency middleware reads the body itself.
BODY_HEADERS = {"Authorization": "Bearer sk_test_body_limit", "Idempotency-Key": "body-limit"}


@pytest_asyncio.fixture(params=BODY_SERVICES, ids=lambda service: service.name)
async def limited(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """A service whose MAX_REQUEST_BODY_BYTES is small (the gateway's own webhook limit is not)."""
    monkeypatch.setenv("MAX_REQUEST_BODY_BYTES", str(BODY_LIMIT))
    _clear_settings_cache()
    try:
        app = request.param.app_factory()
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield request.param, http
    finally:
        monkeypatch.undo()
        _clear_settings_cache()


@pytest.mark.asyncio
async def test_healthz_answers_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "alive"


@pytest.mark.asyncio
async def test_readyz_reaches_the_real_database_and_broker(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert all(outcome == "ok" for outcome in response.json()["checks"].values())


@pytest.mark.asyncio
async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'route="/healthz"' in response.text


@pytest.mark.asyncio
async def test_unknown_route_is_a_json_404_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.asyncio
async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"].startswith("Finance Hub")


@pytest.mark.asyncio
async def test_a_body_over_the_limit_is_refused_by_its_content_length(
    limited: tuple[Service, httpx.AsyncClient],
) -> None:
    service, http = limited
    assert service.body_route

    response = await http.post(
        service.body_route, content=b"x" * (BODY_LIMIT + 1), headers=BODY_HEADERS
    )

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": f"The request body is over {BODY_LIMIT} bytes.",
    }


@pytest.mark.asyncio
async def test_a_chunked_body_is_refused_once_it_passes_the_limit_without_reading_the_rest(
    limited: tuple[Service, httpx.AsyncClient],
) -> None:
    service, http = limited
    assert service.body_route
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for number in range(100):
            sent.append(number)
            yield b"x" * 1024

    response = await http.post(service.body_route, content=chunks(), headers=BODY_HEADERS)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert len(sent) == BODY_LIMIT // 1024 + 1  # the first chunk past the limit, not one more


@pytest.mark.asyncio
@pytest.mark.parametrize("service", DATABASE_SERVICES, ids=lambda service: service.name)
async def test_readyz_names_the_database_when_it_is_unreachable(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.database_variable
    monkeypatch.setenv(service.database_variable, "postgresql://nobody@127.0.0.1:1/none")
    _clear_settings_cache()
    try:
        app = service.app_factory()
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.get("/readyz")
    finally:
        monkeypatch.undo()
        _clear_settings_cache()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] != "ok"
    assert "nobody" not in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("service", DATABASE_SERVICES, ids=lambda service: service.name)
async def test_migrations_build_exactly_the_models(service: Service) -> None:
    assert service.database_variable
    url = os.environ[service.database_variable]
    await migrate_fresh(_service_dir(service), url, os.environ["POSTGRES_ADMIN_URL"])
    # alembic check raises when the models hold something no migration creates.
    await asyncio.to_thread(command.check, alembic_config(_service_dir(service), url))


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_refuses_to_start_without_a_secret_in_one_line(service: Service, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != service.secret}
    result = subprocess.run(
        [str(Path(sys.executable).parent / service.command), "serve", "--port", "1"],
        cwd=tmp_path,  # no .env there to fill the gap
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"{service.name} refuses to start: {service.secret} is not set"
    ]


def _service_dir(service: Service) -> Path:
    return ROOT / "services" / service.name


def _clear_settings_cache() -> None:
    for module in (billing, banking, live, webhook_gateway, provider_sandbox):  # each one's config
        module.config.get_settings.cache_clear()
