"""Early fraud warnings flag the payment and the company, and can refund the charge."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from billing.accounts.models import Company
from billing.config import get_settings
from billing.fraud.jobs import refund_flagged_charges
from billing.fraud.models import FraudWarning
from billing.stripe_api import open_stripe_client
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import listed, notification_kinds
from ..paid_company import FIRST_CHARGE, FIRST_INTENT, paid_company
from ..scenario import T0
from ..stripe_fake import FakeStripe
from ..stripe_objects import early_fraud_warning, event

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


async def test_a_warning_flags_payment_and_company_and_tells_the_user(
    client: httpx.AsyncClient, fake_stripe: FakeStripe, deliver: Deliver, database: Database
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_1", FIRST_CHARGE, FIRST_INTENT)

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
    fake_stripe: FakeStripe,
    deliver: Deliver,
    database: Database,
    auto_refund: None,
) -> None:
    await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_2", FIRST_CHARGE, FIRST_INTENT)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))

    async with open_stripe_client(get_settings()) as stripe_client:
        assert await refund_flagged_charges(database, stripe_client) == 1
        assert await refund_flagged_charges(database, stripe_client) == 0

    [refund] = fake_stripe.calls("POST", "/v1/refunds")
    assert refund == {"charge": FIRST_CHARGE, "reason": "fraudulent"}
    [record] = await warnings(database)
    assert record.refund_status == "refunded"


async def test_stripe_unreachable_leaves_the_refund_pending(
    client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    deliver: Deliver,
    database: Database,
    auto_refund: None,
) -> None:
    await paid_company(client, fake_stripe, deliver)
    warning = early_fraud_warning("issfr_3", FIRST_CHARGE, FIRST_INTENT)
    await deliver(event("radar.early_fraud_warning.created", warning, created=T0 + 50))
    fake_stripe.disconnect("POST", "/v1/refunds")

    async with open_stripe_client(get_settings()) as stripe_client:
        await refund_flagged_charges(database, stripe_client)

    [record] = await warnings(database)
    assert record.refund_status == "pending"
