"""What the insights tests share: billing's snapshot with an insight level, findings made up."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime
from typing import Any

from banking.insights import service
from banking.insights.findings import Finding, Point, Severity, Tier
from banking.insights.service import Detector, Stored
from banking.registries import entitlement_events
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import new_event

from ..conftest import deliver, outbox

UNLOCKING = {"standard": "professional", "advanced": "enterprise"}
LEVELS = {"starter": "none", "professional": "standard", "enterprise": "advanced"}
_versions = itertools.count(1_000_000)


async def subscribe(
    runtime: Runtime,
    company_id: uuid.UUID,
    plan: str,
    *,
    transactions_per_month: int | None = 5000,
    with_level: bool = True,
) -> None:
    """Billing's snapshot of the company on `plan`; `with_level` False: as an older billing,
    without the insight level nor the plans unlocking them."""
    limits: dict[str, Any] = {
        "bank_accounts": None,
        "transactions_per_month": transactions_per_month,
        "ai_insights": plan != "starter",
    }
    data: dict[str, Any] = {
        "company_id": str(company_id),
        "plan": plan,
        "status": "active",
        "limits": limits,
        "valid_until": None,
        "version": next(_versions),
    }
    if with_level:
        limits["insights"] = LEVELS[plan]
        data["insight_plans"] = UNLOCKING
    envelope = new_event("billing", "entitlements.changed", data, company_id=company_id)
    await deliver(runtime, envelope, "banking.entitlements", entitlement_events)


def finding(
    key: str,
    *,
    tier: Tier = "standard",
    severity: Severity = "info",
    kind: str = "made_up",
    message: str = "Algo a saber.",
) -> Finding:
    return Finding(
        kind=kind,
        tier=tier,
        severity=severity,
        title=f"Achado {key}",
        message=message,
        evidence={"total_cents": 12345, "day": date(2026, 12, 1)},
        series={"total": (Point(date(2026, 12, 1), 100, 50, 150),)},
        key=key,
    )


def detector(name: str, *found: Finding, tier: Tier = "standard") -> Detector:
    """A detector that always finds `found`."""
    return Detector(name, tier, lambda _history, _context: list(found))


async def store(
    database: Database, company_id: uuid.UUID, now: datetime, *detectors: Detector
) -> Stored:
    """Compute the company's insights with these detectors, as of `now`."""
    async with database.transaction() as session:
        return await service.compute(session, company_id, now.date(), now, "advanced", detectors)


async def company_events(
    database: Database, routing_key: str, company_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The data of the company's events queued under this key, oldest first."""
    return [
        envelope["data"]
        for envelope in await outbox(database, routing_key)
        if envelope["company_id"] == str(company_id)
    ]
