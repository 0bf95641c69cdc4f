"""Routes of the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from banking.dependencies import Clock
from banking.fields import CalendarDay
from banking.money import BRAZIL_TIME
from banking.summary import service
from banking.summary.errors import InvalidPeriod
from banking.summary.schemas import Summary
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import error_responses

router = APIRouter(prefix="/api/banking", tags=["summary"])


@router.get("/summary", responses=error_responses(InvalidPeriod))
async def summary(
    session: DbSession,
    principal: CurrentPrincipal,
    clock: Clock,
    date_from: Annotated[CalendarDay | None, Query(alias="from")] = None,
    date_to: Annotated[CalendarDay | None, Query(alias="to")] = None,
) -> Summary:
    """Your dashboard across every bank, for calendar days `from`..`to` (default: 12 months)."""
    today = clock().astimezone(BRAZIL_TIME).date()
    return await service.summary(session, principal, date_from, date_to, today)
