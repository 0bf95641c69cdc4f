"""Stripe payment_intent.*, charge.* and refund events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import Charge, PaymentIntent, Refund, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on(
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
)
async def on_payment_intent(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.payment_intent_changed(session, *parse_event(envelope, PaymentIntent))


@stripe_events.on("charge.succeeded", "charge.failed", "charge.refunded")
async def on_charge(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await events.charge_changed(session, *parse_event(envelope, Charge))


@stripe_events.on("charge.refund.updated", "refund.created", "refund.updated", "refund.failed")
async def on_refund(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await events.refund_changed(session, *parse_event(envelope, Refund))
