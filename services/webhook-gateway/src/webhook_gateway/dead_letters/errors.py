"""Why a dead-letter request was refused."""

from __future__ import annotations

from finhub_shared.errors import DependencyUnavailable, NotFound


class QueueNotFound(NotFound):
    code = "queue_not_found"


class BrokerUnavailable(DependencyUnavailable):
    code = "broker_unavailable"
