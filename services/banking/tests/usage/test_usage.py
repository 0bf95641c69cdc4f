"""Transactions counted per company and month: past the month's limit they are kept but hidden
from the listing, a transaction's page and the dashboard, until a larger plan shows them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from banking.entitlements import service as entitlements
from banking.entitlements.schemas import EntitlementsSnapshot
from banking.registries import entitlement_events
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from banking.usage import service as usage
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import (
    connect_bank,
    deliver,
    entitlements_event,
    outbox,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy


async def on_plan(
    runtime: Runtime, company_id: uuid.UUID, transactions_per_month: int | None
) -> None:
    """Billing's snapshot of a plan with this monthly transaction limit, delivered."""
    await deliver(
        runtime,
        entitlements_event(
            company_id, "starter", bank_accounts=3, transactions_per_month=transactions_per_month
        ),
        "banking.entitlements",
        entitlement_events,
    )


async def listed(client: httpx.AsyncClient, company_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every transaction the listing shows the company."""
    answer = await client.get(
        "/api/banking/transactions/", params={"limit": 200}, headers=token_for(company_id)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


async def stored(database: Database, company_id: uuid.UUID) -> dict[str, bool]:
    """Every transaction banking keeps for the company: hidden or not, by id."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(Transaction.id, Transaction.over_limit).where(
                Transaction.company_id == company_id
            )
        )
        return {str(row.id): row.over_limit for row in rows}


