"""The dashboard across every bank of the company."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import connect_bank, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy


def on(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 15, tzinfo=UTC)


@pytest.mark.asyncio
async def test_the_summary_adds_up_every_bank_of_the_company_only(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id)  # a checking account, R$ 1,000.50
    card_item = fake_pluggy.add_item(str(company_id), connector_id=301)
    card = fake_pluggy.add_account(
        card_item["id"], account_type="CREDIT", subtype="CREDIT_CARD", balance="1200.00"
    )
    await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": card_item["id"]},
        headers=token_for(company_id),
    )
    checking = next(a for a in fake_pluggy.accounts.values() if a["type"] == "BANK")["id"]
    for month in (7, 8, 9, 10):
        fake_pluggy.add_transactions(
            checking,
            1,
            when=on(month, 5),
            description="SALARIO",
            transaction_type="CREDIT",
            amount="5000.00",
            category=("Income", "01000000"),
        )
        fake_pluggy.add_transactions(
            card["id"],
            1,
            when=on(month, 12),
            description="NETFLIX.COM",
            merchant="Netflix",
            amount="39.90",
            category=("Video streaming", "09020000"),
        )
    for month, amount in ((8, "12.00"), (9, "85.00"), (10, "30.00")):
        fake_pluggy.add_transactions(
            card["id"],
            1,
            when=on(month, 20),
            description="UBER TRIP",
            merchant="Uber",
            amount=amount,
            category=("Transportation", "19000000"),
        )
    fake_pluggy.add_transactions(
        checking,
        1,
        when=on(9, 25),
        description="TED MESMA TITULARIDADE",
        amount="700.00",
        category=("Same person transfer", "04000000"),
    )
    fake_pluggy.add_transactions(
        card["id"],
        1,
        when=on(10, 1),
        description="PAGAMENTO FATURA",
        amount="200.00",
        transaction_type="CREDIT",
        category=("Credit card payment", "05100000"),
    )
    stranger = uuid.uuid4()
    await connect_bank(client, fake_pluggy, stranger)
    stranger_account = next(
        a
        for a in fake_pluggy.accounts.values()
        if a["itemId"] != card_item["id"] and a["id"] != checking
    )
    fake_pluggy.add_transactions(stranger_account["id"], 5, when=on(9), amount="999.00")
    await run_queued_syncs(worker_runtime)

    response = await client.get(
        "/api/banking/summary/",
        params={"from": "2026-07-01", "to": "2026-10-31"},
        headers=token_for(company_id),
    )

    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["balances"] == [
        {"account_type": "CHECKING_ACCOUNT", "accounts": 1, "balance_cents": 100050},
        {"account_type": "CREDIT_CARD", "accounts": 1, "balance_cents": 120000},
    ]
    assert summary["months"] == [
        {"month": "2026-07", "income_cents": 500000, "spending_cents": 3990},
        {"month": "2026-08", "income_cents": 500000, "spending_cents": 3990 + 1200},
        {"month": "2026-09", "income_cents": 500000, "spending_cents": 3990 + 8500},
        {"month": "2026-10", "income_cents": 500000, "spending_cents": 3990 + 3000},
    ]
    assert summary["spending_by_category"] == [
        {"category_id": "09020000", "category_name": "Video streaming", "spending_cents": 15960},
        {"category_id": "19000000", "category_name": "Transportation", "spending_cents": 12700},
    ]
    assert [(m["merchant"], m["transactions"]) for m in summary["top_merchants"]] == [
        ("Netflix", 4),
        ("Uber", 3),
    ]
    [recurring] = summary["recurring_payments"]
    assert (recurring["merchant"], recurring["months"], recurring["average_cents"]) == (
        "Netflix",
        4,
        3990,
    )


@pytest.mark.asyncio
async def test_a_backwards_period_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/banking/summary/",
        params={"from": "2026-10-01", "to": "2026-09-01"},
        headers=token_for(uuid.uuid4()),
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_period")


@pytest.mark.asyncio
async def test_a_company_without_banks_has_an_empty_summary(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/banking/summary/", headers=token_for(uuid.uuid4()))

    summary = response.json()
    assert summary["balances"] == summary["months"] == summary["recurring_payments"] == []


@pytest.mark.asyncio
async def test_without_dates_the_summary_covers_twelve_months_to_the_clocks_day_in_brazil(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # 30 November in Brazil, already 1 December in UTC.
    app.state.clock = lambda: datetime(2026, 12, 1, 2, tzinfo=UTC)

    response = await client.get("/api/banking/summary/", headers=token_for(uuid.uuid4()))

    assert response.status_code == 200, response.text
    assert (response.json()["date_from"], response.json()["date_to"]) == (
        "2025-12-01",
        "2026-11-30",
    )


@pytest.mark.asyncio
async def test_spending_by_category_is_named_in_portuguese_where_pluggys_tree_translates_it(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    for amount, category in (
        ("900.00", ("Rent", "17010000")),
        ("300.00", ("Groceries", "10000000")),
        ("200.00", ("Groceries", "10000000")),
        # An id Pluggy's tree does not have keeps the name it came with.
        ("100.00", ("Pet care", "22010000")),
    ):
        fake_pluggy.add_transactions(account, 1, when=on(10), amount=amount, category=category)
    fake_pluggy.add_transactions(account, 1, when=on(10), amount="50.00", category=None)
    await run_queued_syncs(worker_runtime)
    period = {"from": "2026-10-01", "to": "2026-10-31"}
    before = await client.get("/api/banking/summary", params=period, headers=headers)
    # Pluggy's tree, as the console's category picker keeps it.
    assert (await client.get("/api/banking/categories", headers=headers)).status_code == 200

    after = await client.get("/api/banking/summary", params=period, headers=headers)

    assert [c["category_name"] for c in before.json()["spending_by_category"]] == [
        "Rent",
        "Groceries",
        "Pet care",
        None,
    ]
    assert after.json()["spending_by_category"] == [
        {"category_id": "17010000", "category_name": "Aluguel", "spending_cents": 90000},
        {"category_id": "10000000", "category_name": "Supermercado", "spending_cents": 50000},
        {"category_id": "22010000", "category_name": "Pet care", "spending_cents": 10000},
        {"category_id": None, "category_name": None, "spending_cents": 5000},
    ]
