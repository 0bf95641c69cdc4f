"""Queries of Stripe customers and their payment methods."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers.models import PaymentMethod, StripeCustomer
from finhub_shared import queries


async def for_company(session: AsyncSession, company_id: UUID) -> StripeCustomer | None:
    """The company's Stripe customer."""
    return await session.get(StripeCustomer, company_id)


async def add_if_absent(
    session: AsyncSession, company_id: UUID, stripe_customer_id: str, email: str, name: str
) -> None:
    """Keep the company's customer, unless it already has one."""
    statement = insert(StripeCustomer).values(
        company_id=company_id, stripe_customer_id=stripe_customer_id, email=email, name=name
    )
    await session.execute(statement.on_conflict_do_nothing())


async def replace_deleted(
    session: AsyncSession,
    company_id: UUID,
    deleted_customer_id: str,
    stripe_customer_id: str,
    email: str,
    name: str,
) -> None:
    """Put the new customer in place of the deleted one, unless it was replaced already."""
    statement = (
        update(StripeCustomer)
        .where(
            StripeCustomer.company_id == company_id,
            StripeCustomer.stripe_customer_id == deleted_customer_id,
            StripeCustomer.deleted_at.is_not(None),
        )
        .values(stripe_customer_id=stripe_customer_id, deleted_at=None, email=email, name=name)
    )
    await session.execute(statement)


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
    statement = queries.newest_first(
        select(PaymentMethod).where(PaymentMethod.company_id == company_id, PaymentMethod.attached),
        PaymentMethod.synced_at,
        PaymentMethod.id,
    )
    return (await session.execute(statement)).scalars().all()
