"""The Pluggy client: its endpoints, cursor pages, and how it rides out Pluggy's failures.

Authentication (API key renewal, refused keys, secrets kept out of logs) belongs to the shared
connection and is tested in libs/pluggy/tests/test_connection.py.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from banking.pluggy import PluggyClient
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.provider_client import CircuitBreakerPolicy

from ..conftest import FAST_RETRIES
from ..pluggy_sandbox import SandboxPluggy, error


def client_for(fake: SandboxPluggy, *, breaker: CircuitBreakerPolicy) -> PluggyClient:
    return PluggyClient(
        os.environ["PLUGGY_API_URL"],
        fake.client_id,
        SecretStr(fake.client_secret),
        retry=FAST_RETRIES,
        breaker=breaker,
        transport=httpx.MockTransport(fake),
    )


@pytest.mark.asyncio
async def test_an_unknown_item_is_none(pluggy: PluggyClient) -> None:
    assert await pluggy.get_item("0d4f5c4e-0000-4000-8000-000000000000") is None


@pytest.mark.asyncio
async def test_transaction_pages_follow_the_cursor_to_the_end(
    fake_pluggy: SandboxPluggy, pluggy: PluggyClient
) -> None:
    fake_pluggy.page_size = 7
    account = fake_pluggy.add_account(fake_pluggy.add_item("company-1")["id"])
    added = fake_pluggy.add_transactions(account["id"], 30)

    pages = [page.transactions async for page in pluggy.transaction_pages(account["id"])]

    assert [len(page) for page in pages] == [7, 7, 7, 7, 2]
    assert [t.id for page in pages for t in page] == [t["id"] for t in added]


@pytest.mark.asyncio
async def test_transaction_pages_from_a_creation_time_only_bring_newer_ones(
    fake_pluggy: SandboxPluggy, pluggy: PluggyClient
) -> None:
    account = fake_pluggy.add_account(fake_pluggy.add_item("company-1")["id"])
    fake_pluggy.add_transactions(account["id"], 5, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    newer = fake_pluggy.add_transactions(
        account["id"], 3, created_at=datetime(2026, 11, 20, tzinfo=UTC)
    )

    pages = [
        page.transactions
        async for page in pluggy.transaction_pages(
            account["id"], created_at_from=datetime(2026, 11, 10, tzinfo=UTC)
        )
    ]

    assert [t.id for page in pages for t in page] == [t["id"] for t in newer]


@pytest.mark.asyncio
async def test_a_transaction_that_cannot_be_read_leaves_only_itself_out_of_its_page(
    fake_pluggy: SandboxPluggy, pluggy: PluggyClient
) -> None:
    account = fake_pluggy.add_account(fake_pluggy.add_item("company-1")["id"])
    first, no_amount, lone_surrogate = fake_pluggy.add_transactions(account["id"], 3)
    del no_amount["amount"]
    lone_surrogate["description"] = "caf\ud800"

    [page] = [page async for page in pluggy.transaction_pages(account["id"])]

    assert [t.id for t in page.transactions] == [first["id"], lone_surrogate["id"]]
    assert page.transactions[1].description == "caf\ud800"
    assert page.unreadable == ["unreadable_amount"]


@pytest.mark.asyncio
async def test_direction_and_amount_are_read_exactly(
    fake_pluggy: SandboxPluggy, pluggy: PluggyClient
) -> None:
    account = fake_pluggy.add_account(fake_pluggy.add_item("company-1")["id"])
    fake_pluggy.add_transactions(account["id"], 1, amount="0.10", transaction_type="CREDIT")

    [[transaction]] = [page.transactions async for page in pluggy.transaction_pages(account["id"])]

    assert transaction.type == "CREDIT"
    assert str(transaction.amount) == "0.1"


@pytest.mark.asyncio
async def test_429_and_500_are_retried_until_pluggy_answers(
    fake_pluggy: SandboxPluggy, pluggy: PluggyClient
) -> None:
    item = fake_pluggy.add_item("company-1")
    fake_pluggy.fail_next(
        "GET",
        r"/items/.*",
        httpx.Response(429, headers={"Retry-After": "60"}, json={"message": "Too many requests"}),
        error(500, "INTERNAL_ERROR", "boom"),
    )

    fetched = await pluggy.get_item(item["id"])

    assert fetched is not None
    assert fake_pluggy.calls_to("GET", r"/items/.*") == 3


@pytest.mark.asyncio
async def test_a_failing_pluggy_opens_the_circuit_then_it_recovers(
    fake_pluggy: SandboxPluggy,
) -> None:
    item = fake_pluggy.add_item("company-1")
    client = client_for(
        fake_pluggy, breaker=CircuitBreakerPolicy(failure_threshold=2, reset_after_seconds=0.2)
    )
    try:
        await client.get_item(item["id"])  # authenticated while Pluggy is well
        fake_pluggy.fail_next("GET", r"/items/.*", *[error(500, "INTERNAL", "down")] * 6)
        for _ in range(2):
            with pytest.raises(ProviderError):
                await client.get_item(item["id"])
        calls_while_failing = fake_pluggy.calls_to("GET", r"/items/.*")

        with pytest.raises(ProviderUnavailable):
            await client.get_item(item["id"])
        assert fake_pluggy.calls_to("GET", r"/items/.*") == calls_while_failing

        await asyncio.sleep(0.25)
        assert await client.get_item(item["id"]) is not None
    finally:
        await client.aclose()
