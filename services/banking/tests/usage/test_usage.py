"""Transactions counted per company and month; past the limit they are kept but flagged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from banking.registries import entitlement_events
from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import (
    connect_bank,
    deliver,
    entitlements_event,
    outbox,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy


@pytest.mark.asyncio
async def test_past_the_monthly_limit_transactions_are_kept_flagged_and_reported(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await deliver(
        worker_runtime,
        entitlements_event(company_id, "starter", bank_accounts=3, transactions_per_month=5),
        "banking.entitlements",
        entitlement_events,
    )
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    fake_pluggy.page_size = 3
    fake_pluggy.add_transactions(account, 8, when=datetime(2026, 10, 2, tzinfo=UTC))
    fake_pluggy.add_transactions(account, 2, when=datetime(2026, 9, 2, tzinfo=UTC))

    await run_queued_syncs(worker_runtime)

    listed = await client.get(
        "/api/banking/transactions/", params={"limit": 200}, headers=token_for(company_id)
    )
    october = [t for t in listed.json()["results"] if t["date"].startswith("2026-10")]
    assert len(october) == 8
    assert sum(t["over_limit"] for t in october) == 3
    assert not any(t["over_limit"] for t in listed.json()["results"] if t not in october)
    reports = {
        e["data"]["month"]: e["data"] for e in await outbox(database, "banking.usage.changed")
    }
    assert reports["2026-10"] == {
        "company_id": str(company_id),
        "month": "2026-10",
        "bank_accounts": 1,
        "transactions_this_month": 8,
        "transactions_limit": 5,
        "over_limit": True,
    }
    assert reports["2026-09"]["over_limit"] is False
    [notice] = await outbox(database, "banking.notification.requested")
    assert notice["data"]["kind"] == "transaction_limit_reached"
    assert notice["data"]["month"] == "2026-10"


@pytest.mark.asyncio
async def test_the_company_is_told_once_per_month(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await deliver(
        worker_runtime,
        entitlements_event(company_id, "starter", bank_accounts=3, transactions_per_month=1),
        "banking.entitlements",
        entitlement_events,
    )
    connected = await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(account, 2, when=datetime(2026, 10, 2, tzinfo=UTC))
    await run_queued_syncs(worker_runtime)
    fake_pluggy.add_transactions(
        account,
        2,
        when=datetime(2026, 10, 9, tzinfo=UTC),
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
    )

    await client.post(
        f"/api/banking/accounts/{connected['accounts'][0]['id']}/sync/",
        headers=token_for(company_id),
    )
    await run_queued_syncs(worker_runtime)

    assert len(await outbox(database, "banking.notification.requested")) == 1


@pytest.mark.asyncio
async def test_usage_shows_the_plan_and_this_months_use(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id, accounts=2)

    usage = (await client.get("/api/banking/usage/", headers=token_for(company_id))).json()

    assert usage["status"] == "trial"
    assert (usage["bank_accounts"], usage["bank_accounts_limit"]) == (2, 10)
    assert (usage["transactions"], usage["transactions_limit"]) == (0, 5000)
    assert usage["over_limit"] is False
