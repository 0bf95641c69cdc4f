"""/app: the company's money at a glance, charts drawn on the server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from console.charts import MonthFlow, Slice, by_category, cash_flow
from console.errors import ServiceFailed
from console.web import as_user, render, services

router = APIRouter(prefix="/app")


@router.get("")
async def dashboard(request: Request) -> Response:
    banking = services(request).banking
    accounts = await as_user(request, banking, "GET", "/api/banking/accounts")
    summary: dict[str, Any] = await as_user(request, banking, "GET", "/api/banking/summary")
    insights = await _insights(request)
    months = [
        MonthFlow(m["month"], m["income_cents"], m["spending_cents"]) for m in summary["months"]
    ]
    spending = [
        Slice(s["category_name"] or "Sem categoria", s["spending_cents"])
        for s in summary["spending_by_category"]
    ]
    return render(
        request,
        "app/dashboard.html",
        accounts=accounts,
        summary=summary,
        insights=insights,
        cash_flow=cash_flow(months) if months else None,
        categories=by_category(spending) if spending else None,
    )


async def _insights(request: Request) -> dict[str, Any] | None:
    """The insights the plan includes; None when it includes none (403 upgrade_required)."""
    try:
        found: dict[str, Any] = await as_user(
            request, services(request).banking, "GET", "/api/banking/insights"
        )
    except ServiceFailed as error:
        if error.status_code == 403:
            return None
        raise
    return found
