"""What a row measures, read straight from the private databases, broker and Stripe stand-in
(a test harness may look behind the APIs; the services never do).

- acknowledged: provider events the gateway stored (it answers 2xx only once stored);
- lost: events some outbox holds whose consumer never recorded them in its inbox, per consumer
  queue the event's routing key binds to (the workers' own SUBSCRIPTIONS say which); for a queue
  that keeps its own record instead of the inbox (banking's sync jobs), work never finished;
- duplicated: effects that appear twice (see `DUPLICATE_QUERIES` and the Stripe customers);
- dead letters: messages parked in the `.dlq` queues;
- backlog: unpublished outbox rows, messages in consumer and retry queues (delivered but not yet
  acknowledged included), and unfinished work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx

import banking.consumer
import billing.consumer
import live.consumer
from finhub_shared.bus import ConsumerQueue
from finhub_shared.bus.topology import dead_letter_queue_name, retry_queue_name
from finhub_shared.worker import Subscription

from .system import SERVICES, System

SUBSCRIPTIONS: dict[str, tuple[Subscription[Any], ...]] = {
    "billing": billing.consumer.SUBSCRIPTIONS,
    "banking": banking.consumer.SUBSCRIPTIONS,
    "live": live.consumer.SUBSCRIPTIONS,
}
# A queue whose consumer keeps its own record of the work rather than an inbox row per message:
# (service, the work not finished yet, since $1).
OWN_RECORDS = {
    "banking.sync-jobs": (
        "banking",
        """SELECT id::text FROM sync_jobs
           WHERE status IN ('queued', 'running', 'postponed') AND requested_at >= $1""",
    ),
    # Insights asked for (after a sync) and not computed since, for a plan that includes them.
    "banking.insights": (
        "banking",
        """SELECT 'insights of ' || run.company_id::text FROM insight_runs AS run
           JOIN company_entitlements AS rights USING (company_id)
           WHERE rights.insights <> 'none' AND run.requested_at >= $1
             AND (run.computed_at IS NULL OR run.computed_at < run.requested_at)""",
    ),
}
# Queues whose consumer records each event in its inbox, by service.
CONSUMERS: dict[str, tuple[ConsumerQueue, ...]] = {
    service: tuple(each.queue for each in subscriptions if each.queue.name not in OWN_RECORDS)
    for service, subscriptions in SUBSCRIPTIONS.items()
}

# Each query counts the rows beyond the first of a group that should hold one row.
DUPLICATE_QUERIES = {
    # An event stored twice by the gateway would be published (and acted on) twice.
    "gateway": """
        SELECT coalesce(sum(copies - 1), 0) FROM (
            SELECT count(*) AS copies FROM outbox_messages GROUP BY message_id HAVING count(*) > 1
        ) AS repeated""",
    # A notification about one object (its data names an id) told twice.
    "billing": """
        SELECT coalesce(sum(copies - 1), 0) FROM (
            SELECT count(*) AS copies FROM notifications
            WHERE EXISTS (SELECT 1 FROM jsonb_object_keys(data) AS key WHERE key LIKE '%id')
            GROUP BY company_id, kind, data HAVING count(*) > 1
        ) AS repeated""",
}


def binds(binding_key: str, routing_key: str) -> bool:
    """Whether a topic binding (`stripe.#`, `billing.*.changed`) takes this routing key."""
    return _words_match(binding_key.split("."), routing_key.split("."))


def _words_match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":  # zero or more words
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _words_match(rest, words[1:])


def consumers_of(routing_key: str) -> list[tuple[str, str]]:
    """(service, queue) of every consumer queue the routing key reaches."""
    return [
        (service, queue.name)
        for service, queues in CONSUMERS.items()
        for queue in queues
        if any(binds(binding, routing_key) for binding in queue.binding_keys)
    ]


@dataclass
class Measures:
    """Readings of one running system."""

    system: System

    async def acknowledged_since(self, since: datetime) -> int:
        """Provider events the gateway stored (and so acknowledged) since `since`."""
        async with self._database("gateway") as connection:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM webhook_events WHERE received_at >= $1", since
            )
        return count

    async def lost_since(self, since: datetime) -> list[str]:
        """Events written to an outbox since `since` that one of their consumers never handled
        (and routed webhook events that never reached the gateway's outbox)."""
        expected: list[tuple[str, str, str, str]] = []  # service, queue, event id, routing key
        for service in SERVICES:
            async with self._database(service) as connection:
                rows = await connection.fetch(
                    "SELECT message_id, routing_key FROM outbox_messages WHERE created_at >= $1",
                    since,
                )
            expected += [
                (consumer, queue, row["message_id"], row["routing_key"])
                for row in rows
                for consumer, queue in consumers_of(row["routing_key"])
            ]
        handled = await self._handled({event_id for _, _, event_id, _ in expected})
        lost = await self._stored_but_not_queued(since) + await self._unfinished(since)
        lost += [
            f"{routing_key} {event_id} never handled by {queue}"
            for service, queue, event_id, routing_key in expected
            if (service, queue, event_id) not in handled
        ]
        return lost

    async def duplicates(self) -> int:
        """Effects that exist twice, in all: database rows and Stripe customers."""
        total = 0
        for service, query in DUPLICATE_QUERIES.items():
            async with self._database(service) as connection:
                total += await connection.fetchval(query)
        return total + await self._duplicated_stripe_customers()

    async def dead_letters(self) -> int:
        """Messages parked in every consumer's dead-letter queue."""
        names = [dead_letter_queue_name(queue.name) for queue in _every_queue()]
        return sum((await self._queue_depths(names)).values())

    async def backlog(self, since: datetime) -> int:
        """What is still on its way: unpublished outbox rows, queued messages, and work taken on
        since `since` (work an earlier row left unfinished was counted lost in that row)."""
        unpublished = 0
        for service in SERVICES:
            async with self._database(service) as connection:
                unpublished += await connection.fetchval(
                    "SELECT count(*) FROM outbox_messages WHERE published_at IS NULL"
                )
        names = [
            name
            for queue in _every_queue()
            for name in (
                queue.name,
                *(retry_queue_name(queue.name, delay) for delay in queue.retry_delays_seconds),
            )
        ]
        queued = sum((await self._queue_depths(names)).values())
        return unpublished + queued + len(await self._unfinished(since))

    async def _unfinished(self, since: datetime) -> list[str]:
        unfinished: list[str] = []
        for service, query in OWN_RECORDS.values():
            async with self._database(service) as connection:
                rows = await connection.fetch(query, since)
            unfinished += [f"{service} work {row[0]} never finished" for row in rows]
        return unfinished

    async def _stored_but_not_queued(self, since: datetime) -> list[str]:
        async with self._database("gateway") as connection:
            rows = await connection.fetch(
                """SELECT event.event_id FROM webhook_events AS event
                   WHERE event.received_at >= $1 AND event.status = 'routed' AND NOT EXISTS (
                       SELECT 1 FROM outbox_messages AS outbox
                       WHERE outbox.message_id = event.event_id)""",
                since,
            )
        return [f"{row['event_id']} never queued by the gateway" for row in rows]

    async def _handled(self, event_ids: set[str]) -> set[tuple[str, str, str]]:
        """(service, queue, event id) of each of these events some consumer recorded."""
        handled: set[tuple[str, str, str]] = set()
        for service in CONSUMERS:
            async with self._database(service) as connection:
                rows = await connection.fetch(
                    "SELECT consumer, event_id FROM inbox_events WHERE event_id = ANY($1)",
                    list(event_ids),
                )
            handled |= {(service, row["consumer"], row["event_id"]) for row in rows}
        return handled

    async def _duplicated_stripe_customers(self) -> int:
        """Stripe customers beyond the first for one email (billing created a customer twice)."""
        headers = {"Authorization": f"Bearer {self.system.secrets.stripe_api_key}"}
        emails: list[str] = []
        async with httpx.AsyncClient(base_url=self.system.url("sandbox"), headers=headers) as http:
            params: dict[str, Any] = {"limit": 100}
            while True:
                page = (await http.get("/v1/customers", params=params)).json()
                emails += [customer["email"] for customer in page["data"]]
                if not page["has_more"]:
                    break
                params["starting_after"] = page["data"][-1]["id"]
        return len(emails) - len(set(emails))

    async def _queue_depths(self, names: list[str]) -> dict[str, int]:
        """Messages in each queue, those a consumer holds unacknowledged included (a queue not
        declared yet holds none)."""
        every = await asyncio.to_thread(self.system.rabbit.queue_depths)
        return {name: every.get(name, 0) for name in names}

    @asynccontextmanager
    async def _database(self, service: str) -> AsyncIterator[asyncpg.Connection]:
        """One short-lived connection to a service's database (a reading takes a few queries)."""
        connection = await asyncpg.connect(self.system.database_urls[service], timeout=10)
        try:
            yield connection
        finally:
            await connection.close()


def _every_queue() -> list[ConsumerQueue]:
    return [each.queue for subscriptions in SUBSCRIPTIONS.values() for each in subscriptions]
