"""What billing counts about subscriptions (on the API's and the worker's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

SUBSCRIPTIONS_ENTERING = Counter(
    "billing_subscriptions_entering_total",
    "Subscriptions moving into a status (trial, active, past_due, canceled...)",
    ["status"],
)
