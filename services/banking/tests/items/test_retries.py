"""OUTDATED items (the bank did not answer Pluggy) are updated again by the worker, not the user:
first a while after they became OUTDATED, then twice as long after each failure, up to a cap."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from banking.items import retries, service
from banking.items.models import Item
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import deliver_webhooks, outbox, shown, token_for
from ..pluggy_sandbox import SandboxPluggy, error


async def connect_outdated(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, company_id: uuid.UUID
) -> dict[str, Any]:
    """The widget's callback for a connection whose last update the bank did not answer; its
    JSON."""
    item = fake_pluggy.add_item(
        str(company_id),
        status="OUTDATED",
        execution_status="SITE_NOT_AVAILABLE",
        error_code="SITE_NOT_AVAILABLE",
    )
    # Connected before: its consent is in force.
    fake_pluggy.add_consent(item["id"])
    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "OUTDATED"
    return body


async def retry_state(database: Database, item: dict[str, Any]) -> tuple[str, int, datetime | None]:
    """The stored item's status, retries counted and next retry."""
    async with database.sessions() as session:
        row = (
            await session.execute(
                select(Item.status, Item.outdated_retries, Item.outdated_retry_at).where(
                    Item.id == uuid.UUID(item["id"])
                )
            )
        ).one()
    return row.status, row.outdated_retries, row.outdated_retry_at


async def next_retry(database: Database, item: dict[str, Any]) -> datetime:
    _, _, retry_at = await retry_state(database, item)
    assert retry_at is not None
    return retry_at


async def last_changed(database: Database, item: dict[str, Any]) -> datetime:
    async with database.sessions() as session:
        changed = await session.scalar(
            select(Item.updated_at).where(Item.id == uuid.UUID(item["id"]))
        )
    assert changed is not None
    return changed


def retries_counted(outcome: str) -> float:
    """banking_outdated_retries_total for this outcome, on the worker's /metrics."""
    return REGISTRY.get_sample_value("banking_outdated_retries_total", {"outcome": outcome}) or 0.0


def updates_of(fake_pluggy: SandboxPluggy, item: dict[str, Any]) -> int:
    return fake_pluggy.calls_to("PATCH", f"/items/{item['pluggy_item_id']}")


def assert_backoff(
    runtime: Runtime,
    retried: int,
    retry_at: datetime,
    since: datetime,
    until: datetime | None = None,
) -> None:
    """`retry_at` is the backoff after `retried` failed updates (less its jitter at most) from a
    moment between `since` and `until`."""
    settings = runtime.settings
    nominal = timedelta(
        seconds=min(
            settings.outdated_retry_first_seconds * 2**retried, settings.outdated_retry_max_seconds
        )
    )
    assert since + nominal * (1 - retries.JITTER) <= retry_at <= (until or since) + nominal


