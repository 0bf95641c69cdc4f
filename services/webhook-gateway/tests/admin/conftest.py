"""Admin tests talk to the admin app as `client`; providers deliver through `webhooks`."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from finhub_shared.db import Database
from webhook_gateway.main import create_admin_app


@pytest_asyncio.fixture
async def client(
    database: Database,  # requested so that the app starts on clean tables
) -> AsyncIterator[httpx.AsyncClient]:
    """The operator's client: the admin app, served apart from the webhooks."""
    admin_app = create_admin_app()
    async with LifespanManager(admin_app):
        transport = httpx.ASGITransport(app=admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as http:
            yield http


@pytest_asyncio.fixture
async def webhooks(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The providers' client: the public app, where the events the operator sees arrive."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http
