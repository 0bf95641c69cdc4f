"""`finhub-billing stripe-setup` against the sandbox's Stripe: a new account gets every plan's
product and prices and the gateway's webhook endpoint; a second run writes nothing."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import respx
import stripe
from asgi_lifespan import LifespanManager
from sqlalchemy import update
from typer.testing import CliRunner, Result

from billing.cli import app
from billing.plans.models import Plan
from finhub_shared.catalogue import ROUTES
from finhub_shared.db import Database
from provider_sandbox.config import get_settings as sandbox_settings
from provider_sandbox.main import create_app as create_sandbox
from provider_sandbox.stripe.state import StripeObject

from ..scenario import paid_checkout
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

GATEWAY = "http://127.0.0.1:8000/webhooks/stripe"
BILLING_EVENTS = sorted(route.event_type for route in ROUTES if route.source == "stripe")
PLANS = {"starter": 2900, "professional": 7900, "enterprise": 19900}


@pytest.fixture
def empty_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Sandboxes started after this are a new Stripe account: no product, price or endpoint."""
    monkeypatch.setenv("SANDBOX_STRIPE_EMPTY_ACCOUNT", "true")
    sandbox_settings.cache_clear()
    yield
    sandbox_settings.cache_clear()


@pytest_asyncio.fixture
async def new_stripe(empty_account: None) -> AsyncIterator[SandboxStripe]:
    """A new Stripe account at STRIPE_API_BASE (the sandbox's, its webhooks going nowhere)."""
    sandbox = create_sandbox(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(sandbox):
        with respx.mock(base_url=os.environ["STRIPE_API_BASE"], assert_all_called=False) as router:
            yield SandboxStripe(router, sandbox)


async def run_cli(*arguments: str) -> Result:
    # The commands run their own event loop, so they get a thread of their own.
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


def objects(kind: Mapping[str, StripeObject]) -> list[StripeObject]:
    """The sandbox's objects of one kind, oldest first."""
    return list(kind.values())


def prices_by_key(stripe: SandboxStripe) -> dict[str, StripeObject]:
    return {price["lookup_key"]: price for price in objects(stripe.prices) if price["lookup_key"]}


def writes(stripe: SandboxStripe, since: int = 0) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in stripe.requests[since:] if method != "GET"]


def rows(result: Result) -> list[list[str]]:
    """The summary's rows (what, name, result), header left out."""
    table = [
        line.split()
        for line in result.output.splitlines()
        if line.startswith(("product", "price", "webhook"))
    ]
    return [
        [" ".join(row[:2]), row[2], row[3]] if row[0] == "webhook" else row[:3] for row in table
    ]


async def test_a_new_account_gets_every_plan_and_the_webhook_endpoint(
    database: Database, new_stripe: SandboxStripe
) -> None:
    result = await run_cli("stripe-setup")

    assert result.exit_code == 0, result.output
    products = {product["id"]: product for product in objects(new_stripe.products)}
    assert sorted(products) == sorted(f"prod_finhub_{slug}" for slug in PLANS)
    assert products["prod_finhub_starter"]["name"] == "Finance Hub Starter"
    assert all(product["active"] for product in products.values())
    prices = prices_by_key(new_stripe)
    assert sorted(prices) == sorted(
        f"{slug}_{period}" for slug in PLANS for period in ("monthly", "yearly")
    )
    for slug, monthly in PLANS.items():
        for period, interval, amount in (
            ("monthly", "month", monthly),
            ("yearly", "year", monthly * 10),
        ):
            price = prices[f"{slug}_{period}"]
            assert (price["unit_amount"], price["currency"]) == (amount, "brl")
            assert price["recurring"]["interval"] == interval
            assert price["product"] == f"prod_finhub_{slug}"
            assert price["active"]
    [endpoint] = objects(new_stripe.webhook_endpoints)
    assert endpoint["url"] == GATEWAY
    assert sorted(endpoint["enabled_events"]) == BILLING_EVENTS
    assert endpoint["status"] == "enabled"
    assert [row[2] for row in rows(result)] == ["created"] * 10
    assert "10 changes made." in result.output
    # Stripe shows the secret once: the operator is told where it goes.
    assert "STRIPE_WEBHOOK_SECRET" in result.output
    assert "whsec_" in result.output
    assert "sk_test_" not in result.output
    # Every creation carried a key of its own, derived from what it asked.
    keys = [
        request.headers.get("Idempotency-Key")
        for request, _ in new_stripe.router.calls
        if request.method == "POST"
    ]
    assert all(key and key.startswith("finhub-stripe-setup-") for key in keys)
    assert len(set(keys)) == len(keys) == 10


