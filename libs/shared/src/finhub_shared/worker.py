"""A service's worker process: bus consumers, the outbox relay and periodic jobs, until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from prometheus_client import start_http_server

from finhub_shared.bus import Consumer, ConsumerQueue, MessageHandler, Publisher
from finhub_shared.db import Database
from finhub_shared.inbox import HandlerRegistry, InboxEventMixin, inbox_dispatcher
from finhub_shared.logging import configure_logging
from finhub_shared.outbox import OutboxMessageMixin, OutboxRelay, prune_published, vacuum
from finhub_shared.runtime import settle_garbage_collector
from finhub_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

# Published outbox rows stay this long, for inspection; then the maintenance job deletes them.
PUBLISHED_OUTBOX_KEPT = timedelta(days=7)
OUTBOX_MAINTENANCE_SECONDS = 60


@dataclass(frozen=True)
class Subscription:
    """A queue this service consumes, and the handlers of the events it carries.

    The registry's handlers run inside the inbox's transaction. A queue whose handling must
    commit as it goes (long work with provider calls between commits) gives `own_transactions`
    instead: made with the worker's database, a handler idempotent by itself.
    """

    queue: ConsumerQueue
    registry: HandlerRegistry = field(default_factory=HandlerRegistry)
    own_transactions: Callable[[Database], MessageHandler] | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """Work repeated every `every_seconds` (dunning, trial expiry, retention...)."""

    name: str
    every_seconds: float
    run: Callable[[Database], Awaitable[None]]


async def run_worker(
    *,
    service: str,
    settings: ServiceSettings,
    database_url: str,
    outbox_model: type[OutboxMessageMixin],
    inbox_model: type[InboxEventMixin] | None = None,
    subscriptions: Sequence[Subscription] = (),
    jobs: Sequence[PeriodicJob] = (),
) -> None:
    """Run until SIGINT or SIGTERM, then stop taking messages and finish what is in flight."""
    configure_logging(service, settings.log_level, json=settings.log_json)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port)
    amqp_url = settings.amqp_url.get_secret_value()
    database = Database(database_url, application_name=f"{service}-worker")
    publisher = Publisher(amqp_url)
    await publisher.connect_when_up()
    relay = OutboxRelay(database, outbox_model, publisher)
    consumers = _consumers(settings, database, inbox_model, subscriptions)
    for consumer in consumers:
        await consumer.start()
    tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
    every_job = [*jobs, _outbox_maintenance(outbox_model)]
    tasks += [asyncio.create_task(_repeat(job, database), name=job.name) for job in every_job]
    settle_garbage_collector()
    log.info("worker_started", consumers=[s.queue.name for s in subscriptions])
    await _wait_for_stop_signal()
    log.info("worker_stopping")
    for consumer in consumers:
        await consumer.stop()
    relay.stop()
    for task in tasks[1:]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await publisher.close()
    await database.dispose()
    log.info("worker_stopped")


def _consumers(
    settings: ServiceSettings,
    database: Database,
    inbox_model: type[InboxEventMixin] | None,
    subscriptions: Sequence[Subscription],
) -> list[Consumer]:
    if not subscriptions:
        return []
    if inbox_model is None:
        raise ValueError("a worker that consumes needs an inbox table")
    return [
        Consumer(
            settings.amqp_url.get_secret_value(),
            subscription.queue,
            message_handler(subscription, database, inbox_model),
            prefetch=settings.consumer_prefetch,
        )
        for subscription in subscriptions
    ]


def message_handler(
    subscription: Subscription, database: Database, inbox_model: type[InboxEventMixin]
) -> MessageHandler:
    """What handles each message of the subscription's queue."""
    if subscription.own_transactions is not None:
        return subscription.own_transactions(database)
    return inbox_dispatcher(database, inbox_model, subscription.queue.name, subscription.registry)


def _outbox_maintenance(outbox_model: type[OutboxMessageMixin]) -> PeriodicJob:
    async def maintain(database: Database) -> None:
        await prune_published(database, outbox_model, PUBLISHED_OUTBOX_KEPT)
        await vacuum(database, outbox_model)

    return PeriodicJob("outbox-maintenance", OUTBOX_MAINTENANCE_SECONDS, maintain)


async def _repeat(job: PeriodicJob, database: Database) -> None:
    while True:
        try:
            await job.run(database)
        except Exception:
            # A failing job must not take the consumers down with it; it runs again next time.
            log.exception("periodic_job_failed", job=job.name)
        await asyncio.sleep(job.every_seconds)


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
