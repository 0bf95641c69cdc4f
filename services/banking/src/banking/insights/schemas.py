"""API shapes of insights: each with why (evidence, transactions) and its chart points."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from banking.entitlements.schemas import InsightLevel
from banking.insights.findings import Severity, Tier
from finhub_shared.fields import MAX_BIGINT


class PointOut(BaseModel):
    """One point of a chart; `low_cents`/`high_cents` bound a forecast's uncertainty band."""

    day: date
    value_cents: int
    low_cents: int | None = None
    high_cents: int | None = None


class InsightOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    key: str = Field(description="Stable across computations: the same insight keeps it.")
    kind: str = Field(description="e.g. cash_flow_forecast, low_balance, duplicate_charge.")
    tier: Tier
    severity: Severity
    title: str
    message: str = Field(description="In Portuguese (pt-BR), amounts in reais.")
    evidence: dict[str, Any] = Field(description="The numbers behind it.")
    transaction_ids: list[UUID] = Field(description="The transactions behind it.")
    account_id: UUID | None
    series: dict[str, list[PointOut]] = Field(description="Chart series by name.")
    computed_at: datetime
    first_seen_at: datetime
    new: bool = Field(description="First found by the latest computation.")


class InsightList(BaseModel):
    """The company's insights its plan includes, the most severe and newest first."""

    insights: InsightLevel
    computed_at: datetime | None = Field(description="None: not computed yet.")
    items: list[InsightOut]


class ForecastOut(BaseModel):
    """The cash-flow forecast's series: `total` and one per account, each with its band."""

    insight_id: UUID
    computed_at: datetime
    series: dict[str, list[PointOut]]
    evidence: dict[str, Any]


class CategorySeries(BaseModel):
    category_id: str | None = Field(description="Pluggy's category id; None: uncategorised.")
    category_name: str | None = Field(
        description="The category as users read it: Pluggy's pt-BR name, else the name stored "
        "with the transaction (Pluggy's English one when it has no translation)."
    )
    spending_cents: list[int] = Field(description="Money out in each of `months`, in order.")


class CategoryHistory(BaseModel):
    """Money out per category and calendar month (Brazil), for a chart: months x categories."""

    months: list[str] = Field(description="YYYY-MM, oldest first.")
    categories: list[CategorySeries]


class InsightSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_balance_threshold_cents: int = Field(
        strict=True,
        ge=0,
        le=MAX_BIGINT,
        description="The forecast warns of the first day an account goes below this balance.",
    )


class InsightSettingsOut(BaseModel):
    low_balance_threshold_cents: int
