"""Pluggy's connector/status_updated: keep the institution's health as Pluggy reports it now."""

from __future__ import annotations

from functools import partial

import structlog

from banking.connectors import events
from banking.pluggy.webhooks import ConnectorStatusUpdated
from banking.registries import pluggy_events
from banking.runtime import Runtime
from finhub_shared.events import EventEnvelope, utcnow
from finhub_shared.inbox import Effect

log = structlog.get_logger(__name__)


@pluggy_events.on("connector/status_updated")
async def on_connector_status_updated(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Fetch the connector's health and keep it; syncs waiting for a recovered bank go now."""
    event = ConnectorStatusUpdated.model_validate(envelope.data)
    connector_id = event.the_connector_id
    if connector_id is None:
        log.warning("connector_status_without_connector_id")
        return None
    connector = await runtime.pluggy.get_connector(connector_id)
    if connector is None:
        return None
    return partial(events.keep_health, connector=connector, now=utcnow())
