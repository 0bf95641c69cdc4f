"""One trace from a Stripe webhook at the gateway to its last effects, across every service.

A company pays its checkout; the Stripe stand-in sends its signed events to the gateway. The event
that makes the subscription active is followed in one trace: the gateway's request stores it with
its outbox row (which keeps the request's trace context), the relay publishes it, billing's
consumer handles it and writes its database, and the entitlements and the notification billing
publishes through its own outbox are handled by banking (its database) and by the live worker,
whose stored event reaches the company's open live stream in the same trace.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from finhub_dev.sse import opened
from finhub_dev.traces import Recording, ancestors, recording_spans

from .parts import running_system
from .test_end_to_end import wait_for_limits, wait_for_subscription

PATIENCE_SECONDS = 60  # a bound on waiting for the last consumer, not a speed assertion


def consumed(spans: Sequence[ReadableSpan], queue: str) -> list[ReadableSpan]:
    """The consumer spans of the test's copy of the worker queue `queue`."""
    return [
        span
        for span in spans
        if span.kind is SpanKind.CONSUMER and span.name.startswith(f"process e2e.{queue}.")
    ]


def from_a_stripe_webhook(spans: Sequence[ReadableSpan], span: ReadableSpan) -> bool:
    """Whether `span`'s trace began with a request to the gateway's Stripe webhook."""
    chain = ancestors(spans, span)
    return bool(chain) and chain[-1].parent is None and root_route(chain[-1]) == "/webhooks/stripe"


def root_route(span: ReadableSpan) -> object:
    return (span.attributes or {}).get("http.route")


def database_writes(spans: Sequence[ReadableSpan], parent: ReadableSpan, url: str) -> set[str]:
    """The statements written to the database at `url` while `parent` was handled."""
    database = urlsplit(url).path.lstrip("/")
    return {
        span.name
        for span in spans
        if span.parent is not None
        and span.parent.span_id == parent.context.span_id
        and (span.attributes or {}).get("db.name") == database
        and span.name in {"INSERT", "UPDATE"}
    }


def delivered(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    """The live API's deliveries of a notification to open streams."""
    return [span for span in spans if span.name == "deliver notification"]


async def the_activation_trace(recording: Recording) -> list[ReadableSpan]:
    """The live worker's handling of the welcome notification that followed the activating
    Stripe event, once banking has handled that trace's entitlements and the live API has
    delivered the notification too: its whole trace."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        while True:
            spans = recording.spans()
            for live in consumed(spans, "live.events"):
                trace = [span for span in spans if span.context.trace_id == live.context.trace_id]
                complete = consumed(trace, "banking.entitlements") and delivered(trace)
                if from_a_stripe_webhook(spans, live) and complete:
                    return trace
            await asyncio.sleep(0.2)


@pytest.mark.asyncio
async def test_a_stripe_event_is_one_trace_through_gateway_billing_banking_and_live() -> None:
    with recording_spans() as recording:
        async with running_system() as system:
            headers = await system.register(
                f"ana+{uuid.uuid4().hex[:6]}@padaria.com.br", "Ana Souza", "Padaria Pão Quente"
            )
            token = headers["Authorization"].removeprefix("Bearer ")
            plans = (await system.billing.get("/api/payments/plans/")).json()
            enterprise = next(plan for plan in plans if plan["slug"] == "enterprise")

            async with opened(system.live, token) as (_, stream):
                assert stream is not None
                await system.pay_checkout(headers, enterprise["id"])

                await wait_for_subscription(system.billing, token, "active")
                await wait_for_limits(system.banking, token, "active")
                trace = await the_activation_trace(recording)

    [live] = consumed(trace, "live.events")
    [banking] = consumed(trace, "banking.entitlements")
    to_live, billing, from_gateway, webhook = ancestors(trace, live)
    to_banking, billing_again, *_ = ancestors(trace, banking)
    assert billing_again is billing
    # The gateway's request, relayed through its outbox to billing's queue...
    assert (webhook.kind, webhook.name) == (SpanKind.SERVER, "POST /webhooks/stripe")
    assert from_gateway.kind is SpanKind.PRODUCER
    assert from_gateway.name.startswith("publish stripe.")
    assert billing.name.startswith("process e2e.billing.stripe.")
    stripe_event_id = (billing.attributes or {})["messaging.message.id"]
    assert str(stripe_event_id).startswith("evt_")
    assert (from_gateway.attributes or {})["messaging.message.id"] == stripe_event_id
    # ...then through billing's outbox to banking and to the live stream.
    assert to_banking.name == "publish billing.entitlements.changed"
    assert to_live.name == "publish billing.notification.created"
    # Each service's last effect is in its own database, inside the same trace.
    assert database_writes(trace, billing, os.environ["BILLING_DATABASE_URL"])
    assert database_writes(trace, banking, os.environ["BANKING_DATABASE_URL"])
    assert database_writes(trace, live, os.environ["LIVE_DATABASE_URL"])
    # ...and the live API hands the stored notification to the company's open stream.
    [delivery] = delivered(trace)
    assert ancestors(trace, delivery)[0] is live
    assert (delivery.attributes or {})["live.streams"] == 1
    assert len({span.context.trace_id for span in trace}) == 1
