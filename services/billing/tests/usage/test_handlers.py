"""banking.usage.changed: usage shown against the plan's limits; an older report never wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.database import InboxEvent
from billing.registries import usage_events
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event
from finhub_shared.inbox import inbox_dispatcher

from ..helpers import register, subscription_of

pytestmark = pytest.mark.asyncio


async def test_the_newest_usage_report_is_shown(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    body = await register(client)
    company_id = body["company"]["id"]
    dispatch = inbox_dispatcher(worker_runtime, InboxEvent, "billing.usage", usage_events)
    now = datetime.now(UTC)

    def report(
        accounts: int, transactions: int, measured: datetime, month: str = "2026-11"
    ) -> EventEnvelope:
        data = {
            "company_id": company_id,
            "bank_accounts": accounts,
            "transactions_this_month": transactions,
            "month": month,
        }
        return new_event("banking", "usage.changed", data, occurred_at=measured)

    await dispatch(report(2, 130, now))
    await dispatch(report(1, 100, now - timedelta(minutes=5)))

    usage = (await subscription_of(client, body["access_token"]))["usage"]
    assert usage["bank_accounts"] == 2
    assert usage["transactions_this_month"] == 130
    assert usage["month"] == "2026-11"

    # A first sync reports each month of the history at once, in any order: the latest stays.
    await dispatch(report(2, 180, now, month="2026-12"))
    await dispatch(report(2, 95, now, month="2026-10"))
    await dispatch(report(2, 40, now + timedelta(minutes=1), month="2026-09"))

    usage = (await subscription_of(client, body["access_token"]))["usage"]
    assert (usage["month"], usage["transactions_this_month"]) == ("2026-12", 180)
