"""charge.dispute.* events: dispute records with reason, amount, status and evidence due date."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ..conftest import Deliver
from ..helpers import listed, notification_kinds
from ..paid_company import paid_company
from ..scenario import T0
from ..stripe_objects import dispute, event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_a_dispute_is_recorded_followed_and_closed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    opened = dispute(
        "dp_1", company.first_charge, company.first_intent, due_by=T0 + 864_000, created=T0 + 100
    )

    await deliver(event("charge.dispute.created", opened, created=T0 + 100))
    await deliver(event("charge.dispute.funds_withdrawn", opened, created=T0 + 101))
    await deliver(
        event("charge.dispute.updated", {**opened, "status": "under_review"}, created=T0 + 200)
    )
    await deliver(event("charge.dispute.closed", {**opened, "status": "won"}, created=T0 + 300))
    await deliver(
        event("charge.dispute.funds_reinstated", {**opened, "status": "won"}, created=T0 + 301)
    )

    [record] = await listed(client, company.access_token, "/api/payments/disputes/")
    assert record["status"] == "won"
    assert record["reason"] == "fraudulent"
    assert record["amount_cents"] == 7900
    assert record["funds_status"] == "reinstated"
    assert record["evidence_due_by"] == datetime.fromtimestamp(
        T0 + 864_000, UTC
    ).isoformat().replace("+00:00", "Z")
    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert record["payment_id"] == payment["id"]
    kinds = await notification_kinds(client, company.access_token)
    assert "dispute_opened" in kinds
    assert "dispute_closed" in kinds


async def test_a_late_update_does_not_reopen_a_closed_dispute(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    opened = dispute("dp_2", company.first_charge, company.first_intent, created=T0 + 100)

    await deliver(event("charge.dispute.closed", {**opened, "status": "lost"}, created=T0 + 300))
    await deliver(
        event("charge.dispute.updated", {**opened, "status": "under_review"}, created=T0 + 200)
    )

    [record] = await listed(client, company.access_token, "/api/payments/disputes/")
    assert record["status"] == "lost"
