"""Every Prometheus metric the shared parts record, defined once on the default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

MESSAGES_CONSUMED = Counter(
    "bus_messages_consumed_total", "Messages handled and acknowledged", ["queue"]
)
MESSAGES_FAILED = Counter("bus_messages_failed_total", "Handler attempts that raised", ["queue"])
MESSAGES_RETRIED = Counter(
    "bus_messages_retried_total", "Messages sent to a delayed retry queue", ["queue"]
)
MESSAGES_DEAD_LETTERED = Counter(
    "bus_messages_dead_lettered_total", "Messages parked in a dead-letter queue", ["queue"]
)
OUTCOMES_REPORTED = Counter(
    "bus_outcomes_reported_total", "Event outcomes (handled, retrying...) confirmed by the broker"
)
OUTCOMES_LOST = Counter(
    "bus_outcomes_lost_total", "Event outcomes given up (best-effort: the events are not)"
)
PUBLISH_LATENCY = Histogram(
    "bus_publish_seconds",
    "Time from publish to broker confirm",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)

OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox messages not yet published")
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds", "Age of the oldest outbox message not yet published"
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox messages published and confirmed")

PROVIDER_REQUESTS = Counter(
    "provider_requests_total", "Calls to Stripe or Pluggy, by outcome", ["provider", "outcome"]
)
PROVIDER_CIRCUIT_OPEN = Gauge(
    "provider_circuit_open", "1 while a provider's circuit breaker is open", ["provider"]
)
# Up to 120 s: the seed alerts on a call over 30 s, so 30 must be a bucket edge.
PROVIDER_LATENCY = Histogram(
    "provider_request_duration_seconds",
    "Time a call to Stripe or Pluggy takes, its retries included",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

TASK_READY = Gauge(
    "worker_task_ready", "1 while a supervised background task is fine, 0 otherwise", ["task"]
)
