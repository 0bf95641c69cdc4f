"""What the worker counts about Pluggy's destructive events (on its /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

# Pluggy's webhooks are not signed: an event saying something is gone is believed only once
# Pluggy's API confirms it. Those it did not confirm were ignored (forged, or out of date).
UNCONFIRMED_DELETIONS = Counter(
    "banking_unconfirmed_deletions_total",
    "Pluggy events announcing a deletion that Pluggy's API did not confirm, ignored, by event",
    ["event"],
)
