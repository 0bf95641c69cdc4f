"""The worker consumes every Stripe event type billing acts on; any other is recorded as ignored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from billing.database import InboxEvent
from billing.registries import stripe_events, usage_events
from finhub_shared.db import Database

from .conftest import Deliver
from .stripe_objects import event

HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.payment_action_required",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "invoice.created",
    "invoice.finalized",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.upcoming",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "charge.succeeded",
    "charge.failed",
    "charge.refunded",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "radar.early_fraud_warning.created",
    "radar.early_fraud_warning.updated",
    "customer.updated",
    "customer.deleted",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "payment_method.automatically_updated",
}


def test_every_event_type_of_the_issue_has_a_handler() -> None:
    assert stripe_events.event_types >= HANDLED
    assert usage_events.event_types == {"usage.changed"}


@pytest.mark.asyncio
async def test_an_event_type_without_handler_is_recorded_as_ignored(
    deliver: Deliver, database: Database
) -> None:
    await deliver(event("product.created", {"id": "prod_1", "object": "product"}, created=1))

    async with database.sessions() as session:
        outcomes = (await session.execute(select(InboxEvent.event_type, InboxEvent.outcome))).all()
    assert [tuple(row) for row in outcomes] == [("product.created", "ignored")]
