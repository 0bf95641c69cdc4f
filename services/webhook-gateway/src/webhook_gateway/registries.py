"""The handler registries of the gateway's queues; erasure/ and fates/handlers.py fill them."""

from __future__ import annotations

from finhub_shared.inbox import HandlerRegistry
from webhook_gateway.runtime import Runtime

# A deleted company's erasure: billing's request and banking's confirmation.
privacy_events: HandlerRegistry[Runtime] = HandlerRegistry()

# What became of the events the gateway published, as their consumers report it.
fate_events: HandlerRegistry[Runtime] = HandlerRegistry()
FATES_QUEUE = "webhook-gateway.fates"
