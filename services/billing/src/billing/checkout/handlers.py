"""Stripe checkout.session.* events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.checkout import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import CheckoutSession, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on("checkout.session.completed", "checkout.session.async_payment_succeeded")
async def on_checkout_completed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.checkout_completed(session, *parse_event(envelope, CheckoutSession))


@stripe_events.on("checkout.session.async_payment_failed")
async def on_checkout_payment_failed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.checkout_payment_failed(session, *parse_event(envelope, CheckoutSession))


@stripe_events.on("checkout.session.expired")
async def on_checkout_expired(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.checkout_expired(session, *parse_event(envelope, CheckoutSession))