@pytest.mark.asyncio
async def test_an_outdated_item_is_updated_at_its_first_retry_and_not_before(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id, became_outdated = uuid.uuid4(), utcnow()
    item = await connect_outdated(client, fake_pluggy, company_id)
    retry_at = await next_retry(database, item)
    assert_backoff(worker_runtime, 0, retry_at, became_outdated, utcnow())
    shown = await client.get(f"/api/banking/items/{item['id']}", headers=token_for(company_id))
    assert shown.json()["next_action"] == {
        "action": "wait_for_bank",
        "message": "The bank is not answering; the sync will be retried at "
        f"{retry_at.astimezone(UTC):%H:%M} UTC.",
    }

    early = await service.retry_outdated(database, worker_runtime, retry_at - timedelta(seconds=1))
    assert early == service.OutdatedRetries(asked=0, failed=0)
    assert updates_of(fake_pluggy, item) == 0

    due = await service.retry_outdated(database, worker_runtime, retry_at)

    assert due == service.OutdatedRetries(asked=1, failed=0)
    assert updates_of(fake_pluggy, item) == 1
    assert await retry_state(database, item) == ("UPDATING", 1, None)
    changes = await outbox(database, "banking.item.status_changed")
    assert [change["data"]["status"] for change in changes][-1] == "UPDATING"


@pytest.mark.asyncio
async def test_the_delay_doubles_at_each_failure_up_to_the_cap_and_a_failure_stops_nothing(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    failing = await connect_outdated(client, fake_pluggy, uuid.uuid4())
    other = await connect_outdated(client, fake_pluggy, uuid.uuid4())
    fake_pluggy.fail_after(
        "PATCH",
        f"/items/{failing['pluggy_item_id']}",
        0,
        error(500, "INTERNAL_SERVER_ERROR", "internal error"),
    )
    moment = max(await next_retry(database, failing), await next_retry(database, other))
    changed_at = await last_changed(database, failing)

    first = await service.retry_outdated(database, worker_runtime, moment)

    assert first == service.OutdatedRetries(asked=2, failed=1)
    assert (await retry_state(database, other))[0] == "UPDATING"
    for retried in range(1, 9):
        status, counted, retry_at = await retry_state(database, failing)
        assert (status, counted) == ("OUTDATED", retried)
        assert retry_at is not None
        assert_backoff(worker_runtime, retried, retry_at, moment)
        moment = retry_at
        done = await service.retry_outdated(database, worker_runtime, moment)
        assert done == service.OutdatedRetries(asked=1, failed=1)
    # A retry is not a change of the item.
    assert await last_changed(database, failing) == changed_at
    assert worker_runtime.settings.outdated_retry_first_seconds * 2**8 > (
        worker_runtime.settings.outdated_retry_max_seconds
    )


@pytest.mark.asyncio
async def test_an_update_the_bank_fails_again_waits_twice_as_long(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    item = await connect_outdated(client, fake_pluggy, uuid.uuid4())
    fake_pluggy.state.items[item["pluggy_item_id"]].user = "user-unavailable"
    await service.retry_outdated(database, worker_runtime, await next_retry(database, item))
    assert (await retry_state(database, item))[:2] == ("UPDATING", 1)

    await fake_pluggy.advance(minutes=1)
    delivering = utcnow()
    assert "item/error" in await deliver_webhooks(worker_runtime, fake_pluggy)

    status, counted, retry_at = await retry_state(database, item)
    assert (status, counted) == ("OUTDATED", 1)
    assert retry_at is not None
    assert_backoff(worker_runtime, 1, retry_at, delivering, utcnow())


@pytest.mark.asyncio
async def test_an_item_that_is_updated_is_retried_no_more_and_its_count_resets(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    item = await connect_outdated(client, fake_pluggy, uuid.uuid4())
    path = f"/items/{item['pluggy_item_id']}"
    fake_pluggy.fail_next("PATCH", path, error(502, "BAD_GATEWAY", "bad gateway"))
    await service.retry_outdated(database, worker_runtime, await next_retry(database, item))
    assert (await retry_state(database, item))[:2] == ("OUTDATED", 1)
    await service.retry_outdated(database, worker_runtime, await next_retry(database, item))
    assert (await retry_state(database, item))[:2] == ("UPDATING", 2)

    await fake_pluggy.advance(minutes=1)
    assert "item/updated" in await deliver_webhooks(worker_runtime, fake_pluggy)

    assert await retry_state(database, item) == ("UPDATED", 0, None)
    asked = updates_of(fake_pluggy, item)
    later = utcnow() + timedelta(days=1)
    assert await service.retry_outdated(database, worker_runtime, later) == (
        service.OutdatedRetries(asked=0, failed=0)
    )
    assert updates_of(fake_pluggy, item) == asked


@pytest.mark.asyncio
async def test_an_item_pluggy_no_longer_knows_is_retried_no_more(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    item = await connect_outdated(client, fake_pluggy, company_id)
    del fake_pluggy.items[item["pluggy_item_id"]]

    done = await service.retry_outdated(database, worker_runtime, await next_retry(database, item))

    assert done == service.OutdatedRetries(asked=1, failed=0)
    assert await retry_state(database, item) == ("DELETED", 0, None)
    later = utcnow() + timedelta(days=1)
    assert (await service.retry_outdated(database, worker_runtime, later)).asked == 0
    assert updates_of(fake_pluggy, item) == 1
    listed = await client.get("/api/banking/items/", headers=token_for(company_id))
    assert listed.json() == []


@pytest.mark.asyncio
async def test_two_workers_at_once_ask_pluggy_once_per_item(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    items = [await connect_outdated(client, fake_pluggy, uuid.uuid4()) for _ in range(5)]
    moment = max([await next_retry(database, item) for item in items])

    runs = await asyncio.gather(
        service.retry_outdated(database, worker_runtime, moment),
        service.retry_outdated(database, worker_runtime, moment),
    )

    assert sum(run.asked for run in runs) == 5
    assert [updates_of(fake_pluggy, item) for item in items] == [1] * 5


@pytest.mark.asyncio
async def test_each_retry_is_counted_by_what_pluggy_answered(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    updating, failing, gone = [
        await connect_outdated(client, fake_pluggy, uuid.uuid4()) for _ in "abc"
    ]
    fake_pluggy.fail_next(
        "PATCH", f"/items/{failing['pluggy_item_id']}", error(503, "UNAVAILABLE", "down")
    )
    del fake_pluggy.items[gone["pluggy_item_id"]]
    before = {outcome: retries_counted(outcome) for outcome in ("updating", "failed", "gone")}
    moment = max([await next_retry(database, item) for item in (updating, failing, gone)])

    await service.retry_outdated(database, worker_runtime, moment)

    after = {outcome: retries_counted(outcome) - before[outcome] for outcome in before}
    assert after == {"updating": 1, "failed": 1, "gone": 1}


@pytest.mark.asyncio
async def test_a_failed_retry_tells_the_live_stream_when_the_next_one_is(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    item = await connect_outdated(client, fake_pluggy, company_id)
    first_at = await next_retry(database, item)
    told = await shown(database, "banking.item.status_changed")
    assert told[-1]["message"].endswith(f"retried at {first_at.astimezone(UTC):%H:%M} UTC.")
    fake_pluggy.fail_next(
        "PATCH", f"/items/{item['pluggy_item_id']}", error(500, "INTERNAL_SERVER_ERROR", "boom")
    )

    await service.retry_outdated(database, worker_runtime, first_at)

    second_at = await next_retry(database, item)
    assert second_at > first_at
    expected = {
        "action": "wait_for_bank",
        "message": "The bank is not answering; the sync will be retried at "
        f"{second_at.astimezone(UTC):%H:%M} UTC.",
    }
    told = await shown(database, "banking.item.status_changed")
    assert {"status": told[-1]["status"], "action": told[-1]["next_action"]} == {
        "status": "OUTDATED",
        "action": "wait_for_bank",
    }
    assert told[-1]["message"] == expected["message"]
    shown_now = await client.get(f"/api/banking/items/{item['id']}", headers=token_for(company_id))
    assert shown_now.json()["next_action"] == expected
