"""Notifications: listed newest first, marked read, streamed live as Server-Sent Events."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from billing.notifications.service import notify
from finhub_shared.db import Database

from ..helpers import bearer, register

pytestmark = pytest.mark.asyncio


async def add_notifications(
    database: Database, company_id: str, count: int, title: str = "Note"
) -> None:
    async with database.transaction() as session:
        for number in range(count):
            await notify(session, UUID(company_id), "test", f"{title} {number}", "Hello.")


async def test_notifications_are_listed_newest_first_and_paginated(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = await register(client)
    await add_notifications(database, body["company"]["id"], 5)

    response = await client.get(
        "/api/notifications/",
        params={"page": 2, "page_size": 2},
        headers=bearer(body["access_token"]),
    )

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 5
    assert [item["title"] for item in page["items"]] == ["Note 2", "Note 1"]


async def test_marking_read_and_listing_unread_only(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = await register(client)
    headers = bearer(body["access_token"])
    await add_notifications(database, body["company"]["id"], 2)
    newest = (await client.get("/api/notifications/", headers=headers)).json()["items"][0]

    read = await client.post(f"/api/notifications/{newest['id']}/read", headers=headers)
    unread = await client.get("/api/notifications/", params={"unread_only": True}, headers=headers)

    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert [item["title"] for item in unread.json()["items"]] == ["Note 0"]
