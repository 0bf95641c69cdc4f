"""Queries of checkout sessions; callers hold the company's subscription lock to change them."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.checkout.models import CheckoutSession

OPEN = "open"
EXPIRING = "expiring"


async def open_for_company(session: AsyncSession, company_id: UUID) -> CheckoutSession | None:
    """The company's open session, if any."""
    statement = select(CheckoutSession).where(
        CheckoutSession.company_id == company_id, CheckoutSession.status == OPEN
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def count_for_company(session: AsyncSession, company_id: UUID) -> int:
    """How many sessions the company has opened so far."""
    statement = select(func.count()).where(CheckoutSession.company_id == company_id)
    return await session.scalar(statement) or 0


async def expiring_for_company(
    session: AsyncSession, company_id: UUID
) -> Sequence[CheckoutSession]:
    """The company's replaced sessions that Stripe has not confirmed expired yet."""
    statement = select(CheckoutSession).where(
        CheckoutSession.company_id == company_id,
        CheckoutSession.status == EXPIRING,
        CheckoutSession.stripe_session_id.is_not(None),
    )
    return (await session.execute(statement)).scalars().all()


async def by_stripe_id(session: AsyncSession, stripe_session_id: str) -> CheckoutSession | None:
    """Our record of a Stripe Checkout session."""
    statement = select(CheckoutSession).where(
        CheckoutSession.stripe_session_id == stripe_session_id
    )
    return (await session.execute(statement)).scalar_one_or_none()
