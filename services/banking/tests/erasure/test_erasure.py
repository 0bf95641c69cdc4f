"""Billing asks banking to erase a company: its connections are deleted at Pluggy, every row of
it goes (another company's stay), billing is told, and a redelivery or a Pluggy outage changes
nothing of that."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from banking import tables
from banking.database import InboxEvent
from banking.entitlements.models import CompanyEntitlement
from banking.erasure import service
from banking.erasure.errors import ConnectionsAppeared
from banking.erasure.schemas import DeletionRequested
from banking.registries import erasure_events
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError
from finhub_shared.events import EventEnvelope, new_event
from finhub_shared.inbox import fetching_dispatcher

from ..conftest import FrozenClock, connect_bank, outbox, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy, error

pytestmark = pytest.mark.asyncio


def deletion_requested(company_id: uuid.UUID) -> EventEnvelope:
    data = {"deletion_id": str(uuid.uuid4()), "company_id": str(company_id)}
    return new_event("billing", "company.deletion_requested", data, company_id=company_id)


async def erase(runtime: Runtime, envelope: EventEnvelope) -> None:
    """Deliver billing's request as banking's worker does (queue banking.erasure)."""
    await fetching_dispatcher(runtime, InboxEvent, "banking.erasure", erasure_events)(envelope)


async def rows_of(database: Database, company_id: uuid.UUID) -> dict[str, int]:
    """How many rows of the company each table with a company_id holds (the non-empty ones)."""
    counts = {}
    async with database.sessions() as session:
        for table in tables.metadata.sorted_tables:
            if "company_id" in table.c:
                statement = select(func.count()).where(table.c.company_id == company_id)
                counts[table.name] = int(await session.scalar(statement) or 0)
    return {name: count for name, count in counts.items() if count}


async def connected(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, runtime: Runtime
) -> tuple[uuid.UUID, dict[str, Any]]:
    company_id = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, company_id, accounts=2)
    await run_queued_syncs(runtime)
    return company_id, item


async def test_a_company_is_erased_here_and_at_pluggy_and_another_is_untouched(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
) -> None:
    company_id, item = await connected(client, fake_pluggy, worker_runtime)
    other_id, other_item = await connected(client, fake_pluggy, worker_runtime)
    others_before = await rows_of(database, other_id)
    request = deletion_requested(company_id)

    await erase(worker_runtime, request)

    assert item["pluggy_item_id"] not in fake_pluggy.items
    assert other_item["pluggy_item_id"] in fake_pluggy.items
    assert await rows_of(database, company_id) == {"company_entitlements": 1}
    assert await rows_of(database, other_id) == others_before
    async with database.sessions() as session:
        tombstone = await session.get(CompanyEntitlement, company_id)
    assert tombstone is not None
    assert (tombstone.status, tombstone.bank_accounts_limit) == ("erased", 0)
    [erased] = await outbox(database, "banking.company.erased")
    assert erased["data"] == {
        "deletion_id": request.data["deletion_id"],
        "company_id": str(company_id),
        "pluggy_item_ids": [item["pluggy_item_id"]],
    }
    again = await connect_bank_response(client, fake_pluggy, company_id)
    [account] = again.json()["accounts"]
    assert (account["status"], account["blocked_reason"]) == (
        "blocked",
        "bank_account_limit_reached",
    )


async def connect_bank_response(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, company_id: uuid.UUID
) -> httpx.Response:
    """A bank connected with a token issued before the company was erased: its accounts are
    neither synced nor counted."""
    item = fake_pluggy.add_item(str(company_id))
    fake_pluggy.add_account(item["id"])
    return await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )


async def test_a_redelivered_request_changes_nothing_more(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
) -> None:
    company_id, _ = await connected(client, fake_pluggy, worker_runtime)
    request = deletion_requested(company_id)
    await erase(worker_runtime, request)
    deletes = fake_pluggy.calls_to("DELETE", r"/items/.+")

    await erase(worker_runtime, request)

    assert fake_pluggy.calls_to("DELETE", r"/items/.+") == deletes == 1
    assert len(await outbox(database, "banking.company.erased")) == 1


async def test_while_pluggy_is_down_nothing_is_erased_and_the_retry_finishes_it(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
) -> None:
    company_id, item = await connected(client, fake_pluggy, worker_runtime)
    before = await rows_of(database, company_id)
    down = error(503, "SERVICE_UNAVAILABLE", "down")
    fake_pluggy.fail_next("DELETE", r"/items/.+", down, down, down)
    request = deletion_requested(company_id)

    with pytest.raises(ProviderError):
        await erase(worker_runtime, request)

    assert await rows_of(database, company_id) == before
    assert item["pluggy_item_id"] in fake_pluggy.items
    assert await outbox(database, "banking.company.erased") == []

    await erase(worker_runtime, request)

    assert item["pluggy_item_id"] not in fake_pluggy.items
    assert await rows_of(database, company_id) == {"company_entitlements": 1}
    assert len(await outbox(database, "banking.company.erased")) == 1


async def test_a_connection_already_gone_at_pluggy_is_erased_all_the_same(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
) -> None:
    company_id, item = await connected(client, fake_pluggy, worker_runtime)
    del fake_pluggy.items[item["pluggy_item_id"]]

    await erase(worker_runtime, deletion_requested(company_id))

    assert await rows_of(database, company_id) == {"company_entitlements": 1}


async def pix_schedule_and_mandate(
    client: httpx.AsyncClient, clock: FrozenClock, company_id: uuid.UUID
) -> None:
    """A PIX payment scheduled for next month and an automatic PIX mandate, made at Pluggy."""
    headers = token_for(company_id)
    today = clock.now.date()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=5)
    scheduled = await client.post(
        "/api/banking/pix/payments/",
        json={
            "amount_cents": 15050,
            "recipient": {"pix_key": "fornecedor@example.com"},
            "schedule": {"type": "single", "date": next_month.isoformat()},
        },
        headers=headers,
    )
    mandate = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": (today + timedelta(days=4)).isoformat(),
            "fixed_amount_cents": 9990,
        },
        headers=headers,
    )
    assert (scheduled.status_code, mandate.status_code) == (201, 201)


def stops(fake_pluggy: SandboxPluggy) -> list[str]:
    """What was asked of Pluggy to stop payments: the last segments of each call's path."""
    return [
        "/".join(path.split("/")[-2:])
        for method, path in fake_pluggy.calls
        if method == "POST" and path.endswith("/cancel")
    ]


