"""Billing's entitlement snapshots, from the `banking.entitlements` queue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import admission
from banking.entitlements import service
from banking.entitlements.schemas import EntitlementsSnapshot
from banking.registries import entitlement_events
from banking.runtime import Runtime
from banking.usage import service as usage
from finhub_shared.events import EventEnvelope, utcnow


@entitlement_events.on("entitlements.changed")
async def on_entitlements_changed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    """Keep the company's latest entitlements; accounts blocked past the old limit that the new
    one covers are activated and synced, transactions hidden past it shown again. A snapshot
    with the limits already kept (a renewal, a new period) changes nothing there."""
    snapshot = EntitlementsSnapshot.model_validate(envelope.data)
    if await service.apply_snapshot(session, snapshot, envelope.occurred_at):
        await admission.unblock_within_limit(session, snapshot.company_id, utcnow())
        await usage.settle(session, snapshot.company_id, (), utcnow())
