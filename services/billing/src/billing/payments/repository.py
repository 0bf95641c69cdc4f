"""Queries of payments and refunds."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments.models import Payment, Refund
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def by_invoice(session: AsyncSession, stripe_invoice_id: str) -> Payment | None:
    """The payment of a Stripe invoice."""
    statement = select(Payment).where(Payment.stripe_invoice_id == stripe_invoice_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def by_payment_intent(session: AsyncSession, intent_id: str) -> Payment | None:
    """The payment a Stripe payment intent makes."""
    statement = select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def by_charge(session: AsyncSession, charge_id: str) -> Payment | None:
    """The payment a Stripe charge belongs to."""
    statement = select(Payment).where(Payment.stripe_charge_id == charge_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_for(session: AsyncSession, principal: Principal, payment_id: UUID) -> Payment:
    """The caller's payment, or 404."""
    return await queries.get_owned(session, Payment, payment_id, principal, "payment")


async def refund(session: AsyncSession, stripe_refund_id: str) -> Refund | None:
    """Our record of a Stripe refund."""
    statement = select(Refund).where(Refund.stripe_refund_id == stripe_refund_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def refunds_of(session: AsyncSession, payment_id: UUID) -> Sequence[Refund]:
    """A payment's refunds, oldest first."""
    statement = select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.synced_at)
    return (await session.execute(statement)).scalars().all()


def newest_first(principal: Principal) -> Select[Payment]:
    """The caller's payments, newest first."""
    return queries.newest_first(
        scoped(select(Payment), Payment, principal), Payment.requested_at, Payment.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Payment]:
    """The company's newest payments."""
    statement = queries.newest_first(
        select(Payment).where(Payment.company_id == company_id), Payment.requested_at, Payment.id
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
