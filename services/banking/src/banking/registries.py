"""The handler registries of banking's queues; each domain's handlers.py registers on them.

They live apart from consumer.py so that handlers can import them while consumer.py imports
every handlers module.
"""

from __future__ import annotations

from finhub_shared.inbox import HandlerRegistry

pluggy_events = HandlerRegistry()
entitlement_events = HandlerRegistry()
