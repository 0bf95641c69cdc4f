"""Stripe charge.dispute.* events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.disputes import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import Dispute, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
async def on_dispute(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await events.dispute_changed(session, *parse_event(envelope, Dispute))
