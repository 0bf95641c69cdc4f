"""What the worker counts about syncs (on its /metrics, WORKER_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SYNC_JOBS = Counter(
    "banking_sync_jobs_total",
    "Sync jobs run, by how they ended (succeeded, failed, postponed, skipped)",
    ["outcome"],
)
SYNCED_TRANSACTIONS = Counter(
    "banking_synced_transactions_total", "Transactions syncs stored, by change", ["change"]
)
SYNC_DURATION = Histogram(
    "banking_sync_duration_seconds",
    "Time a sync takes, from its first page request to its last write",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
