"""The trial scheduler with a controlled clock: a notice three days before, expiry at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.subscriptions.jobs import check_trials
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import entitlement_snapshots, notification_kinds, register, subscription_of
from ..scenario import checked_out_company
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_a_trial_warns_three_days_ahead_then_expires(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = await register(client)
    token, company_id = body["access_token"], body["company"]["id"]
    trial_end = datetime.fromisoformat((await subscription_of(client, token))["trial_ends_at"])

    await check_trials(database, now=trial_end - timedelta(days=4))
    early = await notification_kinds(client, token)
    await check_trials(database, now=trial_end - timedelta(days=3))
    await check_trials(database, now=trial_end - timedelta(days=2))
    warned = await notification_kinds(client, token)
    await check_trials(database, now=trial_end + timedelta(seconds=1))

    assert early == []
    assert warned == ["trial_ending"]
    subscription = await subscription_of(client, token)
    assert (subscription["status"], subscription["plan"]) == ("expired", None)
    assert (await notification_kinds(client, token))[-1] == "trial_expired"
    snapshot = (await entitlement_snapshots(database, company_id))[-1]
    assert (snapshot["status"], snapshot["plan"]) == ("expired", None)
    assert snapshot["limits"]["transactions_per_month"] == 0


async def test_a_paying_company_is_not_expired(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)
    await deliver(company.checkout_completed())

    await check_trials(database, now=datetime.now(UTC) + timedelta(days=30))

    assert (await subscription_of(client, company.access_token))["status"] == "active"
