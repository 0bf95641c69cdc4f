"""Queries of Stripe customers and their payment methods."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers.models import PaymentMethod, StripeCustomer


async def for_company(session: AsyncSession, company_id: UUID) -> StripeCustomer | None:
    """The company's Stripe customer."""
    return await session.get(StripeCustomer, company_id)


async def by_stripe_id(session: AsyncSession, stripe_customer_id: str) -> StripeCustomer | None:
    """Our record of a Stripe customer."""
    statement = select(StripeCustomer).where(
        StripeCustomer.stripe_customer_id == stripe_customer_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def payment_method(session: AsyncSession, stripe_id: str) -> PaymentMethod | None:
    """Our record of a Stripe payment method."""
    statement = select(PaymentMethod).where(PaymentMethod.stripe_payment_method_id == stripe_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def attached_cards(session: AsyncSession, company_id: UUID) -> Sequence[PaymentMethod]:
    """The company's cards still attached, newest first."""
    statement = (
        select(PaymentMethod)
        .where(PaymentMethod.company_id == company_id, PaymentMethod.attached)
        .order_by(PaymentMethod.synced_at.desc())
    )
    return (await session.execute(statement)).scalars().all()