async def test_pix_schedules_and_mandates_are_stopped_at_pluggy_before_the_rows_go(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    clock: FrozenClock,
) -> None:
    company_id = uuid.uuid4()
    await pix_schedule_and_mandate(client, clock, company_id)

    await erase(worker_runtime, deletion_requested(company_id))

    assert stops(fake_pluggy) == ["schedules/cancel", "automatic-pix/cancel"]
    assert await rows_of(database, company_id) == {"company_entitlements": 1}


async def test_a_payment_pluggy_refuses_to_stop_does_not_hold_the_erasure_but_an_outage_does(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    clock: FrozenClock,
) -> None:
    company_id = uuid.uuid4()
    await pix_schedule_and_mandate(client, clock, company_id)
    request = deletion_requested(company_id)
    down = error(503, "SERVICE_UNAVAILABLE", "down")
    fake_pluggy.fail_next("POST", r".*/automatic-pix/cancel$", down)

    with pytest.raises(ProviderError):
        await erase(worker_runtime, request)
    before = await rows_of(database, company_id)
    fake_pluggy.fail_next(
        "POST", r".*/schedules/cancel$", error(400, "PAYMENT_NOT_CANCELLABLE", "already paid")
    )
    await erase(worker_runtime, request)

    assert before["pix_mandates"] == 1
    assert await rows_of(database, company_id) == {"company_entitlements": 1}
    assert len(await outbox(database, "banking.company.erased")) == 1


async def test_a_connection_made_while_the_others_were_deleted_starts_the_erasure_over(
    client: httpx.AsyncClient,
    database: Database,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
) -> None:
    company_id, first = await connected(client, fake_pluggy, worker_runtime)
    request = DeletionRequested.model_validate(deletion_requested(company_id).data)
    effect = await service.erase_company(worker_runtime, request)
    late = await connect_bank(client, fake_pluggy, company_id)

    with pytest.raises(ConnectionsAppeared):
        async with database.transaction() as session:
            await effect(session)
    await erase(worker_runtime, deletion_requested(company_id))

    assert first["pluggy_item_id"] not in fake_pluggy.items
    assert late["pluggy_item_id"] not in fake_pluggy.items
    assert await rows_of(database, company_id) == {"company_entitlements": 1}
