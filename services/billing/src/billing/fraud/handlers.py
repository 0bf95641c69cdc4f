"""Stripe radar.early_fraud_warning.* events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.fraud import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import EarlyFraudWarning, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on("radar.early_fraud_warning.created", "radar.early_fraud_warning.updated")
async def on_early_fraud_warning(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    event, warning = parse_event(envelope, EarlyFraudWarning)
    auto_refund = runtime.settings.auto_refund_fraud_warnings
    await events.warning_changed(session, event, warning, auto_refund=auto_refund)
