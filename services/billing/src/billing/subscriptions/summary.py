"""What the API shows of a company's subscription."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers.service import default_card
from billing.entitlements.service import effective_plan
from billing.plans.models import Plan
from billing.plans.service import limits_of
from billing.subscriptions import service as subscriptions
from billing.subscriptions.schemas import (
    ActionRequired,
    PlanSummary,
    SubscriptionOut,
    SubscriptionSummary,
)
from billing.usage import repository as usage
from billing.usage.schemas import UsageOut


def _plan_summary(plan: Plan | None) -> PlanSummary | None:
    return PlanSummary(id=plan.id, slug=plan.slug, name=plan.name) if plan else None


async def subscription_of(session: AsyncSession, company_id: UUID) -> SubscriptionOut:
    """The company's status, plan, periods, limits, usage and any action it must take."""
    subscription = await subscriptions.read(session, company_id)
    plan = await effective_plan(session, subscription)
    measured = await usage.get(session, company_id)
    action = subscription.action_required
    return SubscriptionOut.model_validate(
        {
            "status": subscription.status,
            "plan": _plan_summary(plan),
            "billing_period": subscription.billing_period if plan else None,
            "current_period_start": subscription.current_period_start,
            "current_period_end": subscription.current_period_end,
            "trial_ends_at": subscription.trial_ends_at,
            "cancel_at_period_end": subscription.cancel_at_period_end,
            "limits": limits_of(plan),
            "usage": UsageOut.model_validate(measured) if measured else None,
            "action_required": ActionRequired.model_validate(action) if action else None,
            "payment_method": await default_card(session, company_id),
        }
    )


async def summary_of(session: AsyncSession, company_id: UUID) -> SubscriptionSummary:
    """The short form shown with the company."""
    subscription = await subscriptions.read(session, company_id)
    plan = await effective_plan(session, subscription)
    return SubscriptionSummary.model_validate(
        {
            "status": subscription.status,
            "plan": _plan_summary(plan),
            "trial_ends_at": subscription.trial_ends_at,
            "current_period_end": subscription.current_period_end,
            "cancel_at_period_end": subscription.cancel_at_period_end,
        }
    )
