"""Banking's OpenAPI document, driven by schemathesis: whatever a generated client sends, valid or
not, the answer is below 500, documented for its operation, and of the documented shape."""

from __future__ import annotations

import uuid

import httpx
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from banking.main import create_app
from banking.runtime import Runtime
from finhub_dev.api_fuzzing import (
    FUZZ_SETTINGS,
    Operation,
    check_answer,
    is_stream,
    operation_label,
    operations_of,
    requests_for,
)

from .conftest import connect_bank, run_queued_syncs, token_for
from .pluggy_sandbox import SandboxPluggy

OPERATIONS = [operation for operation in operations_of(create_app()) if not is_stream(operation)]


@pytest_asyncio.fixture
async def owner(
    worker_runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> dict[str, str]:
    """The headers of an owner whose company has a synced bank account."""
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 3, merchant="Uber")
    await run_queued_syncs(worker_runtime)
    return token_for(company_id)


@pytest.mark.asyncio
@pytest.mark.parametrize("operation", OPERATIONS, ids=operation_label)
@FUZZ_SETTINGS
@given(data=st.data())
async def test_every_answer_is_documented(
    lenient_client: httpx.AsyncClient,
    owner: dict[str, str],
    operation: Operation,
    data: st.DataObject,
) -> None:
    case = data.draw(requests_for(operation, owner), label="request")

    await check_answer(lenient_client, case)
