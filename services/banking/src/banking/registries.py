"""The handler registries of banking's queues; each domain's handlers.py registers on them.

They live apart from consumer.py so that handlers can import them while consumer.py imports
every handlers module. Pluggy's handlers call Pluggy, so theirs run outside the inbox's
transaction (finhub_shared.inbox.fetching_dispatcher); billing's entitlements are handled inside
it.
"""

from __future__ import annotations

from banking.runtime import Runtime
from finhub_shared.inbox import FetchingRegistry, HandlerRegistry

pluggy_events: FetchingRegistry[Runtime] = FetchingRegistry()
entitlement_events: HandlerRegistry[Runtime] = HandlerRegistry()
# Billing's request for banking's part of a company's data export.
export_events: HandlerRegistry[Runtime] = HandlerRegistry()
# Billing's request to erase a company: it deletes connections at Pluggy, so it runs outside the
# inbox's transaction, on a queue of its own (banking.erasure).
erasure_events: FetchingRegistry[Runtime] = FetchingRegistry()
