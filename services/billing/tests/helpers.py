"""Small helpers for billing's tests: registering a company, authorising requests, reading rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select, text

from billing.config import get_settings
from billing.database import OutboxMessage
from finhub_shared.db import Database

STRONG_PASSWORD = "correct-horse-42"


def accepted() -> dict[str, str]:
    """A sign-up's acceptance of the terms of use and the privacy policy in force."""
    settings = get_settings()
    return {
        "terms_of_use": settings.terms_version,
        "privacy_policy": settings.privacy_policy_version,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(
    client: httpx.AsyncClient, email: str | None = None, company_name: str = "Acme Ltda"
) -> dict[str, Any]:
    """Register a new company; the JSON answer (user, company, tokens)."""
    response = await client.post(
        "/api/auth/register",
        json={
            "email": email or f"owner-{uuid.uuid4().hex[:8]}@example.com",
            "password": STRONG_PASSWORD,
            "name": "Ana Souza",
            "company_name": company_name,
            "accepted": {"terms_of_use": "2026-12-01", "privacy_policy": "2026-12-01"},
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def published(database: Database, routing_key: str) -> list[dict[str, Any]]:
    """The envelopes billing's outbox holds under `routing_key`, oldest first."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.routing_key == routing_key)
            .order_by(OutboxMessage.id)
        )
        return [json.loads(row.body) for row in rows.scalars()]


async def entitlement_snapshots(database: Database, company_id: str) -> list[dict[str, Any]]:
    """The `billing.entitlements.changed` snapshots in the outbox for a company, oldest first."""
    envelopes = await published(database, "billing.entitlements.changed")
    return [e["data"] for e in envelopes if e["company_id"] == company_id]


async def subscription_of(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """GET /api/payments/subscription/ as the company sees it."""
    response = await client.get("/api/payments/subscription/", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def notification_kinds(client: httpx.AsyncClient, token: str) -> list[str]:
    """The kinds of the company's notifications, oldest first."""
    response = await client.get(
        "/api/notifications/", params={"page_size": 100}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return [item["kind"] for item in reversed(response.json()["items"])]


async def listed(client: httpx.AsyncClient, token: str, path: str) -> list[dict[str, Any]]:
    """Every item of a paginated history endpoint, newest first."""
    response = await client.get(path, params={"page_size": 100}, headers=bearer(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def open_transactions(database: Database, application_name: str) -> list[str]:
    """The connections of `application_name` to this database that are inside a transaction now
    (their state and last statement)."""
    async with database.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :name"
                " AND xact_start IS NOT NULL"
            ),
            {"name": application_name},
        )
        return [f"{row.state}: {row.query}" for row in rows]
