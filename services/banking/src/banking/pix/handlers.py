"""Pluggy's payment events: fetch the payment (or mandate) again and keep its newer state."""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from banking.pix import events, service
from banking.pluggy.webhooks import AutomaticPixPaymentEvent, PaymentEvent
from banking.registries import pluggy_events
from banking.runtime import Runtime
from finhub_shared.events import EventEnvelope
from finhub_shared.inbox import Effect


@pluggy_events.on(
    "payment_intent/created",
    "payment_intent/completed",
    "payment_intent/waiting_payer_authorization",
    "payment_intent/error",
    "payment_request/updated",
    "scheduled_payment/created",
    "scheduled_payment/completed",
    "scheduled_payment/error",
    "scheduled_payment/canceled",
    "scheduled_payment/all_created",
    "scheduled_payment/all_completed",
)
async def on_payment_changed(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Keep the payment's (or the mandate's) request and intent as Pluggy has them now."""
    event = PaymentEvent.model_validate(envelope.data)
    snapshot = await service.fetch_payment(
        runtime.database, runtime, event.payment_request_id, event.payment_intent_id
    )
    if snapshot is None:
        return None

    async def keep(session: AsyncSession) -> None:
        await service.keep_payment(session, snapshot)

    return keep


@pluggy_events.on(
    "automatic_pix_payment/created",
    "automatic_pix_payment/completed",
    "automatic_pix_payment/error",
    "automatic_pix_payment/canceled",
)
async def on_automatic_pix_payment(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Keep the cycle payment as Pluggy has it now."""
    event = AutomaticPixPaymentEvent.model_validate(envelope.data)
    payment_id = event.automatic_pix_payment_id or event.id
    if payment_id is None:
        return None
    request_id = event.payment_request_id
    current = await events.fetch_cycle_payment(runtime.database, runtime, request_id, payment_id)
    if current is None:
        return None
    return partial(events.keep_cycle_payment, pluggy_request_id=request_id, current=current)
