"""A sync that ends asks for the company's insights on banking's own queue; the worker computes
them from what the company may see (transactions hidden past the plan's limit left out)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from banking.erasure import repository as erasure
from banking.insights import repository, service
from banking.insights.findings import Finding
from banking.insights.handlers import insights_runner
from banking.insights.history import CompanyHistory, ScheduledPayment
from banking.insights.service import Context, Detector, Stored
from banking.money import BRAZIL_TIME
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, utcnow

from ..conftest import (
    FrozenClock,
    connect_bank,
    deliver_pluggy_event,
    outbox,
    run_queued_syncs,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy
from .support import company_events, finding, subscribe

pytestmark = pytest.mark.asyncio

# Already 7 December in UTC, still the 6th in Brazil.
SEVENTH_AT_2_UTC = datetime(2026, 12, 7, 2, tzinfo=UTC)


class Seen:
    """A detector that keeps what it was given, to look at the history the worker built."""

    def __init__(self) -> None:
        self.histories: list[CompanyHistory] = []
        self.contexts: list[Context] = []

    def find(self, history: CompanyHistory, context: Context) -> list[Finding]:
        self.histories.append(history)
        self.contexts.append(context)
        return []


async def synced_company(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    runtime: Runtime,
    plan: str,
    *,
    transactions: int,
    limit: int,
) -> uuid.UUID:
    company_id = uuid.uuid4()
    await subscribe(runtime, company_id, plan, transactions_per_month=limit)
    await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), transactions, amount="50.00")
    await run_queued_syncs(runtime)
    return company_id


async def requests_of(database: Database, company_id: uuid.UUID) -> list[EventEnvelope]:
    return [
        EventEnvelope.model_validate(envelope)
        for envelope in await outbox(database, "banking.insights.requested")
        if envelope["company_id"] == str(company_id)
    ]


async def test_a_finished_sync_asks_for_insights_and_the_worker_computes_them(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await synced_company(
        client, fake_pluggy, worker_runtime, "professional", transactions=3, limit=100
    )
    [request] = await requests_of(database, company_id)

    await insights_runner(worker_runtime)(request)

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    assert listed.status_code == 200
    assert listed.json()["computed_at"] is not None


async def test_the_history_holds_only_what_the_company_may_see(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await synced_company(
        client, fake_pluggy, worker_runtime, "professional", transactions=5, limit=3
    )
    [request] = await requests_of(database, company_id)
    seen = Seen()
    requested_at = datetime.fromisoformat(request.data["requested_at"])

    detectors = (Detector("seen", "standard", seen.find),)

    stored = await service.refresh(
        worker_runtime, company_id, requested_at, lambda: SEVENTH_AT_2_UTC, detectors
    )

    assert stored is not None
    async with database.transaction() as session:
        hidden = await session.scalar(
            select(func.count()).where(Transaction.company_id == company_id, Transaction.over_limit)
        )
    assert hidden == 2
    [history] = seen.histories
    assert len(history.movements) == 3
    assert {movement.amount_cents for movement in history.movements} == {-5000}
    [account] = history.accounts
    assert account.balance_cents == 100050
    assert history.today == date(2026, 12, 6)


async def test_a_request_already_answered_by_a_later_computation_does_nothing(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await synced_company(
        client, fake_pluggy, worker_runtime, "professional", transactions=1, limit=100
    )
    [request] = await requests_of(database, company_id)
    requested_at = datetime.fromisoformat(request.data["requested_at"])
    seen = Seen()
    detectors = (Detector("seen", "standard", seen.find),)

    first = await service.refresh(worker_runtime, company_id, requested_at, utcnow, detectors)
    again = await service.refresh(worker_runtime, company_id, requested_at, utcnow, detectors)

    assert first is not None
    assert again is None
    assert len(seen.histories) == 1


async def test_a_company_whose_plan_has_no_insights_is_not_computed(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await synced_company(
        client, fake_pluggy, worker_runtime, "starter", transactions=1, limit=100
    )
    [request] = await requests_of(database, company_id)
    seen = Seen()

    computed = await service.refresh(
        worker_runtime,
        company_id,
        datetime.fromisoformat(request.data["requested_at"]),
        utcnow,
        (Detector("seen", "standard", seen.find),),
    )

    assert computed is None
    assert seen.histories == []


async def test_the_daily_job_asks_once_a_day_for_companies_with_insights(
    worker_runtime: Runtime, database: Database
) -> None:
    professional, starter = uuid.uuid4(), uuid.uuid4()
    await subscribe(worker_runtime, professional, "professional")
    await subscribe(worker_runtime, starter, "starter")
    now = utcnow()

    async with database.transaction() as session:
        await service.queue_due(session, now, 100_000)
    async with database.transaction() as session:
        await service.queue_due(session, now, 100_000)

    assert len(await requests_of(database, professional)) == 1
    assert await requests_of(database, starter) == []


async def test_a_balance_below_the_companys_threshold_is_warned_of_once_end_to_end(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await synced_company(
        client, fake_pluggy, worker_runtime, "professional", transactions=3, limit=100
    )
    # The account holds R$ 1.000,50: a threshold of R$ 5.000,00 is crossed from today.
    changed = await client.put(
        "/api/banking/insights/settings",
        json={"low_balance_threshold_cents": 500_000},
        headers=token_for(company_id),
    )
    assert changed.status_code == 200
    runner = insights_runner(worker_runtime)
    for request in await requests_of(database, company_id):
        await runner(request)

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    forecast = await client.get("/api/banking/insights/forecast", headers=token_for(company_id))
    async with database.transaction() as session:
        await service.request(session, company_id, utcnow())
    for request in (await requests_of(database, company_id))[-1:]:
        await runner(request)

    kinds = {item["kind"]: item for item in listed.json()["items"]}
    warning = kinds["low_balance"]
    assert warning["severity"] == "action"
    assert listed.json()["items"][0]["kind"] == "low_balance"
    assert forecast.status_code == 200
    assert {"total"} <= set(forecast.json()["series"])
    notices = await company_events(database, "banking.notification.requested", company_id)
    shown = await company_events(database, "banking.insight.created", company_id)
    assert [notice["insight_id"] for notice in notices] == [warning["id"]]
    assert [event["insight_id"] for event in shown] == [warning["id"]]


async def test_the_history_holds_the_automatic_pix_payments_still_to_go_out(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
    clock: FrozenClock,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    today = clock.now.astimezone(BRAZIL_TIME).date()
    mandate = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": (today + timedelta(days=1)).isoformat(),
            "fixed_amount_cents": 9990,
        },
        headers=headers,
    )
    [request_id] = fake_pluggy.payment_requests
    fake_pluggy.set_payment_request_status(request_id, "AUTHORIZED")
    await deliver_pluggy_event(
        worker_runtime, "payment_request/updated", {"paymentRequestId": request_id}
    )
    cycle = await client.post(
        f"/api/banking/pix/automatic/{mandate.json()['id']}/payments/",
        json={"amount_cents": 9990, "date": (today + timedelta(days=5)).isoformat()},
        headers=headers,
    )
    assert cycle.status_code == 201, cycle.text

    async with database.transaction() as session:
        history = await repository.load_history(session, company_id, today)

    assert history.scheduled == (ScheduledPayment(None, today + timedelta(days=5), 9990),)


async def test_a_computation_overtaken_by_a_later_one_stores_nothing(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    requested_at = utcnow()
    slow_may_end = threading.Event()

    def slow(_history: CompanyHistory, _context: Context) -> list[Finding]:
        assert slow_may_end.wait(10)
        return [finding("older")]

    async def later() -> Stored | None:
        await asyncio.sleep(0.2)  # starts once the slow one runs its detectors
        stored = await service.refresh(
            worker_runtime,
            company_id,
            requested_at,
            utcnow,
            (Detector("d", "standard", lambda _h, _c: [finding("newer")]),),
        )
        slow_may_end.set()
        return stored

    overtaken, latest = await asyncio.gather(
        service.refresh(
            worker_runtime, company_id, requested_at, utcnow, (Detector("d", "standard", slow),)
        ),
        later(),
    )

    assert overtaken is None
    assert latest is not None
    async with database.transaction() as session:
        kept = await repository.insights_of(session, company_id)
    assert [insight.key for insight in kept] == ["newer"]


@pytest.mark.asyncio
async def test_a_computation_under_way_when_the_company_is_erased_stores_nothing(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    detecting = threading.Event()
    may_end = threading.Event()

    def slow(_history: CompanyHistory, _context: Context) -> list[Finding]:
        detecting.set()
        assert may_end.wait(10)
        return [finding("after the erasure")]

    computation = asyncio.create_task(
        service.refresh(
            worker_runtime, company_id, utcnow(), utcnow, (Detector("d", "standard", slow),)
        )
    )
    assert await asyncio.to_thread(detecting.wait, 10)
    async with database.transaction() as session:
        await erasure.erase_company_rows(session, company_id)
        await erasure.keep_tombstone(session, company_id, utcnow())
    may_end.set()

    assert await computation is None
    async with database.transaction() as session:
        assert await repository.insights_of(session, company_id) == []
        assert await repository.run_of(session, company_id) is None
