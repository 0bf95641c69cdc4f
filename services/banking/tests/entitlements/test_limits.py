"""Plan limits come only from billing's snapshots; a company never heard of is on trial."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import update

from banking.entitlements import service
from banking.entitlements.models import CompanyEntitlement
from banking.entitlements.schemas import EntitlementsSnapshot, TrialTerms
from banking.registries import entitlement_events
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, utcnow

from ..conftest import connect_bank, deliver, entitlements_event, token_for
from ..pluggy_sandbox import SandboxPluggy

TRIAL = TrialTerms(days=14, bank_accounts=10, transactions_per_month=5000)


async def receive(runtime: Runtime, envelope: EventEnvelope) -> None:
    await deliver(runtime, envelope, "banking.entitlements", entitlement_events)


async def connect_token(client: httpx.AsyncClient, company_id: uuid.UUID) -> httpx.Response:
    return await client.post(
        "/api/banking/pluggy/connect-token/", json={}, headers=token_for(company_id)
    )


@pytest.mark.asyncio
async def test_a_company_never_heard_of_is_on_trial_for_14_days_from_its_first_request(
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    first = utcnow()

    async with database.transaction() as session:
        rights = await service.entitlements_for(session, company_id, TRIAL, first)
    async with database.transaction() as session:
        later = await service.entitlements_for(
            session, company_id, TRIAL, first + timedelta(days=3)
        )

    assert rights.status == "trial"
    assert rights.assumed_trial
    assert rights.bank_accounts_limit == 10
    assert rights.transactions_per_month_limit == 5000
    assert rights.valid_until == first + timedelta(days=14)
    assert later.valid_until == rights.valid_until


@pytest.mark.asyncio
async def test_an_assumed_trial_that_ran_out_allows_no_new_bank(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = uuid.uuid4()
    assert (await connect_token(client, company_id)).status_code == 201
    async with database.transaction() as session:
        await session.execute(
            update(CompanyEntitlement).values(valid_until=utcnow() - timedelta(minutes=1))
        )

    refused = await connect_token(client, company_id)

    assert refused.status_code == 403
    assert refused.json()["code"] == "bank_account_limit_reached"
    assert refused.json()["limit"] == 0
    assert refused.json()["suggested_plan"] == "professional"


@pytest.mark.asyncio
async def test_at_the_limit_a_new_connection_is_refused_then_allowed_after_an_upgrade(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await receive(worker_runtime, entitlements_event(company_id, "starter", bank_accounts=3))
    await connect_bank(client, fake_pluggy, company_id, accounts=3)

    refused = await connect_token(client, company_id)

    assert refused.status_code == 403
    assert refused.json() == {
        "code": "bank_account_limit_reached",
        "message": refused.json()["message"],
        "current": 3,
        "limit": 3,
        "upgrade_required": True,
        "suggested_plan": "professional",
    }
    assert not any(path == "/connect_token" for _, path in fake_pluggy.calls)

    await receive(worker_runtime, entitlements_event(company_id, "professional", bank_accounts=10))

    assert (await connect_token(client, company_id)).status_code == 201


@pytest.mark.asyncio
async def test_a_company_at_the_professional_limit_is_pointed_to_enterprise(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await receive(worker_runtime, entitlements_event(company_id, "professional", bank_accounts=2))
    await connect_bank(client, fake_pluggy, company_id, accounts=2)
    await receive(worker_runtime, entitlements_event(company_id, "professional", bank_accounts=10))
    await connect_bank(client, fake_pluggy, company_id, accounts=8)

    refused = await connect_token(client, company_id)

    assert refused.json()["suggested_plan"] == "enterprise"


@pytest.mark.asyncio
async def test_unlimited_plans_have_no_bank_account_limit(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await receive(worker_runtime, entitlements_event(company_id, "enterprise", bank_accounts=None))
    await connect_bank(client, fake_pluggy, company_id, accounts=12)

    assert (await connect_token(client, company_id)).status_code == 201


async def plan_of(database: Database, company_id: uuid.UUID) -> tuple[str | None, int | None]:
    async with database.transaction() as session:
        rights = await service.entitlements_for(session, company_id, TRIAL, utcnow())
    assert not rights.assumed_trial
    return rights.plan, rights.bank_accounts_limit


@pytest.mark.asyncio
async def test_an_older_version_arriving_after_a_newer_one_changes_nothing_whatever_its_time(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    now = utcnow()
    # Billing's machines disagree on the time: the older version carries the later timestamp.
    older = entitlements_event(
        company_id, "starter", bank_accounts=3, version=4, occurred_at=now + timedelta(minutes=5)
    )
    newer = entitlements_event(
        company_id, "professional", bank_accounts=10, version=5, occurred_at=now
    )

    await receive(worker_runtime, newer)
    await receive(worker_runtime, older)

    assert await plan_of(database, company_id) == ("professional", 10)


@pytest.mark.asyncio
async def test_a_newer_version_replaces_an_older_one_even_with_an_earlier_timestamp(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    now = utcnow()
    older = entitlements_event(
        company_id, "starter", bank_accounts=3, version=4, occurred_at=now + timedelta(minutes=5)
    )
    newer = entitlements_event(
        company_id, "professional", bank_accounts=10, version=5, occurred_at=now
    )

    await receive(worker_runtime, older)
    await receive(worker_runtime, newer)

    assert await plan_of(database, company_id) == ("professional", 10)


@pytest.mark.asyncio
async def test_a_snapshot_without_billings_version_is_refused(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    unversioned = entitlements_event(company_id, "starter", bank_accounts=3)
    del unversioned.data["version"]

    with pytest.raises(ValidationError):
        await receive(worker_runtime, unversioned)


@pytest.mark.asyncio
async def test_billings_snapshot_replaces_an_assumed_trial(
    worker_runtime: Runtime, client: httpx.AsyncClient, database: Database
) -> None:
    company_id = uuid.uuid4()
    snapshot = entitlements_event(company_id, "starter", bank_accounts=0)
    await connect_token(client, company_id)  # starts an assumed trial, after the snapshot's time

    await receive(worker_runtime, snapshot)

    refused = await connect_token(client, company_id)
    assert refused.status_code == 403
    assert refused.json()["limit"] == 0


@pytest.mark.asyncio
async def test_reconnecting_an_existing_item_is_allowed_at_the_limit(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await receive(worker_runtime, entitlements_event(company_id, "starter", bank_accounts=1))
    item = await connect_bank(client, fake_pluggy, company_id, accounts=1)

    response = await client.post(
        "/api/banking/pluggy/connect-token/",
        json={"item_id": item["id"]},
        headers=token_for(company_id),
    )

    assert response.status_code == 201


async def apply(database: Database, envelope: EventEnvelope) -> bool:
    async with database.transaction() as session:
        snapshot = EntitlementsSnapshot.model_validate(envelope.data)
        return await service.apply_snapshot(session, snapshot, envelope.occurred_at)


@pytest.mark.asyncio
async def test_a_snapshot_is_acted_on_only_when_its_limits_are_new_to_the_company(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = uuid.uuid4()
    await connect_token(client, company_id)  # an assumed trial of 10 accounts, 5000 a month

    # Billing's first word is acted on even with the trial's very limits.
    assert await apply(database, entitlements_event(company_id, "starter", bank_accounts=10))
    # A renewal, a new period: a later version with the same limits is kept, nothing to act on.
    renewal = entitlements_event(company_id, "starter", bank_accounts=10, status="past_due")
    assert not await apply(database, renewal)
    assert not await apply(database, entitlements_event(company_id, "starter", bank_accounts=10))
    assert await apply(database, entitlements_event(company_id, "pro", bank_accounts=11))
    assert await apply(
        database,
        entitlements_event(company_id, "pro", bank_accounts=11, transactions_per_month=None),
    )
    # An outdated version is not kept, however new its limits.
    assert not await apply(
        database, entitlements_event(company_id, "starter", bank_accounts=3, version=1)
    )

    async with database.transaction() as session:
        row = await session.get(CompanyEntitlement, company_id)
    assert row is not None
    assert (row.plan, row.bank_accounts_limit, row.transactions_per_month_limit) == (
        "pro",
        11,
        None,
    )


@pytest.mark.asyncio
async def test_a_companys_first_snapshot_finds_nothing_to_act_on(database: Database) -> None:
    company_id = uuid.uuid4()

    assert not await apply(database, entitlements_event(company_id, "starter", bank_accounts=1))
    assert await apply(database, entitlements_event(company_id, "pro", bank_accounts=10))
    assert await plan_of(database, company_id) == ("pro", 10)


@pytest.mark.asyncio
async def test_a_snapshot_with_the_same_limits_keeps_its_version_and_status(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await receive(worker_runtime, entitlements_event(company_id, "starter", bank_accounts=3))
    await receive(
        worker_runtime,
        entitlements_event(
            company_id, "starter", bank_accounts=3, status="past_due", version=10**9
        ),
    )
    # Older than the renewal kept, though with other limits.
    await receive(
        worker_runtime,
        entitlements_event(company_id, "professional", bank_accounts=10, version=10**9 - 1),
    )

    async with database.transaction() as session:
        row = await session.get(CompanyEntitlement, company_id)
    assert row is not None
    assert (row.plan, row.status, row.version) == ("starter", "past_due", 10**9)
