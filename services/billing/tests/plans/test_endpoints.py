"""The plans on sale come from the database, seeded by a migration."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from billing.plans.models import Plan
from finhub_shared.db import Database

pytestmark = pytest.mark.asyncio


async def test_the_three_plans_with_prices_in_centavos(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/payments/plans/")

    assert response.status_code == 200
    plans = {plan["slug"]: plan for plan in response.json()}
    assert list(plans) == ["starter", "professional", "enterprise"]
    assert plans["starter"]["prices"] == {"monthly_cents": 2900, "yearly_cents": 29000}
    assert plans["professional"]["prices"]["monthly_cents"] == 7900
    assert plans["enterprise"]["prices"]["monthly_cents"] == 19900
    assert plans["starter"]["limits"] == {
        "bank_accounts": 3,
        "transactions_per_month": 1000,
        "ai_insights": False,
        "insights": "none",
    }
    assert plans["professional"]["limits"]["bank_accounts"] == 10
    assert plans["enterprise"]["limits"] == {
        "bank_accounts": None,
        "transactions_per_month": None,
        "ai_insights": True,
        "insights": "advanced",
    }
    assert "advanced_ai_insights" in plans["enterprise"]["features"]
    assert all(plan["currency"] == "BRL" for plan in plans.values())


async def test_a_withdrawn_plan_is_not_listed(
    client: httpx.AsyncClient, database: Database
) -> None:
    async with database.transaction() as session:
        await session.execute(update(Plan).where(Plan.slug == "starter").values(is_active=False))
    try:
        response = await client.get("/api/payments/plans/")
        assert [plan["slug"] for plan in response.json()] == ["professional", "enterprise"]
    finally:
        async with database.transaction() as session:
            await session.execute(update(Plan).where(Plan.slug == "starter").values(is_active=True))
