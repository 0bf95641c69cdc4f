import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, text, update

from banking import consumer
from banking.config import get_settings
from banking.database import InboxEvent, OutboxMessage
from banking.main import create_app
from banking.money import BRAZIL_TIME
from banking.pluggy import PluggyClient
from banking.registries import pluggy_events
from banking.runtime import Runtime
from banking.sync.handlers import sync_job_runner
from banking.tables import metadata
from finhub_dev.testing import ServiceUnderTest, table_row_counts
from finhub_shared.auth import TokenIssuer
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event, utcnow
from finhub_shared.inbox import HandlerRegistry, fetching_dispatcher, inbox_dispatcher
from finhub_shared.provider_client import RetryPolicy
from provider_sandbox.main import create_app as create_sandbox
from provider_sandbox.pluggy.testing import Receiver

from .pluggy_sandbox import SandboxPluggy

# The application names of banking's own connections: its API's and its worker's.
BANKING_PROCESSES = ("banking-api", "banking-worker")

# Retries without real waiting, so failure tests take milliseconds.
FAST_RETRIES = RetryPolicy(
    max_attempts=3, backoff_initial=0.001, backoff_max=0.01, max_retry_after=0.01
)
# The same for the API's Pluggy client, as settings.
FAST_API_RETRIES = {
    "pluggy_api_attempts": 3,
    "pluggy_retry_first_wait_seconds": 0.001,
    "pluggy_api_max_wait_seconds": 0.01,
}

assert consumer.HANDLER_MODULES  # every handler registered before any test dispatches


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="BANKING_DATABASE_URL",
        metadata=metadata,
        app_factory=create_app,
    )


@pytest_asyncio.fixture
async def fake_pluggy() -> AsyncIterator[SandboxPluggy]:
    """Pluggy for one test: the provider sandbox's, in process, knowing the client id and secret
    the settings hold."""
    receiver = Receiver()
    sandbox = create_sandbox(webhook_transport=httpx.MockTransport(receiver.handle))
    async with LifespanManager(sandbox):
        yield SandboxPluggy(sandbox, receiver)


@pytest_asyncio.fixture
async def pluggy(fake_pluggy: SandboxPluggy) -> AsyncIterator[PluggyClient]:
    """A Pluggy client talking to the fake, with fast retries."""
    client = PluggyClient(
        os.environ["PLUGGY_API_URL"],
        os.environ["PLUGGY_CLIENT_ID"],
        SecretStr(os.environ["PLUGGY_CLIENT_SECRET"]),
        retry=FAST_RETRIES,
        transport=httpx.MockTransport(fake_pluggy),
    )
    yield client
    await client.aclose()


@pytest.fixture
def worker_runtime(database: Database, pluggy: PluggyClient) -> Runtime:
    """The runtime the worker builds, on the test's database, so bus handlers and jobs reach the
    fake Pluggy."""
    return Runtime(settings=get_settings(), database=database, pluggy=pluggy)


@pytest_asyncio.fixture
async def app(database: Database, fake_pluggy: SandboxPluggy) -> AsyncIterator[FastAPI]:
    """Banking's app on clean tables, its Pluggy faked at the HTTP boundary."""
    application = create_app(pluggy_transport=httpx.MockTransport(fake_pluggy))
    async with LifespanManager(application):
        yield application


class FrozenClock:
    """Banking's clock in a test: it stands still at `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# The day banking's PIX tests stand on, whatever day they run: noon in Brazil mid-month, the same
# day in Brazil and in UTC.
PIX_DAY = datetime(2026, 3, 10, 12, tzinfo=BRAZIL_TIME)
# Noon in Brazil on the day before March ends, for what must carry across a month's end.
MONTH_END_EVE = datetime(2026, 3, 30, 12, tzinfo=BRAZIL_TIME)


async def stop_clocks_at(app: FastAPI, fake_pluggy: SandboxPluggy, moment: datetime) -> FrozenClock:
    """Banking's clock and Pluggy's stopped together at `moment`, back or ahead of theirs."""
    frozen = FrozenClock(moment.astimezone(UTC))
    await fake_pluggy.stop_clock_at(frozen.now)
    app.state.clock = frozen
    return frozen


@pytest_asyncio.fixture
async def clock(app: FastAPI, fake_pluggy: SandboxPluggy) -> FrozenClock:
    """Banking's clock and Pluggy's stopped together at PIX_DAY."""
    return await stop_clocks_at(app, fake_pluggy, PIX_DAY)


def token_for(company_id: uuid.UUID, role: str = "owner") -> dict[str, str]:
    """Headers with an access token for a user of `company_id`."""
    issuer = TokenIssuer(
        os.environ["JWT_PRIVATE_KEY"],
        os.environ.get("JWT_ISSUER", "finhub-billing"),
        os.environ.get("JWT_AUDIENCE", "finhub"),
    )
    token = issuer.issue(user_id=uuid.uuid4(), company_id=company_id, role=role).token
    return {"Authorization": f"Bearer {token}"}


async def deliver_pluggy_event(
    runtime: Runtime,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
) -> EventEnvelope:
    """Hand a Pluggy webhook to banking's `banking.pluggy` consumer, as the gateway would."""
    payload = {"event": event_type, "eventId": event_id or str(uuid.uuid4()), **data}
    envelope = EventEnvelope(
        id=payload["eventId"],
        source="pluggy",
        type=event_type,
        occurred_at=utcnow(),
        received_at=utcnow(),
        data=payload,
    )
    await fetching_dispatcher(runtime, InboxEvent, "banking.pluggy", pluggy_events)(envelope)
    return envelope


