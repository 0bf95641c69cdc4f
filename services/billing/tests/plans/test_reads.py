"""A transaction reads the plans once, and the next one sees any change made since."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import get_settings
from billing.entitlements.service import effective_plan
from billing.plans import repository
from billing.plans.models import Plan
from billing.plans.service import insight_plans
from billing.subscriptions.models import Subscription
from finhub_shared.db import Database

pytestmark = pytest.mark.asyncio


@contextmanager
def plan_reads(database: Database) -> Iterator[list[str]]:
    """The statements that read the plans table while the block runs."""
    reads: list[str] = []

    def seen(*args: Any) -> None:
        statement: str = args[2]
        if "FROM plans" in statement:
            reads.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield reads
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)


async def starter_price(session: AsyncSession) -> int:
    starter = await repository.by_slug(session, "starter")
    assert starter is not None
    return starter.price_monthly_cents


@asynccontextmanager
async def starter_priced(database: Database, cents: int) -> AsyncIterator[None]:
    """The starter plan at `cents` a month (committed, as an operator's SQL would), then back."""
    async with database.transaction() as session:
        original = await starter_price(session)
        await session.execute(
            update(Plan).where(Plan.slug == "starter").values(price_monthly_cents=cents)
        )
    try:
        yield
    finally:
        async with database.transaction() as session:
            await session.execute(
                update(Plan).where(Plan.slug == "starter").values(price_monthly_cents=original)
            )


async def test_every_look_up_of_one_transaction_shares_one_read(database: Database) -> None:
    trial = Subscription(status="trial", plan_id=None)
    paid = Subscription(status="active", plan_id=3)
    with plan_reads(database) as reads:
        async with database.transaction() as session:
            found = (
                [plan.slug for plan in await repository.every_plan(session)],
                [plan.slug for plan in await repository.active_plans(session)],
                (await repository.get(session, 1)),
                (await repository.by_slug(session, "enterprise")),
                (await repository.by_lookup_key(session, "professional_yearly")),
                await insight_plans(session),
                await effective_plan(session, trial),
                await effective_plan(session, paid),
            )

    assert len(reads) == 1
    every, on_sale, first, enterprise, yearly, insights, trial_plan, paid_plan = found
    assert every == on_sale == ["starter", "professional", "enterprise"]
    assert first is not None
    assert first.slug == "starter"
    assert enterprise is not None
    assert enterprise.id == 3
    assert yearly is not None
    assert (yearly[0].slug, yearly[1]) == ("professional", "yearly")
    assert insights == {"standard": "professional", "advanced": "enterprise"}
    assert trial_plan is not None
    assert trial_plan.slug == get_settings().trial_plan
    assert paid_plan is enterprise


async def test_unknown_plans_are_none(database: Database) -> None:
    async with database.transaction() as session:
        assert await repository.get(session, 999) is None
        assert await repository.by_slug(session, "platinum") is None
        assert await repository.by_lookup_key(session, "platinum_monthly") is None


async def test_the_next_transaction_sees_a_plan_changed_by_another(database: Database) -> None:
    async with database.transaction() as session:
        before = await starter_price(session)

    async with starter_priced(database, before + 100), database.transaction() as session:
        after = await starter_price(session)

    assert after == before + 100


async def test_a_session_reads_the_plans_again_in_its_next_transaction(
    database: Database,
) -> None:
    async with database.sessions() as session:
        async with session.begin():
            before = await starter_price(session)
        async with starter_priced(database, before + 100):
            with plan_reads(database) as reads:
                async with session.begin():
                    after = await repository.by_slug(session, "starter")

    assert len(reads) == 1
    assert after is not None
    assert after.price_monthly_cents == before + 100


async def test_a_withdrawal_in_the_transaction_is_seen_by_its_later_look_ups(
    database: Database,
) -> None:
    async with database.transaction() as session:
        assert await repository.by_slug(session, "professional") is not None
        withdrawn = await session.begin_nested()
        await session.execute(
            update(Plan).where(Plan.slug == "professional").values(is_active=False)
        )
        on_sale = [plan.slug for plan in await repository.active_plans(session)]
        await withdrawn.rollback()

    assert on_sale == ["starter", "enterprise"]
