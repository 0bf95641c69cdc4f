"""banking.notification.requested: what banking has to tell a company reaches its users."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from billing.consumer import notification_events
from billing.database import InboxEvent
from billing.notifications.models import Notification
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import new_event
from finhub_shared.inbox import inbox_dispatcher

from ..helpers import bearer, published, register

pytestmark = pytest.mark.asyncio


async def delivered_twice(
    runtime: Runtime, company_id: str, kind: str, message: str, **more: Any
) -> None:
    """banking.notification.requested for the company, handled, then redelivered."""
    dispatch = inbox_dispatcher(runtime, InboxEvent, "billing.notifications", notification_events)
    request = new_event(
        "banking",
        "notification.requested",
        {"company_id": company_id, "kind": kind, "message": message, **more},
    )
    await dispatch(request)
    await dispatch(request)


async def test_a_notification_banking_asks_for_is_listed_once(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    body = await register(client)

    await delivered_twice(
        worker_runtime,
        body["company"]["id"],
        "transaction_limit_reached",
        "You reached this month's 5,000 transactions.",
        limit=5000,
    )

    listed = (await client.get("/api/notifications/", headers=bearer(body["access_token"]))).json()
    ours = [item for item in listed["items"] if item["kind"] == "transaction_limit_reached"]
    assert len(ours) == 1
    assert ours[0]["message"] == "You reached this month's 5,000 transactions."


async def test_every_notification_is_published_once_for_the_live_stream(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    body = await register(client)

    await delivered_twice(
        worker_runtime,
        body["company"]["id"],
        "consent_revoked",
        "The consent to read one of your bank connections was revoked.",
    )

    listed = (await client.get("/api/notifications/", headers=bearer(body["access_token"]))).json()
    [stored] = [item for item in listed["items"] if item["kind"] == "consent_revoked"]
    announced = [
        envelope
        for envelope in await published(database, "billing.notification.created")
        if envelope["company_id"] == body["company"]["id"]
    ]
    assert [envelope["data"] for envelope in announced] == [
        {
            "notification_id": str(stored["id"]),
            "kind": "consent_revoked",
            "severity": "warning",
            "title": stored["title"],
            "message": "The consent to read one of your bank connections was revoked.",
            "link": None,
        }
    ]


async def test_a_company_being_deleted_gets_no_notification(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    body = await register(client)
    deletion = await client.post(
        "/api/companies/me/deletion",
        json={"company_name": body["company"]["name"]},
        headers=bearer(body["access_token"]),
    )
    assert deletion.status_code == 202, deletion.text
    before = await published(database, "billing.notification.created")

    await delivered_twice(
        worker_runtime, body["company"]["id"], "consent_revoked", "A bank's consent was revoked."
    )

    async with database.transaction() as session:
        stored = await session.scalars(
            select(Notification.kind).where(Notification.company_id == UUID(body["company"]["id"]))
        )
        assert "consent_revoked" not in list(stored)
    assert await published(database, "billing.notification.created") == before


async def test_a_notice_banking_titles_keeps_its_title_and_its_severity(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    body = await register(client)

    await delivered_twice(
        worker_runtime,
        body["company"]["id"],
        "low_balance",
        "A Conta Corrente deve ficar negativa em 12/12/2026.",
        title="Saldo baixo à vista",
    )

    listed = (await client.get("/api/notifications/", headers=bearer(body["access_token"]))).json()
    [notice] = [item for item in listed["items"] if item["kind"] == "low_balance"]
    assert notice["title"] == "Saldo baixo à vista"
    [shown] = [
        envelope["data"]
        for envelope in await published(database, "billing.notification.created")
        if envelope["data"]["kind"] == "low_balance"
    ]
    assert (shown["title"], shown["severity"]) == ("Saldo baixo à vista", "warning")