async def summary_of(client: httpx.AsyncClient, company_id: uuid.UUID) -> dict[str, Any]:
    answer = await client.get(
        "/api/banking/summary/",
        params={"from": "2026-09-01", "to": "2026-10-31"},
        headers=token_for(company_id),
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def october_past_its_limit(
    worker_runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, limit: int
) -> uuid.UUID:
    """A company on a plan of `limit` transactions a month whose bank synced 8 in October and 2
    in September (R$ 10.00 each, an hour apart); its id."""
    company_id = uuid.uuid4()
    await on_plan(worker_runtime, company_id, limit)
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    fake_pluggy.page_size = 3
    fake_pluggy.add_transactions(account, 8, amount="10.00", when=datetime(2026, 10, 2, tzinfo=UTC))
    fake_pluggy.add_transactions(account, 2, amount="10.00", when=datetime(2026, 9, 2, tzinfo=UTC))
    await run_queued_syncs(worker_runtime)
    return company_id


@pytest.mark.asyncio
async def test_past_the_monthly_limit_transactions_are_kept_but_hidden_everywhere(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = await october_past_its_limit(worker_runtime, client, fake_pluggy, 5)

    kept = await stored(database, company_id)
    shown = await listed(client, company_id)
    assert len(kept) == 10
    assert sum(kept.values()) == 3
    assert {t["id"] for t in shown} == {id_ for id_, hidden in kept.items() if not hidden}
    assert sum(t["date"].startswith("2026-10") for t in shown) == 5
    assert all("over_limit" not in t for t in shown)
    hidden_id = next(id_ for id_, hidden in kept.items() if hidden)
    one = await client.get(f"/api/banking/transactions/{hidden_id}", headers=token_for(company_id))
    assert (one.status_code, one.json()["code"]) == (404, "not_found")
    fixed = await client.patch(
        f"/api/banking/transactions/{hidden_id}",
        json={"category_id": "05000000"},
        headers=token_for(company_id),
    )
    assert fixed.status_code == 404
    dashboard = await summary_of(client, company_id)
    assert dashboard["months"] == [
        {"month": "2026-09", "income_cents": 0, "spending_cents": 2000},
        {"month": "2026-10", "income_cents": 0, "spending_cents": 5000},
    ]
    assert dashboard["hidden_transactions"] == 3
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
    assert notice["data"]["message"] == (
        "Your plan's 5 transactions for 10/2026 are used up; newer ones are still saved, but "
        "hidden from your transactions and dashboard. Upgrade your plan to see them all."
    )


@pytest.mark.asyncio
async def test_an_upgrade_shows_the_hidden_transactions_oldest_first_a_downgrade_hides_none(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = await october_past_its_limit(worker_runtime, client, fake_pluggy, 5)
    hidden_before = {id_ for id_, hidden in (await stored(database, company_id)).items() if hidden}
    reported_before = len(await outbox(database, "banking.usage.changed"))

    await on_plan(worker_runtime, company_id, 6)

    after_six = {t["id"]: t["date"] for t in await listed(client, company_id)}
    assert len(after_six) == 8
    [revealed] = hidden_before & set(after_six)
    reported = (await outbox(database, "banking.usage.changed"))[reported_before:]
    assert [(e["data"]["month"], e["data"]["transactions_limit"]) for e in reported] == [
        ("2026-10", 6)
    ]

    await on_plan(worker_runtime, company_id, None)

    every = {t["id"]: t["date"] for t in await listed(client, company_id)}
    assert len(every) == 10
    assert not any((await stored(database, company_id)).values())
    # The oldest hidden one was shown first.
    assert every[revealed] == min(every[id_] for id_ in hidden_before)
    assert (await summary_of(client, company_id))["hidden_transactions"] == 0

    await on_plan(worker_runtime, company_id, 1)

    assert len(await listed(client, company_id)) == 10


@pytest.mark.asyncio
async def test_a_month_shown_whole_by_an_upgrade_is_told_again_once_past_the_new_limit(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = await october_past_its_limit(worker_runtime, client, fake_pluggy, 5)
    await on_plan(worker_runtime, company_id, 8)
    assert len(await listed(client, company_id)) == 10
    account = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(
        account,
        1,
        when=datetime(2026, 10, 20, tzinfo=UTC),
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    connected_account = (await listed(client, company_id))[0]["account_id"]

    await client.post(
        f"/api/banking/accounts/{connected_account}/sync/", headers=token_for(company_id)
    )
    await run_queued_syncs(worker_runtime)

    notices = await outbox(database, "banking.notification.requested")
    assert [(n["data"]["month"], n["data"]["transactions_limit"]) for n in notices] == [
        ("2026-10", 5),
        ("2026-10", 8),
    ]
    assert len(await listed(client, company_id)) == 10


@pytest.mark.asyncio
async def test_a_sync_that_ends_under_a_larger_plan_shows_what_it_hid(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = await october_past_its_limit(worker_runtime, client, fake_pluggy, 5)
    # Billing's new plan is kept while a sync still counts against the old one: its pages hide
    # what they would, the sync's end shows them.
    async with database.transaction() as session:
        snapshot = EntitlementsSnapshot.model_validate(
            entitlements_event(
                company_id, "enterprise", bank_accounts=None, transactions_per_month=None
            ).data
        )
        assert await entitlements.apply_snapshot(session, snapshot, utcnow())
    assert len(await listed(client, company_id)) == 7
    connected_account = (await listed(client, company_id))[0]["account_id"]

    await client.post(
        f"/api/banking/accounts/{connected_account}/sync/", headers=token_for(company_id)
    )
    await run_queued_syncs(worker_runtime)

    assert len(await listed(client, company_id)) == 10


@pytest.mark.asyncio
async def test_a_company_without_a_plan_keeps_every_transaction_hidden_and_is_told_so(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = await october_past_its_limit(worker_runtime, client, fake_pluggy, 0)

    assert await listed(client, company_id) == []
    assert (await summary_of(client, company_id))["hidden_transactions"] == 10
    messages = {
        n["data"]["month"]: n["data"]["message"]
        for n in await outbox(database, "banking.notification.requested")
    }
    assert messages["2026-10"] == (
        "Your company has no plan covering transactions for 10/2026; new ones are still saved, "
        "but hidden from your transactions and dashboard. Choose a plan to see them all."
    )

    await on_plan(worker_runtime, company_id, 5)

    assert len(await listed(client, company_id)) == 7


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
    app: FastAPI, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id, accounts=2)
    # 31 October in Brazil, already 1 November in UTC: the month is Brazil's.
    app.state.clock = lambda: datetime(2026, 11, 1, 2, tzinfo=UTC)

    usage = (await client.get("/api/banking/usage/", headers=token_for(company_id))).json()

    assert (usage["status"], usage["month"]) == ("trial", "2026-10")
    assert (usage["bank_accounts"], usage["bank_accounts_limit"]) == (2, 10)
    assert (usage["transactions"], usage["transactions_limit"]) == (0, 5000)
    assert (usage["over_limit"], usage["hidden_transactions"]) == (False, 0)


@pytest.mark.asyncio
async def test_a_pages_new_transactions_are_counted_in_their_months_each_against_the_limit(
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    september, october = date(2026, 9, 1), date(2026, 10, 1)
    new = {month: [uuid.uuid4() for _ in range(4)] for month in (september, october)}

    async with database.transaction() as session:
        first = await usage.count_new_transactions(
            session, company_id, {october: new[october][:3], september: new[september][:1]}, 3
        )
        second = await usage.count_new_transactions(
            session, company_id, {september: new[september][1:], october: new[october][3:]}, 3
        )
        unlimited = await usage.count_new_transactions(
            session, company_id, {october: [uuid.uuid4()]}, None
        )

    assert first == []
    assert set(second) == {new[september][3], new[october][3]}
    assert unlimited == []
