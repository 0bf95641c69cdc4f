"""The plans on sale (public: no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from billing.plans import repository, service
from billing.plans.schemas import PlanOut
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/payments/plans", tags=["plans"])


@router.get("")
async def list_plans(session: DbSession) -> list[PlanOut]:
    """Every plan on sale, cheapest first, with monthly and yearly prices in centavos."""
    return [service.describe(plan) for plan in await repository.active_plans(session)]