async def deliver_webhooks(runtime: Runtime, fake_pluggy: SandboxPluggy) -> list[str]:
    """Hand banking's `banking.pluggy` consumer each webhook Pluggy sent since the last call, in
    order, as the gateway would; their events."""
    sent = await fake_pluggy.webhooks()
    for payload in sent:
        await deliver_pluggy_event(runtime, payload["event"], payload, event_id=payload["eventId"])
    return [payload["event"] for payload in sent]


async def deliver(
    runtime: Runtime, envelope: EventEnvelope, queue: str, registry: HandlerRegistry[Runtime]
) -> None:
    await inbox_dispatcher(runtime, InboxEvent, queue, registry)(envelope)


async def outbox(database: Database, routing_key: str) -> list[dict[str, Any]]:
    """The envelopes waiting in the outbox under this routing key, oldest first."""
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.routing_key == routing_key)
            .order_by(OutboxMessage.id)
        )
        return [EventEnvelope.model_validate_json(row.body).model_dump(mode="json") for row in rows]


async def shown(database: Database, routing_key: str) -> list[dict[str, Any]]:
    """The data of every event under this key queued for the live stream, oldest first."""
    return [envelope["data"] for envelope in await outbox(database, routing_key)]


async def run_queued_syncs(runtime: Runtime) -> int:
    """Deliver every queued `banking.sync.requested` message to the sync-jobs consumer, as the
    outbox relay and the broker would; returns how many ran."""
    database = runtime.database
    dispatch = sync_job_runner(runtime)
    delivered = 0
    while True:
        async with database.transaction() as session:
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.routing_key == "banking.sync.requested",
                        OutboxMessage.published_at.is_(None),
                    )
                    .order_by(OutboxMessage.id)
                )
            )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
        if not rows:
            return delivered
        for row in rows:
            await dispatch(EventEnvelope.model_validate_json(row.body))
            delivered += 1


# Billing's snapshot versions grow with each snapshot it publishes: so do the tests'.
_snapshot_versions = itertools.count(1)


def entitlements_event(
    company_id: uuid.UUID,
    plan: str,
    *,
    bank_accounts: int | None,
    transactions_per_month: int | None = 5000,
    status: str = "active",
    version: int | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    """Billing's snapshot of a company's entitlements; by default a later version than any
    made before."""
    return new_event(
        "billing",
        "entitlements.changed",
        {
            "company_id": str(company_id),
            "plan": plan,
            "status": status,
            "limits": {
                "bank_accounts": bank_accounts,
                "transactions_per_month": transactions_per_month,
                "ai_insights": plan != "starter",
            },
            "valid_until": None,
            "version": version or next(_snapshot_versions),
        },
        company_id=company_id,
        occurred_at=occurred_at,
    )


async def connect_bank(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company_id: uuid.UUID,
    *,
    accounts: int = 1,
) -> dict[str, Any]:
    """Connect a bank with `accounts` accounts through the widget's callback; the item's JSON."""
    item = fake_pluggy.add_item(str(company_id))
    for index in range(accounts):
        fake_pluggy.add_account(item["id"], name=f"Conta {index}")
    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def row_counts(database: Database) -> dict[str, int]:
    """How many rows each of banking's tables holds (see table_row_counts)."""
    return await table_row_counts(database, metadata)


async def open_transactions(observer: Database, application_names: tuple[str, ...]) -> int:
    """Transactions open now on connections to this database named one of `application_names`."""
    async with observer.engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = ANY(:names) AND xact_start IS NOT NULL"
            ),
            {"names": list(application_names)},
        )
    return int(found or 0)


def pluggy_watching_transactions(
    fake_pluggy: SandboxPluggy,
    observer: Database,
    spanned: list[str],
    application_names: tuple[str, ...] = BANKING_PROCESSES,
) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """Pluggy that answers each call only once no transaction of these processes is open. A
    transaction waiting on the call never closes: the call is then noted in `spanned`, after a
    time limit. `observer` must connect under another name."""

    async def answer(request: httpx.Request) -> httpx.Response:
        try:
            async with asyncio.timeout(5):
                while await open_transactions(observer, application_names):
                    await asyncio.sleep(0.01)
        except TimeoutError:
            spanned.append(f"{request.method} {request.url.path}")
        return await fake_pluggy(request)

    return answer
