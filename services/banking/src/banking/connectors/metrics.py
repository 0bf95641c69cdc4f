"""What the worker tells operators about Pluggy's connectors (on its /metrics): their health as
Pluggy last reported it, read from the database so that every replica reports the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from prometheus_client import Gauge

from banking.connectors.models import HEALTHY, Connector

CONNECTORS = Gauge(
    "banking_connectors",
    "Pluggy's connectors by the health it last reported (ONLINE, UNSTABLE, OFFLINE, UNKNOWN)",
    ["status"],
)
# One series per connector that is not ONLINE, so an operator sees which banks are in trouble
# without a series for each of Pluggy's hundreds of healthy ones.
CONNECTOR_UNHEALTHY = Gauge(
    "banking_connector_unhealthy",
    "1 for each connector Pluggy last reported UNSTABLE or OFFLINE, by connector and status",
    ["connector_id", "connector", "status"],
)
UNKNOWN = "UNKNOWN"


def report_health(connectors: Sequence[Connector]) -> None:
    """Replace both gauges with the health of `connectors` (every connector kept)."""
    counts = Counter(connector.health_status or UNKNOWN for connector in connectors)
    CONNECTORS.clear()
    for status, count in counts.items():
        CONNECTORS.labels(status=status).set(count)
    CONNECTOR_UNHEALTHY.clear()
    for connector in connectors:
        if connector.health_status not in (HEALTHY, None):
            labels = (str(connector.id), connector.name, connector.health_status)
            CONNECTOR_UNHEALTHY.labels(*labels).set(1)
