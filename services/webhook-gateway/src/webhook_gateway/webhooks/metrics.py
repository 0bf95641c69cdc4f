"""What the gateway counts, by source (stripe, pluggy)."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOKS_ACCEPTED = Counter("webhooks_accepted_total", "Deliveries stored and queued", ["source"])
WEBHOOKS_DUPLICATES = Counter(
    "webhooks_duplicates_total", "Deliveries of an event already stored", ["source"]
)
WEBHOOKS_IGNORED = Counter(
    "webhooks_ignored_total", "Deliveries of an unknown type, stored but not published", ["source"]
)
WEBHOOKS_REJECTED = Counter(
    "webhooks_rejected_total", "Deliveries refused, by error code", ["source", "code"]
)