async def test_a_second_run_changes_nothing_and_writes_nothing(
    database: Database, new_stripe: SandboxStripe
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    before = len(new_stripe.requests)

    again = await run_cli("stripe-setup")

    assert again.exit_code == 0, again.output
    assert writes(new_stripe, before) == []
    assert [row[2] for row in rows(again)] == ["unchanged"] * 10
    assert "Stripe already matches: no change." in again.output
    assert "whsec_" not in again.output


async def test_the_seeded_sandbox_only_narrows_its_endpoint_to_billings_events(
    database: Database, fake_stripe: SandboxStripe
) -> None:
    result = await run_cli("stripe-setup")

    assert result.exit_code == 0, result.output
    assert writes(fake_stripe) == [("POST", "/v1/webhook_endpoints/we_sandbox_gateway")]
    assert rows(result)[-1] == ["webhook endpoint", GATEWAY, "updated"]
    assert f"{len(BILLING_EVENTS)} events" in result.output


async def test_a_new_plan_price_takes_the_lookup_key_and_the_old_one_is_archived(
    database: Database, new_stripe: SandboxStripe
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    old = prices_by_key(new_stripe)["starter_monthly"]
    await _set_starter_monthly(database, 3900)
    try:
        result = await run_cli("stripe-setup")
    finally:
        await _set_starter_monthly(database, PLANS["starter"])

    assert result.exit_code == 0, result.output
    new = prices_by_key(new_stripe)["starter_monthly"]
    assert new["id"] != old["id"]
    assert (new["unit_amount"], new["recurring"]["interval"], new["active"]) == (
        3900,
        "month",
        True,
    )
    archived = next(price for price in objects(new_stripe.prices) if price["id"] == old["id"])
    assert archived["active"] is False
    assert archived["lookup_key"] is None
    assert ["price", "starter_monthly", "created"] in rows(result)
    assert ["price", old["id"], "archived"] in rows(result)
    assert f"lookup key moved from {old['id']}" in result.output
    assert sum(row[2] != "unchanged" for row in rows(result)) == 2


async def test_going_back_to_an_earlier_amount_makes_a_new_price_again(
    database: Database, new_stripe: SandboxStripe
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    first = prices_by_key(new_stripe)["starter_monthly"]["id"]
    await _set_starter_monthly(database, 3900)
    try:
        assert (await run_cli("stripe-setup")).exit_code == 0
    finally:
        await _set_starter_monthly(database, PLANS["starter"])

    result = await run_cli("stripe-setup")

    assert result.exit_code == 0, result.output
    back = prices_by_key(new_stripe)["starter_monthly"]
    assert back["id"] != first
    assert (back["unit_amount"], back["active"]) == (PLANS["starter"], True)
    assert [
        p["active"] for p in objects(new_stripe.prices) if p["product"] == "prod_finhub_starter"
    ].count(True) == 2


async def test_the_seeded_default_price_moves_before_it_is_archived(
    database: Database, fake_stripe: SandboxStripe
) -> None:
    await _set_starter_monthly(database, 3900)
    try:
        result = await run_cli("stripe-setup")
    finally:
        await _set_starter_monthly(database, PLANS["starter"])

    assert result.exit_code == 0, result.output
    new = prices_by_key(fake_stripe)["starter_monthly"]
    product = next(p for p in objects(fake_stripe.products) if p["id"] == "prod_finhub_starter")
    assert product["default_price"] == new["id"]
    assert ["price", "price_finhub_starter_monthly", "archived"] in rows(result)


async def test_changes_made_at_stripe_by_hand_are_put_back(
    database: Database, new_stripe: SandboxStripe, stripe_client: stripe.StripeClient
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    await stripe_client.v1.products.update_async(
        "prod_finhub_enterprise", params={"name": "Enterprise (old)", "active": False}
    )
    yearly = prices_by_key(new_stripe)["starter_yearly"]["id"]
    await stripe_client.v1.prices.update_async(yearly, params={"active": False})
    # What a run stopped between making a new price and archiving the old one leaves behind.
    stray = await stripe_client.v1.prices.create_async(
        params={
            "product": "prod_finhub_professional",
            "currency": "brl",
            "unit_amount": 7500,
            "recurring": {"interval": "month"},
        }
    )
    before = len(new_stripe.requests)

    result = await run_cli("stripe-setup")

    assert result.exit_code == 0, result.output
    enterprise = new_stripe.products["prod_finhub_enterprise"]
    assert (enterprise["name"], enterprise["active"]) == ("Finance Hub Enterprise", True)
    assert new_stripe.prices[yearly]["active"] is True
    assert new_stripe.prices[stray.id]["active"] is False
    assert ["product", "prod_finhub_enterprise", "updated"] in rows(result)
    assert "active, name" in result.output
    assert ["price", "starter_yearly", "updated"] in rows(result)
    assert ["price", stray.id, "archived"] in rows(result)
    assert len(writes(new_stripe, before)) == 3
    assert len(objects(new_stripe.prices)) == 7


async def test_an_endpoint_missing_events_or_disabled_is_put_right(
    database: Database, new_stripe: SandboxStripe
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    [endpoint] = objects(new_stripe.webhook_endpoints)
    endpoint["enabled_events"] = [
        event for event in BILLING_EVENTS if not event.startswith("invoice.")
    ]
    endpoint["status"] = "disabled"
    before = len(new_stripe.requests)

    result = await run_cli("stripe-setup")

    assert result.exit_code == 0, result.output
    assert writes(new_stripe, before) == [("POST", f"/v1/webhook_endpoints/{endpoint['id']}")]
    assert sorted(endpoint["enabled_events"]) == BILLING_EVENTS
    assert endpoint["status"] == "enabled"
    assert "enabled again" in result.output
    assert len(objects(new_stripe.webhook_endpoints)) == 1
    assert "whsec_" not in result.output


async def test_check_stripe_on_a_new_account_says_to_run_stripe_setup(
    database: Database, new_stripe: SandboxStripe
) -> None:
    missing = await run_cli("check-stripe")

    assert missing.exit_code == 1
    assert f"FAIL  webhook endpoint: {GATEWAY}: missing (run `make stripe-setup`)" in missing.output
    assert "FAIL  plan prices: missing: enterprise_monthly" in missing.output
    assert "(run `make stripe-setup`)" in missing.output.split("plan prices")[1]

    assert (await run_cli("stripe-setup")).exit_code == 0
    [endpoint] = objects(new_stripe.webhook_endpoints)
    endpoint["enabled_events"] = BILLING_EVENTS[1:]
    narrow = await run_cli("check-stripe")
    endpoint["enabled_events"] = BILLING_EVENTS
    fine = await run_cli("check-stripe")

    assert narrow.exit_code == 1
    assert (
        f"FAIL  webhook endpoint: {GATEWAY}: 1 events billing handles are not sent "
        "(run `make stripe-setup`)" in narrow.output
    )
    assert fine.exit_code == 0, fine.output


@pytest.mark.parametrize(
    ("method", "path", "status", "said"),
    [
        (
            "GET",
            "/v1/products",
            401,
            "Stripe refused the API key (STRIPE_API_KEY) when asked to list the plans' "
            "products (HTTP 401).",
        ),
        ("POST", "/v1/prices", 500, "Stripe refused to create price starter_monthly (HTTP 500)"),
        (
            "POST",
            "/v1/webhook_endpoints",
            400,
            "Stripe refused to create the webhook endpoint (HTTP 400): scripted failure",
        ),
    ],
)
@pytest.mark.usefixtures("no_stripe_retries")
async def test_a_stripe_refusal_stops_with_a_clear_error_and_a_retry_finishes_without_duplicates(
    database: Database, new_stripe: SandboxStripe, method: str, path: str, status: int, said: str
) -> None:
    new_stripe.fail(method, path, status=status)

    failed = await run_cli("stripe-setup")

    assert failed.exit_code == 1
    assert said in failed.output
    assert "Traceback" not in failed.output
    assert failed.exception is None or isinstance(failed.exception, SystemExit)
    assert "sk_test_" not in failed.output

    retried = await run_cli("stripe-setup")

    assert retried.exit_code == 0, retried.output
    assert len(objects(new_stripe.products)) == 3
    assert len(objects(new_stripe.prices)) == 6
    assert len(objects(new_stripe.webhook_endpoints)) == 1


@pytest.mark.usefixtures("no_stripe_retries")
async def test_stripe_out_of_reach_is_said_so(
    database: Database, new_stripe: SandboxStripe
) -> None:
    new_stripe.disconnect("GET", "/v1/products")

    result = await run_cli("stripe-setup")

    assert result.exit_code == 1
    assert (
        "Stripe could not be reached (STRIPE_API_BASE) to list the plans' products."
        in result.output
    )
    assert "Traceback" not in result.output


async def test_the_signing_secret_can_go_to_a_file_instead_of_the_screen(
    database: Database, new_stripe: SandboxStripe, tmp_path: Path
) -> None:
    secret_file = tmp_path / "stripe-webhook-secret"

    result = await run_cli(
        "stripe-setup",
        "--secret-file",
        str(secret_file),
        "--webhook-url",
        "https://hooks.example.com/webhooks/stripe",
    )

    assert result.exit_code == 0, result.output
    secret = secret_file.read_text(encoding="utf-8").strip()
    assert secret.startswith("whsec_")
    assert secret not in result.output
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    [endpoint] = objects(new_stripe.webhook_endpoints)
    assert endpoint["url"] == "https://hooks.example.com/webhooks/stripe"


async def test_after_setup_on_a_new_account_a_checkout_pays_with_the_created_price(
    client: httpx.AsyncClient, new_stripe: SandboxStripe
) -> None:
    assert (await run_cli("stripe-setup")).exit_code == 0
    created = prices_by_key(new_stripe)["professional_monthly"]

    company = await paid_checkout(client, new_stripe)

    [line] = new_stripe.calls("POST", "/v1/checkout/sessions")[-1:]
    assert line["line_items[0][price]"] == created["id"]
    subscription = new_stripe.subscriptions[company.subscription_id]
    assert subscription["items"]["data"][0]["price"]["id"] == created["id"]


async def _set_starter_monthly(database: Database, cents: int) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(Plan).where(Plan.slug == "starter").values(price_monthly_cents=cents)
        )
