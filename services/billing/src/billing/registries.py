"""The handler registries of billing's queues; each domain's handlers.py registers on them."""

from __future__ import annotations

from finhub_shared.inbox import HandlerRegistry

stripe_events = HandlerRegistry()
usage_events = HandlerRegistry()
notification_events = HandlerRegistry()
