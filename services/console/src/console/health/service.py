"""Each process's /readyz and /metrics, read at once; a process that does not answer is down."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

# Each probe waits this long: one dead process must not hold the whole page.
PROBE_SECONDS = 3.0


@dataclass
class ProcessHealth:
    name: str
    url: str
    state: str = "down"  # ready, not ready, down
    checks: dict[str, str] = field(default_factory=dict)
    outbox_backlog: float | None = None
    outbox_oldest_age_seconds: float | None = None
    circuits_open: dict[str, bool] = field(default_factory=dict)
    tasks_ready: dict[str, bool] = field(default_factory=dict)
    # Pluggy's connectors as banking's worker reports them: how many per health status, and
    # each one not ONLINE (name, status).
    connectors_by_status: dict[str, int] = field(default_factory=dict)
    connectors_unhealthy: list[tuple[str, str]] = field(default_factory=list)


async def probe_all(http: httpx.AsyncClient, targets: dict[str, str]) -> list[ProcessHealth]:
    return list(await asyncio.gather(*(probe(http, n, u) for n, u in targets.items())))


async def probe(http: httpx.AsyncClient, name: str, url: str) -> ProcessHealth:
    health = ProcessHealth(name, url)
    base = url.rstrip("/")
    try:
        ready = await http.get(f"{base}/readyz", timeout=PROBE_SECONDS)
        metrics = await http.get(f"{base}/metrics", timeout=PROBE_SECONDS)
    except httpx.HTTPError:
        return health
    health.state = "ready" if ready.status_code == 200 else "not ready"
    try:
        checks = ready.json().get("checks", {})
    except ValueError:
        checks = {}
    health.checks = {str(key): str(value) for key, value in checks.items()}
    if metrics.status_code == 200:
        read_metrics(health, metrics.text)
    return health


def read_metrics(health: ProcessHealth, text: str) -> None:
    """The gauges operators look at first: outbox backlog, circuits, background tasks, and
    Pluggy's connectors in trouble."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "outbox_backlog":
                health.outbox_backlog = (health.outbox_backlog or 0) + sample.value
            elif sample.name == "outbox_oldest_age_seconds":
                oldest = health.outbox_oldest_age_seconds or 0
                health.outbox_oldest_age_seconds = max(oldest, sample.value)
            elif sample.name == "provider_circuit_open":
                health.circuits_open[sample.labels.get("provider", "?")] = sample.value > 0
            elif sample.name == "worker_task_ready":
                health.tasks_ready[sample.labels.get("task", "?")] = sample.value > 0
            elif sample.name == "banking_connectors":
                health.connectors_by_status[sample.labels.get("status", "?")] = int(sample.value)
            elif sample.name == "banking_connector_unhealthy" and sample.value > 0:
                connector = (sample.labels.get("connector", "?"), sample.labels.get("status", "?"))
                health.connectors_unhealthy.append(connector)


def connector_report(processes: list[ProcessHealth]) -> ProcessHealth | None:
    """The first process that reports Pluggy's connectors (banking's workers all agree)."""
    return next((process for process in processes if process.connectors_by_status), None)
