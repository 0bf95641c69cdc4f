"""What an insight says: a kind, a pt-BR text, the numbers and transactions behind it, and the
points a client needs to draw it. Every detector returns these; the service stores and serves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from uuid import UUID

# info: good to know; warning: worth a look; action: someone should act (notified and streamed).
Severity = Literal["info", "warning", "action"]
# Which plans see it: professional's insights, or enterprise's advanced ones besides.
Tier = Literal["standard", "advanced"]


@dataclass(frozen=True)
class Point:
    """One point of a chart series; `low`/`high` bound a forecast's uncertainty band."""

    day: date
    value_cents: int
    low_cents: int | None = None
    high_cents: int | None = None


@dataclass(frozen=True)
class Finding:
    """One insight about a company, with why: `evidence` holds the numbers (JSON-ready) and
    `transaction_ids` the transactions behind it."""

    kind: str
    tier: Tier
    severity: Severity
    title: str
    message: str
    evidence: dict[str, Any]
    transaction_ids: tuple[UUID, ...] = ()
    account_id: UUID | None = None
    series: dict[str, tuple[Point, ...]] = field(default_factory=dict)
    # Identifies the same insight across runs (e.g. "duplicate:<tx id>"), so it is stored once
    # and notified once.
    key: str = ""
