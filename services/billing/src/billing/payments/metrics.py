"""What billing counts about payments (on the API's and the worker's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

PAYMENTS_ENTERING = Counter(
    "billing_payments_entering_total",
    "Payments moving into a status (pending, processing, succeeded, failed, cancelled, refunded)",
    ["status"],
)
