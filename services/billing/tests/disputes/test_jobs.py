"""The dispute reminder with a controlled clock: once, three days before the evidence deadline,
only while no evidence was submitted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.disputes.jobs import remind_evidence_due
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import bearer, notification_kinds
from ..paid_company import PaidCompany, paid_company
from ..scenario import T0
from ..stripe_objects import dispute, event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

DUE_BY = T0 + 10 * 86_400
DEADLINE = datetime.fromtimestamp(DUE_BY, UTC)


async def disputed_company(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    *,
    status: str = "needs_response",
    submissions: int = 0,
) -> PaidCompany:
    company = await paid_company(client, fake_stripe, deliver)
    opened = dispute(
        "dp_" + company.first_charge, company.first_charge, company.first_intent, due_by=DUE_BY
    )
    opened["status"] = status
    opened["evidence_details"]["submission_count"] = submissions
    opened["evidence_details"]["has_evidence"] = submissions > 0
    await deliver(event("charge.dispute.created", opened, created=T0 + 100))
    return company


async def reminders(client: httpx.AsyncClient, company: PaidCompany) -> list[dict[str, object]]:
    response = await client.get(
        "/api/notifications/", params={"page_size": 100}, headers=bearer(company.access_token)
    )
    return [n for n in response.json()["items"] if n["kind"] == "dispute_evidence_due"]


async def test_a_company_is_reminded_once_three_days_before_the_deadline(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await disputed_company(client, fake_stripe, deliver)

    early = await remind_evidence_due(database, now=DEADLINE - timedelta(days=3, seconds=1))
    on_time = await remind_evidence_due(database, now=DEADLINE - timedelta(days=3))
    later = await remind_evidence_due(database, now=DEADLINE - timedelta(days=1))

    assert (early, on_time, later) == (0, 1, 0)
    [reminder] = await reminders(client, company)
    assert reminder["title"] == "Dispute evidence due soon"
    assert "79.00 BRL" in str(reminder["message"])
    assert f"{DEADLINE:%Y-%m-%d %H:%M} UTC" in str(reminder["message"])
    assert (await notification_kinds(client, company.access_token)).count(
        "dispute_evidence_due"
    ) == 1


async def test_no_reminder_once_evidence_was_submitted_or_the_deadline_passed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    submitted = await disputed_company(
        client, fake_stripe, deliver, status="under_review", submissions=1
    )
    closed = await disputed_company(client, fake_stripe, deliver, status="lost")

    during = await remind_evidence_due(database, now=DEADLINE - timedelta(days=2))
    after = await remind_evidence_due(database, now=DEADLINE + timedelta(seconds=1))

    assert (during, after) == (0, 0)
    assert await reminders(client, submitted) == []
    assert await reminders(client, closed) == []


async def test_a_late_dispute_is_not_reminded_after_its_deadline(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await disputed_company(client, fake_stripe, deliver)

    assert await remind_evidence_due(database, now=DEADLINE) == 0
    assert await reminders(client, company) == []


async def test_two_workers_at_once_remind_once(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    worker_database: Database,
) -> None:
    company = await disputed_company(client, fake_stripe, deliver)
    now = DEADLINE - timedelta(days=2)

    counts = await asyncio.gather(
        remind_evidence_due(database, now=now), remind_evidence_due(worker_database, now=now)
    )

    assert sorted(counts) == [0, 1]
    assert len(await reminders(client, company)) == 1
