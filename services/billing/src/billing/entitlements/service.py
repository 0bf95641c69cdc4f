"""What a company may use, derived from its subscription, and publishing it when it changes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import get_settings
from billing.entitlements.schemas import EVENT_TYPE, Entitlements, EntitlementsChanged
from billing.plans import repository as plans
from billing.plans.models import Plan
from billing.plans.service import insight_plans, limits_of
from billing.publishing import publish
from billing.subscriptions.models import Subscription

# Statuses in which the company uses its paid plan (past_due: while Stripe retries the card).
PAID_STATUSES = frozenset({"active", "past_due"})


async def effective_plan(session: AsyncSession, subscription: Subscription) -> Plan | None:
    """The plan whose limits apply now: the trial plan, the paid plan, or none."""
    if subscription.status == "trial":
        return await plans.by_slug(session, get_settings().trial_plan)
    if subscription.status in PAID_STATUSES and subscription.plan_id is not None:
        return await plans.get(session, subscription.plan_id)
    return None


async def entitlements_of(session: AsyncSession, subscription: Subscription) -> Entitlements:
    """The company's entitlements as they stand in this transaction."""
    plan = await effective_plan(session, subscription)
    if subscription.status == "trial":
        valid_until = subscription.trial_ends_at
    elif plan is not None:
        valid_until = subscription.current_period_end
    else:
        valid_until = None
    return Entitlements(
        company_id=subscription.company_id,
        plan=plan.slug if plan else None,
        status=subscription.status,
        limits=limits_of(plan),
        valid_until=valid_until,
        insight_plans=await insight_plans(session),
    )


async def publish_if_changed(
    session: AsyncSession, subscription: Subscription, before: Entitlements | None
) -> bool:
    """Put `billing.entitlements.changed` in the outbox if the entitlements differ from `before`."""
    now = await entitlements_of(session, subscription)
    if now == before:
        return False
    subscription.entitlements_version += 1
    snapshot = EntitlementsChanged(**now.model_dump(), version=subscription.entitlements_version)
    await publish(session, EVENT_TYPE, snapshot.model_dump(mode="json"), subscription.company_id)
    await session.flush()
    return True
