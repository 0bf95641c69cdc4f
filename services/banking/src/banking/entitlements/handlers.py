"""Billing's entitlement snapshots, from the `banking.entitlements` queue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.entitlements import service
from banking.entitlements.schemas import EntitlementsSnapshot
from banking.registries import entitlement_events
from banking.runtime import Runtime
from finhub_shared.events import EventEnvelope


@entitlement_events.on("entitlements.changed")
async def on_entitlements_changed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    """Keep the company's latest entitlements."""
    snapshot = EntitlementsSnapshot.model_validate(envelope.data)
    await service.apply_snapshot(session, snapshot, envelope.occurred_at)
