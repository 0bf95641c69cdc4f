"""Routes of insights: the company's insights its plan includes, the forecast's and category
history's chart series, and the low-balance threshold."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from banking.dependencies import BankingRuntime
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
from finhub_shared.events import utcnow

router = APIRouter(prefix="/api/banking/insights", tags=["insights"])


@router.get("/", responses=error_responses(UpgradeRequired))
async def list_insights(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> InsightList:
    """Your insights (those your plan includes), the most severe and newest first, each with the
    numbers and transactions behind it."""
    company_id = principal.company_id
    rights = await service.entitled(session, company_id, runtime, "standard", utcnow())
    return await service.listing(session, company_id, rights)


@router.get("/forecast", responses=error_responses(UpgradeRequired, NoForecast))
async def forecast(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> ForecastOut:
    """The cash-flow forecast of the next 90 days, in total and per account, with its band."""
    await service.entitled(session, principal.company_id, runtime, "standard", utcnow())
    return await service.forecast_series(session, principal.company_id)


@router.get("/categories/history", responses=error_responses(UpgradeRequired))
async def category_history(
    session: DbSession,
    runtime: BankingRuntime,
    principal: CurrentPrincipal,
    months: Annotated[int, Query(ge=1, le=24)] = 12,
) -> CategoryHistory:
    """Money out per category in each of the last `months` calendar months, for a chart."""
    now = utcnow()
    await service.entitled(session, principal.company_id, runtime, "standard", now)
    today = now.astimezone(BRAZIL_TIME).date()
    return await service.category_history(session, principal.company_id, today, months)


@router.get("/settings", responses=error_responses(UpgradeRequired))
async def read_settings(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> InsightSettingsOut:
    """The balance below which the forecast warns (0 until set)."""
    await service.entitled(session, principal.company_id, runtime, "standard", utcnow())
    return await service.settings_of(session, principal.company_id)


@router.put("/settings", responses=error_responses(UpgradeRequired))
async def change_settings(
    body: InsightSettingsIn,
    session: DbSession,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> InsightSettingsOut:
    """Set the balance below which the forecast warns (owner, admin); insights are computed
    again with it."""
    now = utcnow()
    await service.entitled(session, principal.company_id, runtime, "standard", now)
    return await service.change_settings(session, principal.company_id, body, now)


@router.get("/{insight_id}", responses=error_responses(UpgradeRequired, InsightNotFound))
async def get_insight(
    insight_id: UUID, session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> InsightOut:
    """One insight with the numbers, transactions and chart points behind it."""
    return await service.one(session, principal.company_id, runtime, insight_id, utcnow())
