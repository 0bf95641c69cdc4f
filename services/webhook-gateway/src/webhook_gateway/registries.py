"""The handler registry of the gateway's one queue; erasure/handlers.py registers on it."""

from __future__ import annotations

from finhub_shared.inbox import HandlerRegistry
from webhook_gateway.runtime import Runtime

# A deleted company's erasure: billing's request and banking's confirmation.
privacy_events: HandlerRegistry[Runtime] = HandlerRegistry()
