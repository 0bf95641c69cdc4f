"""What the worker counts about items (on its /metrics): Pluggy's destructive events, the retries
of OUTDATED items."""

from __future__ import annotations

from prometheus_client import Counter

# Pluggy's webhooks are not signed: an event saying something is gone is believed only once
# Pluggy's API confirms it. Those it did not confirm were ignored (forged, or out of date).
UNCONFIRMED_DELETIONS = Counter(
    "banking_unconfirmed_deletions_total",
    "Pluggy events announcing a deletion that Pluggy's API did not confirm, ignored, by event",
    ["event"],
)

# The worker's updates of OUTDATED items, by what Pluggy answered: `updating` (an update
# started), `failed` (Pluggy failed or could not be reached; the next retry is due later),
# `gone` (Pluggy no longer knows the item, deleted here).
OUTDATED_RETRIES = Counter(
    "banking_outdated_retries_total",
    "Updates of OUTDATED items the worker asked Pluggy for, by outcome (updating, failed, gone)",
    ["outcome"],
)
