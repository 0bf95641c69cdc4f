"""Sends Pluggy's webhook events the way Pluggy does.

An event goes to every webhook registered for it (or for `all`, or `item/all` for item events)
with that webhook's custom headers, and to the resource's own `webhookUrl` (set on the item, the
connect token that created it, or the payment request) without any custom header. Delivery,
retries and delivery faults are the shared `WebhookDispatcher`'s job, on Pluggy's schedule: up to
nine attempts, three in a row, three more an hour later and three more two hours after that (the
rounds on the sandbox clock), and none after a 401.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from provider_sandbox.pluggy.models import Item, RegisteredWebhook
from provider_sandbox.pluggy.timeline import Timeline
from provider_sandbox.webhooks import RetrySchedule, WebhookDispatcher

FAULT_TARGET = "pluggy"
ATTEMPTS_PER_ROUND = 3
# The second round an hour after the first, the third two hours after the second.
ROUND_GAPS = (timedelta(hours=1), timedelta(hours=2))
NEVER_RETRIED = frozenset({401})


def pluggy_retries(timeline: Timeline, quick_spacing_seconds: float) -> RetrySchedule:
    """Pluggy's delivery schedule, its later rounds on the sandbox clock of `timeline`."""
    return RetrySchedule(
        quick_delays=(quick_spacing_seconds,) * (ATTEMPTS_PER_ROUND - 1),
        round_gaps=ROUND_GAPS,
        on_clock=timeline.after,
        never_retried=NEVER_RETRIED,
    )


class Notifier:
    """Builds each event's payload and queues one delivery per destination."""

    def __init__(
        self,
        dispatcher: WebhookDispatcher,
        client_id: str,
        registered: Callable[[], list[RegisteredWebhook]],
        retries: RetrySchedule,
    ) -> None:
        self._dispatcher = dispatcher
        self._client_id = client_id
        self._registered = registered
        self._retries = retries

    def emit(self, event: str, fields: dict[str, Any], resource_url: str | None = None) -> str:
        """Send `event` with its `fields`; returns the eventId (the receivers' dedupe key)."""
        event_id = str(uuid.uuid4())
        payload = {"event": event, "eventId": event_id, **fields, "clientId": self._client_id}
        body = json.dumps(payload).encode()
        for webhook in self._registered():
            if webhook.wants(event):
                self._dispatcher.send(
                    webhook.url,
                    body,
                    target=FAULT_TARGET,
                    label=event,
                    headers=webhook.headers,
                    retries=self._retries,
                )
        if resource_url:
            self._dispatcher.send(
                resource_url, body, target=FAULT_TARGET, label=event, retries=self._retries
            )
        return event_id

    def emit_for_item(self, event: str, item: Item, **fields: Any) -> str:
        """Send an event about `item` (item/*, transactions/*) with the fields those carry."""
        common = {
            "id": item.id,
            "itemId": item.id,
            "triggeredBy": item.triggered_by,
            "clientUserId": item.client_user_id,
        }
        return self.emit(event, {**common, **fields}, item.webhook_url)
