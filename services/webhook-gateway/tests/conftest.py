from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from finhub_dev.testing import ServiceUnderTest
from webhook_gateway.config import get_settings
from webhook_gateway.main import create_app
from webhook_gateway.tables import Base

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="GATEWAY_DATABASE_URL",
        metadata=Base.metadata,
        app_factory=create_app,
    )


@pytest.fixture
def gateway_with(
    monkeypatch: pytest.MonkeyPatch, database: object
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """A gateway started with some settings changed (environment variable → value)."""

    @asynccontextmanager
    async def start(**environment: str) -> AsyncIterator[httpx.AsyncClient]:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            app = create_app()
            async with LifespanManager(app):
                transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
                async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                    yield client
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()

    return start
