"""Stripe customer.* and payment_method.* events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import Customer, PaymentMethod, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on("customer.updated", "customer.deleted")
async def on_customer(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await events.customer_changed(session, *parse_event(envelope, Customer))


@stripe_events.on(
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "payment_method.automatically_updated",
)
async def on_payment_method(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.payment_method_changed(session, *parse_event(envelope, PaymentMethod))
