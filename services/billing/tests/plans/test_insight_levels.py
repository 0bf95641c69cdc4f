"""A plan's insight level comes from its features, and each level names the plan that unlocks it."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from billing.plans import repository
from billing.plans.models import Plan
from billing.plans.service import insight_level, insight_plans, limits_of
from finhub_shared.db import Database

pytestmark = pytest.mark.asyncio


async def test_each_seeded_plan_has_the_insight_level_its_features_give(
    database: Database,
) -> None:
    async with database.transaction() as session:
        plans = await repository.every_plan(session)
    levels = {plan.slug: limits_of(plan).insights for plan in plans}

    assert levels == {"starter": "none", "professional": "standard", "enterprise": "advanced"}


async def test_no_plan_gives_no_insights() -> None:
    assert insight_level(None) == "none"
    assert limits_of(None).insights == "none"


async def test_each_level_is_unlocked_by_the_first_plan_on_sale_that_includes_it(
    database: Database,
) -> None:
    async with database.transaction() as session:
        unlocking = await insight_plans(session)

    assert unlocking == {"standard": "professional", "advanced": "enterprise"}


async def test_a_withdrawn_plan_unlocks_nothing(database: Database) -> None:
    async with database.transaction() as session:
        withdrawn = await session.begin_nested()
        await session.execute(
            update(Plan).where(Plan.slug == "professional").values(is_active=False)
        )
        unlocking = await insight_plans(session)
        await withdrawn.rollback()

    assert unlocking == {"standard": "enterprise", "advanced": "enterprise"}
