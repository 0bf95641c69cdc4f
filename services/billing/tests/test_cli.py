"""`finhub-billing company-state` and `finhub-billing check-stripe`."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from typer.testing import CliRunner, Result

from billing.cli import app

from .conftest import Deliver
from .helpers import register
from .paid_company import paid_company
from .stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def run_cli(*arguments: str) -> Result:
    # The commands run their own event loop, so they get a thread of their own.
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


async def test_company_state_by_email_shows_subscription_and_history(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    me = (await client.get("/api/companies/me", headers=company.headers)).json()

    result = await run_cli("company-state", me["user"]["email"])

    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["company"]["id"] == company.company_id
    assert state["subscription"]["status"] == "active"
    assert state["entitlements"]["plan"] == "professional"
    assert state["stripe_customer"] == company.customer_id
    assert [p["status"] for p in state["payments"]] == ["succeeded"]
    assert {entry["action"] for entry in state["audit"]} >= {"trial_started", "checkout_started"}


async def test_company_state_by_id(client: httpx.AsyncClient) -> None:
    body = await register(client)

    result = await run_cli("company-state", body["company"]["id"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["subscription"]["status"] == "trial"


async def test_company_state_of_nobody_fails(client: httpx.AsyncClient) -> None:
    result = await run_cli("company-state", "nobody@example.com")

    assert result.exit_code == 1


async def test_check_stripe_reports_each_check(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    result = await run_cli("check-stripe")

    assert result.exit_code == 0, result.output
    assert "ok    key mode: test key, test environment" in result.output
    assert "ok    webhook endpoint" in result.output
    assert "ok    plan prices: all found" in result.output


async def test_check_stripe_fails_without_webhook_endpoint_or_prices(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    fake_stripe.send_webhooks_to("https://elsewhere.example.com/hooks")
    fake_stripe.missing_lookup_keys.add("enterprise_yearly")

    result = await run_cli("check-stripe")

    assert result.exit_code == 1
    assert "FAIL  webhook endpoint: http://127.0.0.1:8000/webhooks/stripe: missing" in result.output
    assert "FAIL  plan prices: missing: enterprise_yearly" in result.output
    assert "sk_test_" not in result.output
