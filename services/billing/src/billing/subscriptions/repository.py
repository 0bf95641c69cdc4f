"""Queries of subscriptions; `lock_*` take the row lock every change of billing state holds."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import ScalarSelect, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers.models import StripeCustomer
from billing.subscriptions.models import DuplicateSubscription, Subscription
from finhub_shared import queries


async def get_for_company(session: AsyncSession, company_id: UUID) -> Subscription | None:
    """The company's subscription, unlocked (for reading)."""
    statement = select(Subscription).where(Subscription.company_id == company_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def lock_for_company(
    session: AsyncSession, company_id: UUID | ScalarSelect[UUID]
) -> Subscription | None:
    """The company's subscription, locked until the transaction ends (concurrent changes wait);
    `company_id` may be a subquery that finds it."""
    statement = queries.locked(select(Subscription).where(Subscription.company_id == company_id))
    return (await session.execute(statement)).scalar_one_or_none()


async def company_for_stripe_customer(session: AsyncSession, customer_id: str) -> UUID | None:
    """The company a Stripe customer belongs to, if it is one of ours."""
    statement = select(StripeCustomer.company_id).where(
        StripeCustomer.stripe_customer_id == customer_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def company_for_stripe_subscription(
    session: AsyncSession, stripe_subscription_id: str
) -> UUID | None:
    """The company whose subscription this Stripe subscription is."""
    statement = select(Subscription.company_id).where(
        Subscription.stripe_subscription_id == stripe_subscription_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def trials_needing_attention(
    session: AsyncSession, now: datetime, notice_before: timedelta, limit: int
) -> Sequence[UUID]:
    """Companies on trial whose trial is over, or ends soon and who have not been told yet."""
    statement = (
        select(Subscription.company_id)
        .where(
            Subscription.status == "trial",
            or_(
                Subscription.trial_ends_at <= now,
                and_(
                    Subscription.trial_ends_at <= now + notice_before,
                    Subscription.trial_notice_sent_at.is_(None),
                ),
            ),
        )
        .order_by(Subscription.trial_ends_at)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def duplicate_by_stripe_id(
    session: AsyncSession, stripe_subscription_id: str
) -> DuplicateSubscription | None:
    """Our record of a Stripe subscription found to be a company's second live one."""
    statement = select(DuplicateSubscription).where(
        DuplicateSubscription.stripe_subscription_id == stripe_subscription_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def duplicate(session: AsyncSession, duplicate_id: UUID) -> DuplicateSubscription | None:
    """A duplicate by our id."""
    return await session.get(DuplicateSubscription, duplicate_id)


async def duplicate_for_update(
    session: AsyncSession, duplicate_id: UUID
) -> DuplicateSubscription | None:
    """A duplicate, locked, as it is now."""
    return await queries.get_for_update(session, DuplicateSubscription, duplicate_id)


async def duplicates_to_settle(
    session: AsyncSession, statuses: Collection[str], max_attempts: int, limit: int
) -> Sequence[UUID]:
    """Duplicates still to cancel or refund, oldest first, unless they failed too often."""
    statement = (
        select(DuplicateSubscription.id)
        .where(
            DuplicateSubscription.status.in_(statuses),
            DuplicateSubscription.attempts < max_attempts,
        )
        .order_by(DuplicateSubscription.detected_at)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()
