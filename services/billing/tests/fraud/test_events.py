"""Early fraud warnings flag the payment and the company, and can refund the charge."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from billing.accounts.models import Company
from billing.audit.models import AuditEntry
from billing.config import get_settings
from billing.fraud.jobs import refund_flagged_charges
from billing.fraud.models import FraudWarning
from billing.stripe.client import open_stripe_client
from finhub_shared.db import Database

from ..conftest import Deliver, row_counts
from ..helpers import listed, notification_kinds, open_transactions
from ..paid_company import paid_company
from ..scenario import T0
from ..stripe_objects import early_fraud_warning, event
from ..stripe_sandbox import Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio


@pytest.fixture
def auto_refund() -> Iterator[None]:
    os.environ["BILLING_AUTO_REFUND_FRAUD_WARNINGS"] = "true"
    get_settings.cache_clear()
    yield
    del os.environ["BILLING_AUTO_REFUND_FRAUD_WARNINGS"]
    get_settings.cache_clear()


async def warnings(database: Database) -> list[FraudWarning]:
    async with database.sessions() as session:
        return list((await session.execute(select(FraudWarning))).scalars())


async def refund_audits(database: Database) -> int:
    async with database.sessions() as session:
        statement = select(func.count()).where(AuditEntry.action == "fraud_refund")
        return await session.scalar(statement) or 0


async def test_a_warning_flags_payment_and_company_and_tells_the_user(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_1", company.first_charge, company.first_intent)

    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))
    await deliver(
        event(
            "radar.early_fraud_warning.updated", {**warning, "actionable": False}, created=T0 + 60
        )
    )

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["fraud_warning"] is True
    async with database.sessions() as session:
        flagged = await session.get(Company, company.company_id)
    assert flagged is not None
    assert flagged.fraud_flagged_at is not None
    [record] = await warnings(database)
    assert record.actionable is False
    assert record.refund_status is None
    assert (await notification_kinds(client, company.access_token)).count("fraud_warning") == 1


async def test_with_auto_refund_the_job_refunds_the_charge_once(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    auto_refund: None,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_2", company.first_charge, company.first_intent)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))

    async with open_stripe_client(get_settings()) as stripe_client:
        assert await refund_flagged_charges(database, stripe_client) == 1
        assert await refund_flagged_charges(database, stripe_client) == 0

    [refund] = fake_stripe.calls("POST", "/v1/refunds")
    assert refund == {"charge": company.first_charge, "reason": "fraudulent"}
    [record] = await warnings(database)
    assert record.refund_status == "refunded"


async def test_stripe_unreachable_leaves_the_refund_pending_until_it_answers(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    auto_refund: None,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_3", company.first_charge, company.first_intent)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))
    fake_stripe.disconnect("POST", "/v1/refunds")
    before = await row_counts(database)

    async with open_stripe_client(get_settings()) as stripe_client:
        await refund_flagged_charges(database, stripe_client)
        after_failure = await row_counts(database)
        [pending] = await warnings(database)
        fake_stripe.recover()
        await refund_flagged_charges(database, stripe_client)

    assert after_failure == before
    assert pending.refund_status == "pending"
    [record] = await warnings(database)
    assert record.refund_status == "refunded"
    assert await refund_audits(database) == 1


async def test_no_transaction_is_open_while_stripe_refunds(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    worker_database: Database,
    auto_refund: None,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_4", company.first_charge, company.first_intent)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-worker")

    fake_stripe.while_answering(look_at_billing)
    async with open_stripe_client(get_settings()) as stripe_client:
        await refund_flagged_charges(worker_database, stripe_client)

    assert seen == {"POST /v1/refunds": []}
    [record] = await warnings(database)
    assert record.refund_status == "refunded"


async def test_two_workers_refunding_at_once_record_one_refund(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    auto_refund: None,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_5", company.first_charge, company.first_intent)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))
    gathering = Gathering("POST", "/v1/refunds", expected=2)
    fake_stripe.while_answering(gathering)

    async with open_stripe_client(get_settings()) as stripe_client:
        await asyncio.gather(
            refund_flagged_charges(database, stripe_client),
            refund_flagged_charges(database, stripe_client),
        )

    # Both asked at once; Stripe answers the second 409 while the first holds the key, and the
    # client's retry is then answered the first one's refund.
    assert gathering.arrived >= 2
    assert len(fake_stripe.refunds) == 1
    keys = {
        call.request.headers["Idempotency-Key"]
        for call in fake_stripe.router.calls
        if call.request.url.path == "/v1/refunds"
    }
    assert keys == {"fraud-refund-issfr_5"}
    [record] = await warnings(database)
    assert record.refund_status == "refunded"
    assert await refund_audits(database) == 1
