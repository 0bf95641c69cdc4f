"""Entitlement snapshots go to the outbox with the change that causes them."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from finhub_shared.db import Database

from ..conftest import FrozenClock
from ..helpers import entitlement_snapshots, register

pytestmark = pytest.mark.asyncio


async def test_registration_publishes_the_trial_snapshot(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    body = await register(client)
    company_id = body["company"]["id"]

    snapshots = await entitlement_snapshots(database, company_id)

    assert len(snapshots) == 1
    snapshot = snapshots[0]
    assert snapshot["company_id"] == company_id
    assert snapshot["plan"] == "professional"
    assert snapshot["status"] == "trial"
    assert snapshot["limits"] == {
        "bank_accounts": 10,
        "transactions_per_month": 5000,
        "ai_insights": True,
        "insights": "standard",
    }
    assert snapshot["insight_plans"] == {"standard": "professional", "advanced": "enterprise"}
    valid_until = datetime.fromisoformat(snapshot["valid_until"])
    assert valid_until == clock.now + timedelta(days=14)
    assert snapshot["version"] == 1
