"""A company's Stripe customer: created once, kept in sync with Stripe's events."""

from __future__ import annotations

from uuid import UUID

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers import repository
from billing.customers.models import PaymentMethod, StripeCustomer
from billing.stripe_api import stripe_call
from billing.stripe_payloads import Customer


async def ensure_customer(
    session: AsyncSession,
    stripe_client: stripe.StripeClient,
    *,
    company_id: UUID,
    company_name: str,
    email: str,
) -> str:
    """The company's Stripe customer id, creating the customer the first time.

    The idempotency key makes a retry after a lost answer (or a rolled-back transaction) return
    the customer Stripe already made, instead of a second one.
    """
    existing = await repository.for_company(session, company_id)
    if existing is not None and existing.deleted_at is None:
        return existing.stripe_customer_id
    # A deleted customer is replaced; the new key keeps the retry guarantee for the replacement.
    key = f"customer-{company_id}"
    if existing is not None:
        key += f"-after-{existing.stripe_customer_id}"
    created = await stripe_call(
        "create the customer",
        Customer,
        stripe_client.v1.customers.create_async(
            params={
                "email": email,
                "name": company_name,
                "metadata": {"company_id": str(company_id)},
            },
            options={"idempotency_key": key},
        ),
    )
    if existing is None:
        session.add(
            StripeCustomer(
                company_id=company_id, stripe_customer_id=created.id, email=email, name=company_name
            )
        )
    else:
        existing.stripe_customer_id, existing.deleted_at = created.id, None
        existing.email, existing.name = email, company_name
    await session.flush()
    return created.id


async def default_card(session: AsyncSession, company_id: UUID) -> PaymentMethod | None:
    """The card Stripe charges: the customer's default, else the newest one attached."""
    cards = await repository.attached_cards(session, company_id)
    customer = await repository.for_company(session, company_id)
    default_id = customer.default_payment_method_id if customer else None
    for card in cards:
        if card.stripe_payment_method_id == default_id:
            return card
    return cards[0] if cards else None
