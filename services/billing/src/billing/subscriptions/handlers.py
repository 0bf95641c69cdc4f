"""Stripe customer.subscription.* events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import Subscription, parse_event
from billing.subscriptions import events
from finhub_shared.events import EventEnvelope


@stripe_events.on(
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
)
async def on_subscription_changed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.subscription_changed(session, *parse_event(envelope, Subscription))


@stripe_events.on("customer.subscription.trial_will_end")
async def on_trial_will_end(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.trial_will_end(session, *parse_event(envelope, Subscription))
