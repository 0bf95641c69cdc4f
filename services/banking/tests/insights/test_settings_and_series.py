"""The low-balance threshold (owner and admin set it; the forecast reads it), the forecast's
series and the category history a chart draws."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI

from banking.insights import service
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import connect_bank, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy
from .support import company_events, detector, finding, store, subscribe
from .test_after_sync import Seen

pytestmark = pytest.mark.asyncio

SETTINGS = "/api/banking/insights/settings"


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_a_manager_sets_the_threshold_and_insights_are_computed_again(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database, role: str
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")

    changed = await client.put(
        SETTINGS, json={"low_balance_threshold_cents": 500_000}, headers=token_for(company_id, role)
    )
    read = await client.get(SETTINGS, headers=token_for(company_id, "viewer"))

    assert changed.status_code == 200, changed.text
    assert changed.json() == read.json() == {"low_balance_threshold_cents": 500_000}
    [request] = await company_events(database, "banking.insights.requested", company_id)
    assert request["company_id"] == str(company_id)


async def test_the_detectors_get_the_companys_threshold(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    await client.put(
        SETTINGS, json={"low_balance_threshold_cents": 123_456}, headers=token_for(company_id)
    )
    seen = Seen()

    async with database.transaction() as session:
        await service.compute(
            session,
            company_id,
            date(2026, 12, 7),
            datetime(2026, 12, 7, 15, tzinfo=UTC),
            "standard",
            (service.Detector("seen", "standard", seen.find),),
        )

    assert [context.low_balance_threshold_cents for context in seen.contexts] == [123_456]


async def test_the_threshold_is_zero_until_set(
    client: httpx.AsyncClient, worker_runtime: Runtime
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")

    read = await client.get(SETTINGS, headers=token_for(company_id))

    assert read.json() == {"low_balance_threshold_cents": 0}


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_only_a_manager_sets_the_threshold(
    client: httpx.AsyncClient, worker_runtime: Runtime, role: str
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")

    refused = await client.put(
        SETTINGS, json={"low_balance_threshold_cents": 1}, headers=token_for(company_id, role)
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert (await client.get(SETTINGS, headers=token_for(company_id))).json() == {
        "low_balance_threshold_cents": 0
    }


@pytest.mark.parametrize(
    "body",
    [
        {"low_balance_threshold_cents": -1},
        {"low_balance_threshold_cents": "100"},
        {"low_balance_threshold_cents": 1.5},
        {"low_balance_threshold_cents": 2**63},
        {"low_balance_threshold_cents": None},
        {},
        {"low_balance_threshold_cents": 1, "other": 2},
    ],
)
async def test_a_threshold_that_is_not_whole_cents_from_zero_is_refused(
    client: httpx.AsyncClient, worker_runtime: Runtime, body: dict[str, object]
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")

    refused = await client.put(SETTINGS, json=body, headers=token_for(company_id))

    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"


async def test_the_forecast_serves_its_series_once_computed(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    before = await client.get("/api/banking/insights/forecast", headers=token_for(company_id))
    await store(
        database,
        company_id,
        utcnow(),
        detector("forecast", finding("cash_flow_forecast", kind=service.FORECAST_KIND)),
    )

    after = await client.get("/api/banking/insights/forecast", headers=token_for(company_id))

    assert before.status_code == 404
    assert before.json()["code"] == "forecast_not_computed"
    assert after.status_code == 200
    assert after.json()["series"] == {
        "total": [{"day": "2026-12-01", "value_cents": 100, "low_cents": 50, "high_cents": 150}]
    }


async def test_the_category_history_is_months_by_categories_of_visible_spending(
    app: FastAPI, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, worker_runtime: Runtime
) -> None:
    # 30 November in Brazil, already 1 December in UTC: the months are Brazil's.
    app.state.clock = lambda: datetime(2026, 12, 1, 2, tzinfo=UTC)
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional", transactions_per_month=2)
    token = token_for(company_id)
    item = await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    this_month, last_month = (
        datetime(2026, 11, 1, 12, tzinfo=UTC),
        datetime(2026, 10, 1, 12, tzinfo=UTC),
    )
    food, rent = ("Groceries", "10000000"), ("Rent", "17010000")
    fake_pluggy.add_transactions(account, 2, amount="10.00", category=food, when=last_month)
    fake_pluggy.add_transactions(account, 1, amount="30.00", category=rent, when=this_month)
    fake_pluggy.add_transactions(
        account, 1, amount="500.00", category=food, transaction_type="CREDIT", when=this_month
    )
    await run_queued_syncs(worker_runtime)
    # Past last month's limit of 2: hidden, so not counted.
    fake_pluggy.add_transactions(account, 1, amount="99.00", category=rent, when=last_month)
    synced = await client.post(
        f"/api/banking/accounts/{item['accounts'][0]['id']}/sync/", headers=token
    )
    assert synced.status_code == 202, synced.text
    assert await run_queued_syncs(worker_runtime) == 1
    # Pluggy's tree, as the console's category picker keeps it: it names categories in pt-BR.
    assert (await client.get("/api/banking/categories", headers=token)).status_code == 200

    answer = await client.get(
        "/api/banking/insights/categories/history",
        params={"months": 3},
        headers=token_for(company_id),
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["months"] == ["2026-09", "2026-10", "2026-11"]
    assert body["categories"] == [
        {"category_id": "17010000", "category_name": "Aluguel", "spending_cents": [0, 0, 3000]},
        {
            "category_id": "10000000",
            "category_name": "Supermercado",
            "spending_cents": [0, 2000, 0],
        },
    ]


@pytest.mark.parametrize("months", ["0", "25", "x"])
async def test_a_category_history_of_no_or_too_many_months_is_refused(
    client: httpx.AsyncClient, months: str
) -> None:
    answer = await client.get(
        "/api/banking/insights/categories/history",
        params={"months": months},
        headers=token_for(uuid.uuid4()),
    )

    assert answer.status_code == 422
