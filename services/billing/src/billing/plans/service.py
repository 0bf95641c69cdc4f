"""Plans as the API shows them, and choosing one for a checkout or a change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.plans import repository
from billing.plans.errors import InvalidPlan
from billing.plans.models import Plan
from billing.plans.schemas import BillingPeriod, InsightLevel, Limits, PlanOut, Prices

NO_LIMITS = Limits(bank_accounts=0, transactions_per_month=0, ai_insights=False)
# The plan feature that grants each insight level, the richest first.
INSIGHT_FEATURES: tuple[tuple[str, InsightLevel], ...] = (
    ("advanced_ai_insights", "advanced"),
    ("ai_insights", "standard"),
)
INSIGHT_RANK: dict[InsightLevel, int] = {"none": 0, "standard": 1, "advanced": 2}


def limits_of(plan: Plan | None) -> Limits:
    """The plan's limits; a company with no plan may use nothing."""
    if plan is None:
        return NO_LIMITS
    return Limits(
        bank_accounts=plan.max_bank_accounts,
        transactions_per_month=plan.max_transactions_per_month,
        ai_insights=plan.ai_insights,
        insights=insight_level(plan),
    )


def insight_level(plan: Plan | None) -> InsightLevel:
    """The insights the plan's features include."""
    features = set(plan.features) if plan is not None else set()
    return next((level for feature, level in INSIGHT_FEATURES if feature in features), "none")


async def insight_plans(session: AsyncSession) -> dict[InsightLevel, str]:
    """The first plan on sale (in display order) that includes each insight level: the one a
    company is pointed to when it asks for insights its plan lacks."""
    unlocking: dict[InsightLevel, str] = {}
    for plan in await repository.active_plans(session):
        granted = INSIGHT_RANK[insight_level(plan)]
        for level, rank in INSIGHT_RANK.items():
            if 0 < rank <= granted:
                unlocking.setdefault(level, plan.slug)
    return unlocking


def describe(plan: Plan) -> PlanOut:
    """The plan as the API shows it."""
    return PlanOut(
        id=plan.id,
        slug=plan.slug,
        name=plan.name,
        currency=plan.currency,
        prices=Prices(monthly_cents=plan.price_monthly_cents, yearly_cents=plan.price_yearly_cents),
        limits=limits_of(plan),
        features=list(plan.features),
    )


def lookup_key(plan: Plan, billing_period: BillingPeriod) -> str:
    """The lookup key of the plan's Stripe price for this period."""
    if billing_period == "monthly":
        return plan.stripe_lookup_key_monthly
    return plan.stripe_lookup_key_yearly


async def plan_on_sale(session: AsyncSession, plan_id: int) -> Plan:
    """The plan a company may subscribe to; 400 invalid_plan if unknown or withdrawn."""
    plan = await repository.get(session, plan_id)
    if plan is None or not plan.is_active:
        raise InvalidPlan(f"There is no plan {plan_id} on sale.")
    return plan
