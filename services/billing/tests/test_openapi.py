"""Billing's OpenAPI document, driven by schemathesis: whatever a generated client sends, valid or
not, the answer is below 500, documented for its operation, and of the documented shape."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from billing.main import create_app
from finhub_dev.api_fuzzing import (
    FUZZ_SETTINGS,
    Operation,
    check_answer,
    is_stream,
    operation_label,
    operations_of,
    requests_for,
)

from .conftest import Deliver
from .scenario import Company, subscribed_company
from .stripe_sandbox import SandboxStripe

OPERATIONS = [operation for operation in operations_of(create_app()) if not is_stream(operation)]


@pytest_asyncio.fixture
async def company(
    lenient_client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    """A subscribed company, so that the subscription's routes have something to act on."""
    return await subscribed_company(lenient_client, fake_stripe, deliver)


@pytest.mark.asyncio
@pytest.mark.parametrize("operation", OPERATIONS, ids=operation_label)
@FUZZ_SETTINGS
@given(data=st.data())
async def test_every_answer_is_documented(
    lenient_client: httpx.AsyncClient,
    company: Company,
    operation: Operation,
    data: st.DataObject,
) -> None:
    case = data.draw(requests_for(operation, company.headers), label="request")

    await check_answer(lenient_client, case)
