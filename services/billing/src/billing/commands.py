"""What operators ask of billing from the command line: a company's state, and Stripe's setup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.accounts.models import Company, User
from billing.audit import repository as audit
from billing.config import BillingSettings
from billing.customers import repository as customers
from billing.disputes import repository as disputes
from billing.dunning import repository as dunning
from billing.entitlements.service import entitlements_of
from billing.erasure import repository as erasure
from billing.erasure.schemas import DeletionOut
from billing.invoices import repository as invoices
from billing.payments import repository as payments
from billing.plans import repository as plans
from billing.plans.stripe_setup import billing_events, gateway_webhook_url
from billing.subscriptions import repository as subscriptions
from billing.subscriptions.service import state_of

RECENT = 10
# What check-stripe tells the operator when Stripe lacks something stripe-setup makes.
SET_UP = "run `make stripe-setup`"


async def find_company(session: AsyncSession, reference: str) -> Company | None:
    """A company by its id, or by the email of one of its users."""
    try:
        return await accounts.company_by_id(session, UUID(reference))
    except ValueError:
        user = await accounts.user_by_email(session, reference.strip().lower())
        return await accounts.company_by_id(session, user.company_id) if user else None


async def deletion_state(session: AsyncSession, company: Company) -> dict[str, Any] | None:
    """The company's deletion as its status endpoint would show it, if its owner asked for one."""
    deletion = await erasure.for_company(session, company.id)
    return DeletionOut.model_validate(deletion).model_dump(mode="json") if deletion else None


async def company_state(session: AsyncSession, company: Company) -> dict[str, Any]:
    """Everything billing holds about the company, newest first, ready to print as JSON."""
    subscription = await subscriptions.get_for_company(session, company.id)
    customer = await customers.for_company(session, company.id)
    users: list[User] = list(await accounts.users_of(session, company.id))
    return {
        "company": {
            "id": str(company.id),
            "name": company.name,
            "fraud_flagged_at": company.fraud_flagged_at,
        },
        "users": [{"id": str(u.id), "email": u.email, "role": u.role} for u in users],
        "subscription": state_of(subscription) if subscription else None,
        "entitlements": (
            (await entitlements_of(session, subscription)).model_dump(mode="json")
            if subscription
            else None
        ),
        "stripe_customer": customer.stripe_customer_id if customer else None,
        "dunning": [
            {
                "invoice": d.stripe_invoice_id,
                "status": d.status,
                "steps_done": d.steps_done,
                "next_run_at": d.next_run_at,
            }
            for d in await dunning.recent(session, company.id, RECENT)
        ],
        "payments": [
            {
                "id": str(p.id),
                "status": p.status,
                "amount_cents": p.amount_cents,
                "refunded_cents": p.amount_refunded_cents,
                "invoice": p.stripe_invoice_id,
            }
            for p in await payments.recent(session, company.id, RECENT)
        ],
        "invoices": [
            {
                "invoice": i.stripe_invoice_id,
                "status": i.status,
                "amount_due_cents": i.amount_due_cents,
            }
            for i in await invoices.recent(session, company.id, RECENT)
        ],
        "disputes": [
            {"dispute": d.stripe_dispute_id, "status": d.status, "reason": d.reason}
            for d in await disputes.recent(session, company.id, RECENT)
        ],
        "audit": [
            {"at": entry.created_at, "actor": entry.actor, "action": entry.action}
            for entry in await audit.latest(session, company.id, RECENT)
        ],
    }


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def key_mode(settings: BillingSettings) -> Check:
    """Whether the key is a test or live key, and fits the environment."""
    key = settings.stripe_api_key.get_secret_value()
    mode = "live" if "_live_" in key else "test" if "_test_" in key else "unknown"
    ok = mode != "unknown" and (mode == "live") == (settings.environment == "production")
    return Check(
        "key mode",
        ok,
        f"{mode} key, {settings.environment} environment, {settings.stripe_api_base}",
    )


async def reachable(client: stripe.StripeClient) -> Check:
    """Whether Stripe answers with this key."""
    try:
        await client.v1.balance.retrieve_async()
    except stripe.StripeError as error:
        return Check("reachable", False, f"{type(error).__name__} (HTTP {error.http_status})")
    return Check("reachable", True, "the key is accepted")


async def webhook_configured(client: stripe.StripeClient, settings: BillingSettings) -> Check:
    """Whether an enabled webhook endpoint points at our gateway, sending what billing handles."""
    expected = gateway_webhook_url(settings)
    try:
        endpoints = await client.v1.webhook_endpoints.list_async(params={"limit": 100})
    except stripe.StripeError as error:
        return Check(
            "webhook endpoint", False, f"{type(error).__name__} (HTTP {error.http_status})"
        )
    enabled = [e for e in endpoints.data if e.url == expected and e.status == "enabled"]
    if not enabled:
        return Check("webhook endpoint", False, f"{expected}: missing ({SET_UP})")
    unsent = set(billing_events()) - set(enabled[0].enabled_events)
    if "*" in enabled[0].enabled_events or not unsent:
        return Check("webhook endpoint", True, f"{expected}: enabled")
    return Check(
        "webhook endpoint",
        False,
        f"{expected}: {len(unsent)} events billing handles are not sent ({SET_UP})",
    )


async def plan_lookup_keys(session: AsyncSession) -> list[str]:
    """The lookup keys of the monthly and yearly Stripe prices of every plan on sale."""
    return [
        key
        for plan in await plans.active_plans(session)
        for key in (plan.stripe_lookup_key_monthly, plan.stripe_lookup_key_yearly)
    ]


async def prices_exist(client: stripe.StripeClient, keys: list[str]) -> Check:
    """Whether every plan on sale has its monthly and yearly Stripe price."""
    try:
        prices = await client.v1.prices.list_async(
            params={"lookup_keys": keys, "active": True, "limit": 100}
        )
    except stripe.StripeError as error:
        return Check("plan prices", False, f"{type(error).__name__} (HTTP {error.http_status})")
    missing = sorted(set(keys) - {price.lookup_key for price in prices.data})
    return Check(
        "plan prices",
        not missing,
        f"missing: {', '.join(missing)} ({SET_UP})" if missing else "all found",
    )


async def check_stripe(
    settings: BillingSettings, client: stripe.StripeClient, lookup_keys: list[str]
) -> list[Check]:
    """Key mode, reachability, the webhook endpoint and the plans' prices (`lookup_keys`)."""
    return [
        key_mode(settings),
        await reachable(client),
        await webhook_configured(client, settings),
        await prices_exist(client, lookup_keys),
    ]
