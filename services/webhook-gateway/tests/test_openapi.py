"""The gateway's two OpenAPI documents (the public webhooks, the operator's admin API), driven by
schemathesis: whatever a generated client sends, the answer is below 500, documented for its
operation, and of the documented shape."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from hypothesis import given
from hypothesis import strategies as st

from finhub_dev.api_fuzzing import (
    FUZZ_SETTINGS,
    Operation,
    check_answer,
    operation_label,
    operations_of,
    requests_for,
)
from finhub_shared.db import Database
from webhook_gateway.main import create_admin_app, create_app

from .factories import signed, stripe_event

PUBLIC_OPERATIONS = operations_of(create_app())
ADMIN_OPERATIONS = operations_of(create_admin_app())


@pytest_asyncio.fixture
async def lenient_admin_client(
    database: Database,  # requested so that the app starts on clean tables
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin app, its 500s received as answers rather than raised."""
    admin_app = create_admin_app()
    async with LifespanManager(admin_app):
        transport = httpx.ASGITransport(app=admin_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as http:
            yield http


@pytest.mark.asyncio
@pytest.mark.parametrize("operation", PUBLIC_OPERATIONS, ids=operation_label)
@FUZZ_SETTINGS
@given(data=st.data())
async def test_every_public_answer_is_documented(
    lenient_client: httpx.AsyncClient, operation: Operation, data: st.DataObject
) -> None:
    case = data.draw(requests_for(operation, headers={}), label="request")

    await check_answer(lenient_client, case)


@pytest_asyncio.fixture
async def stored_event(lenient_client: httpx.AsyncClient) -> None:
    """A delivery the admin API can list, show and replay."""
    body, headers = signed(stripe_event("invoice.paid"))
    await lenient_client.post("/webhooks/stripe", content=body, headers=headers)


@pytest.mark.asyncio
@pytest.mark.usefixtures("stored_event")
@pytest.mark.parametrize("operation", ADMIN_OPERATIONS, ids=operation_label)
@FUZZ_SETTINGS
@given(data=st.data())
async def test_every_admin_answer_is_documented(
    lenient_admin_client: httpx.AsyncClient, operation: Operation, data: st.DataObject
) -> None:
    operator = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}
    case = data.draw(requests_for(operation, operator), label="request")

    await check_answer(lenient_admin_client, case)
