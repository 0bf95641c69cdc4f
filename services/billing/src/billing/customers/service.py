"""A company's Stripe customer: created once, kept in sync with Stripe's events.

Creating one is three steps, so that no transaction is open while Stripe answers: find whether
the company needs one (`customer_needed`), create it at Stripe (`create_at_stripe`), and keep it
(`record_customer`) in the transaction that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers import repository
from billing.customers.models import PaymentMethod
from billing.stripe.client import stripe_call
from billing.stripe.payloads import Customer


@dataclass(frozen=True)
class NewCustomer:
    """The Stripe customer a company needs, replacing its deleted one when `replaces` is set."""

    company_id: UUID
    name: str
    email: str
    replaces: str | None

    @property
    def idempotency_key(self) -> str:
        """One key per company (and per replaced customer): a retry after a lost answer, a
        rolled-back transaction or a concurrent request gets the customer Stripe already made."""
        key = f"customer-{self.company_id}"
        return key if self.replaces is None else f"{key}-after-{self.replaces}"


async def customer_needed(
    session: AsyncSession, company_id: UUID, *, company_name: str, email: str
) -> str | NewCustomer:
    """The company's Stripe customer id, or the customer to create for it."""
    existing = await repository.for_company(session, company_id)
    if existing is not None and existing.deleted_at is None:
        return existing.stripe_customer_id
    replaces = existing.stripe_customer_id if existing is not None else None
    return NewCustomer(company_id, company_name, email, replaces)


async def create_at_stripe(stripe_client: stripe.StripeClient, customer: NewCustomer) -> str:
    """The id of the customer Stripe made (or had made under the same key)."""
    created = await stripe_call(
        "create the customer",
        Customer,
        stripe_client.v1.customers.create_async(
            params={
                "email": customer.email,
                "name": customer.name,
                "metadata": {"company_id": str(customer.company_id)},
            },
            options={"idempotency_key": customer.idempotency_key},
        ),
    )
    return created.id


async def record_customer(
    session: AsyncSession, customer: NewCustomer, stripe_customer_id: str
) -> None:
    """Keep the customer Stripe made, unless a concurrent request already kept one."""
    if customer.replaces is None:
        await repository.add_if_absent(
            session, customer.company_id, stripe_customer_id, customer.email, customer.name
        )
    else:
        await repository.replace_deleted(
            session,
            customer.company_id,
            customer.replaces,
            stripe_customer_id,
            customer.email,
            customer.name,
        )


async def default_card(session: AsyncSession, company_id: UUID) -> PaymentMethod | None:
    """The card Stripe charges: the customer's default, else the newest one attached."""
    cards = await repository.attached_cards(session, company_id)
    customer = await repository.for_company(session, company_id)
    default_id = customer.default_payment_method_id if customer else None
    for card in cards:
        if card.stripe_payment_method_id == default_id:
            return card
    return cards[0] if cards else None
