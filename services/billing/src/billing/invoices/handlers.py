"""Stripe invoice events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices import events
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.payloads import Invoice, parse_event
from finhub_shared.events import EventEnvelope


@stripe_events.on("invoice.paid", "invoice.payment_succeeded")
async def on_invoice_paid(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await events.invoice_paid(session, *parse_event(envelope, Invoice))


@stripe_events.on("invoice.payment_failed")
async def on_invoice_payment_failed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.invoice_payment_failed(session, *parse_event(envelope, Invoice))


@stripe_events.on("invoice.payment_action_required")
async def on_invoice_action_required(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.invoice_action_required(session, *parse_event(envelope, Invoice))


@stripe_events.on(
    "invoice.created",
    "invoice.finalized",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.updated",
)
async def on_invoice_changed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.invoice_changed(session, *parse_event(envelope, Invoice))


@stripe_events.on("invoice.upcoming")
async def on_invoice_upcoming(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await events.invoice_upcoming(session, *parse_event(envelope, Invoice))
