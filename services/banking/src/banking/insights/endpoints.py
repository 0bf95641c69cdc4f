"""Routes of insights: the company's insights its plan includes, the forecast's and category
history's chart series, and the low-balance threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from banking.dependencies import BankingRuntime, Clock
from banking.entitlements.schemas import Entitlements
from banking.insights import service
from banking.insights.errors import InsightNotFound, NoForecast, UpgradeRequired
from banking.insights.schemas import (
    CategoryHistory,
    ForecastOut,
    InsightList,
    InsightOut,
    InsightSettingsIn,
    InsightSettingsOut,
)
from banking.money import BRAZIL_TIME
from finhub_shared.auth import CurrentPrincipal, ManagerPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import error_responses

router = APIRouter(prefix="/api/banking/insights", tags=["insights"])


@dataclass(frozen=True)
class Entitled:
    """The caller's company, whose plan includes insights, its entitlements, and the time."""

    company_id: UUID
    rights: Entitlements
    now: datetime


async def _entitled(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal, clock: Clock
) -> Entitled:
    now = clock()
    rights = await service.entitled(session, principal.company_id, runtime, "standard", now)
    return Entitled(principal.company_id, rights, now)


# Every route of insights: 403 upgrade_required unless the company's plan includes them.
InsightsCompany = Annotated[Entitled, Depends(_entitled)]


@router.get("", responses=error_responses(UpgradeRequired))
async def list_insights(session: DbSession, entitled: InsightsCompany) -> InsightList:
    """Your insights (those your plan includes), the most severe and newest first, each with the
    numbers and transactions behind it."""
    return await service.listing(session, entitled.company_id, entitled.rights)


@router.get("/forecast", responses=error_responses(UpgradeRequired, NoForecast))
async def forecast(session: DbSession, entitled: InsightsCompany) -> ForecastOut:
    """The cash-flow forecast of the next 90 days, in total and per account, with its band."""
    return await service.forecast_series(session, entitled.company_id)


@router.get("/categories/history", responses=error_responses(UpgradeRequired))
async def category_history(
    session: DbSession,
    entitled: InsightsCompany,
    months: Annotated[int, Query(ge=1, le=24)] = 12,
) -> CategoryHistory:
    """Money out per category in each of the last `months` calendar months, for a chart."""
    today = entitled.now.astimezone(BRAZIL_TIME).date()
    return await service.category_history(session, entitled.company_id, today, months)


@router.get("/settings", responses=error_responses(UpgradeRequired))
async def read_settings(session: DbSession, entitled: InsightsCompany) -> InsightSettingsOut:
    """The balance below which the forecast warns (0 until set)."""
    return await service.settings_of(session, entitled.company_id)


@router.put("/settings", responses=error_responses(UpgradeRequired))
async def change_settings(
    body: InsightSettingsIn,
    session: DbSession,
    principal: ManagerPrincipal,
    entitled: InsightsCompany,
) -> InsightSettingsOut:
    """Set the balance below which the forecast warns (owner, admin); insights are computed
    again with it."""
    return await service.change_settings(session, principal.company_id, body, entitled.now)


@router.get("/{insight_id}", responses=error_responses(UpgradeRequired, InsightNotFound))
async def get_insight(
    insight_id: UUID, session: DbSession, runtime: BankingRuntime, entitled: InsightsCompany
) -> InsightOut:
    """One insight with the numbers, transactions and chart points behind it."""
    return await service.one(
        session, entitled.company_id, runtime, insight_id, entitled.rights, entitled.now
    )
