"""The handler registries of billing's queues; each domain's handlers.py registers on them."""

from __future__ import annotations

from billing.runtime import Runtime
from finhub_shared.inbox import HandlerRegistry

stripe_events: HandlerRegistry[Runtime] = HandlerRegistry()
usage_events: HandlerRegistry[Runtime] = HandlerRegistry()
notification_events: HandlerRegistry[Runtime] = HandlerRegistry()
# The company's data export and erasure: the other services' answers.
privacy_events: HandlerRegistry[Runtime] = HandlerRegistry()
