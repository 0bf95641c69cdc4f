"""A subscribed company, built the way it happens: registration, checkout, Stripe's events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe

from . import stripe_objects as so
from .conftest import Deliver
from .helpers import bearer, register
from .stripe_sandbox import SandboxStripe

# Stripe times in the tests: a fixed start and 30-day months.
T0 = 1_790_000_000
MONTH = 30 * so.DAY


@dataclass
class Company:
    """A registered company and the Stripe ids that belong to it (its subscription's only once
    Stripe made it: until then an id Stripe does not know)."""

    company_id: str
    user_id: str
    access_token: str
    customer_id: str
    checkout_session_id: str
    subscription_id: str
    metadata: dict[str, str] = field(default_factory=dict)
    # The subscription's item at Stripe, once Stripe made it.
    subscription_item_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)

    def subscription(self, **changes: Any) -> dict[str, Any]:
        """The Stripe subscription of the company (professional monthly, first period)."""
        values: dict[str, Any] = {
            "period_start": T0,
            "period_end": T0 + MONTH,
            "metadata": self.metadata,
            "item_id": self.subscription_item_id,
        }
        values.update(changes)
        return so.subscription(self.subscription_id, self.customer_id, **values)

    def invoice(
        self, invoice_id: str, *, period: int, status: str, **changes: Any
    ) -> dict[str, Any]:
        """The invoice of the company's `period`-th month (0 is the first)."""
        start = T0 + period * MONTH
        values: dict[str, Any] = {
            "status": status,
            "period_start": start,
            "period_end": start + MONTH,
            "metadata": self.metadata,
            "billing_reason": "subscription_create" if period == 0 else "subscription_cycle",
            "payment_intent_id": f"pi_{invoice_id}",
        }
        values.update(changes)
        return so.invoice(invoice_id, self.customer_id, self.subscription_id, **values)

    def checkout_completed(self, created: int = T0) -> dict[str, Any]:
        """Stripe's news that the company's checkout session was paid."""
        session = so.checkout_session(
            self.checkout_session_id,
            self.customer_id,
            self.subscription_id,
            metadata=self.metadata,
            invoice_id=f"in_first_{self.subscription_id}",
        )
        return so.event("checkout.session.completed", session, created=created)


async def checked_out_company(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    *,
    plan_id: int = 2,
    billing_period: str = "monthly",
) -> Company:
    """A company that registered and went through checkout (Stripe has not confirmed yet)."""
    registered = await register(client)
    token = registered["access_token"]
    response = await client.post(
        "/api/payments/checkout/",
        json={"plan_id": plan_id, "billing_period": billing_period},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    checkout = fake_stripe.calls("POST", "/v1/checkout/sessions")[-1]
    return Company(
        company_id=registered["company"]["id"],
        user_id=registered["user"]["id"],
        access_token=token,
        customer_id=checkout["customer"],
        checkout_session_id=response.json()["session_id"],
        subscription_id=so.new_id("sub"),
        metadata={
            "company_id": registered["company"]["id"],
            "plan_id": str(plan_id),
            "billing_period": billing_period,
        },
    )


async def subscribed_company(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    """A company whose checkout Stripe confirmed: an active subscription Stripe knows."""
    company = await paid_checkout(client, fake_stripe)
    stripe_subscription = company.subscription()
    await deliver(so.event("customer.subscription.created", stripe_subscription, created=T0))
    await deliver(company.checkout_completed(created=T0 + 1))
    return company


async def paid_checkout(client: httpx.AsyncClient, fake_stripe: SandboxStripe) -> Company:
    """A company that went through checkout and paid at Stripe (nothing delivered to billing yet):
    Stripe holds its subscription, first invoice and charge."""
    company = await checked_out_company(client, fake_stripe)
    session = await fake_stripe.complete_checkout(company.checkout_session_id)
    company.subscription_id = session["subscription"]
    [item] = fake_stripe.subscriptions[company.subscription_id]["items"]["data"]
    company.subscription_item_id = item["id"]
    return company


async def paid_at_stripe(
    fake_stripe: SandboxStripe,
    stripe_client: stripe.StripeClient,
    customer_id: str,
    price_id: str,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A checkout session opened at Stripe for `customer_id` (not through billing) and paid: the
    completed session, its subscription and invoice made."""
    session = await stripe_client.v1.checkout.sessions.create_async(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": price_id, "quantity": 1}],
            "metadata": metadata or {},
            "subscription_data": {"metadata": metadata or {}},
        }
    )
    return await fake_stripe.complete_checkout(session.id)
