"""A service's worker process: bus consumers, the outbox relay and periodic jobs, until a signal.

Every loop runs under a Supervisor (restarted after errors, watched by heartbeats); the worker
serves /healthz, /readyz and /metrics on WORKER_METRICS_PORT for its own supervisor to probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Generic, Protocol, TypeVar

import structlog
import uvicorn
from fastapi import FastAPI

from finhub_shared import metrics
from finhub_shared.bus import Consumer, ConsumerQueue, MessageHandler, Publisher
from finhub_shared.bus.consumer import HANDLER_TIME_LIMIT_SECONDS
from finhub_shared.db import Database
from finhub_shared.errors import NotReady
from finhub_shared.inbox import (
    FetchingRegistry,
    HandlerRegistry,
    HandlerRuntime,
    InboxEventMixin,
    fetching_dispatcher,
    inbox_dispatcher,
)
from finhub_shared.logging import configure_logging
from finhub_shared.observability import ReadinessCheck, health_router
from finhub_shared.outbox import (
    OutboxMessageMixin,
    OutboxRelay,
    prune_published,
    record_backlog,
    vacuum,
)
from finhub_shared.runtime import settle_garbage_collector
from finhub_shared.settings import ServiceSettings
from finhub_shared.supervision import Heartbeat, Supervisor
from finhub_shared.tracing import configure_tracing

log = structlog.get_logger(__name__)

# Published outbox rows stay this long, for inspection; then the maintenance job deletes them.
PUBLISHED_OUTBOX_KEPT = timedelta(days=7)
OUTBOX_MAINTENANCE_SECONDS = 60
# A periodic job's run that takes longer is cut short, and run again after a pause.
JOB_TIME_LIMIT_SECONDS = 300.0
# The relay beats after every batch; a batch waits at most a confirm timeout per message.
RELAY_WINDOW_SECONDS = 60.0
# Database connections kept for the relay and the periodic jobs; consumers share the rest.
CONNECTIONS_KEPT_FOR_TASKS = 2
BACKLOG_QUERY_SECONDS = 2.0


class WorkerRuntime(HandlerRuntime, Protocol):
    """What a service's worker builds once and hands to every handler and job: its settings,
    its database and its provider clients (each service's `runtime.Runtime`)."""

    @property
    def settings(self) -> ServiceSettings: ...


RuntimeT = TypeVar("RuntimeT", bound=WorkerRuntime)


@dataclass(frozen=True)
class Subscription(Generic[RuntimeT]):
    """A queue this service consumes, and the handlers of the events it carries.

    A HandlerRegistry's handlers run inside the inbox's transaction; a FetchingRegistry's call
    their provider first, with none open (`fetching_dispatcher`). A queue whose handling must
    commit as it goes (long work with provider calls between commits) gives `own_transactions`
    instead: made with the worker's runtime, a handler idempotent by itself. A handler still
    running after `handler_time_limit_seconds` is cut short and its message retried.
    """

    queue: ConsumerQueue
    registry: HandlerRegistry[RuntimeT] | FetchingRegistry[RuntimeT] = field(
        default_factory=HandlerRegistry
    )
    own_transactions: Callable[[RuntimeT], MessageHandler] | None = None
    handler_time_limit_seconds: float = HANDLER_TIME_LIMIT_SECONDS


@dataclass(frozen=True)
class PeriodicJob(Generic[RuntimeT]):
    """Work repeated every `every_seconds` (dunning, trial expiry, retention...)."""

    name: str
    every_seconds: float
    run: Callable[[RuntimeT], Awaitable[None]]


def worker_database(service: str, database_url: str, settings: ServiceSettings) -> Database:
    """The database a worker's runtime holds; `run_worker` disposes of it when it stops."""
    return Database(
        database_url,
        application_name=f"{service}-worker",
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        statement_cache_size=settings.database_statement_cache_size,
        # No ping at checkout: it was three more round trips for every message. A statement
        # meeting a connection the server dropped fails its message into a retry (the inbox
        # makes that harmless) or restarts a supervised loop, and the pool is renewed.
        pre_ping=False,
    )


async def run_worker(
    *,
    service: str,
    runtime: RuntimeT,
    outbox_model: type[OutboxMessageMixin],
    inbox_model: type[InboxEventMixin] | None = None,
    subscriptions: Sequence[Subscription[RuntimeT]] = (),
    jobs: Sequence[PeriodicJob[RuntimeT]] = (),
) -> None:
    """Run until SIGINT or SIGTERM, then stop taking messages and finish what is in flight.

    The runtime's database is the worker's: it is disposed of when the worker stops."""
    settings, database = runtime.settings, runtime.database
    configure_logging(service, settings.log_level, json=settings.log_json)
    configure_tracing(service)
    publisher = Publisher(settings.amqp_url.get_secret_value())
    supervisor = Supervisor()
    consumers = _consumers(runtime, inbox_model, subscriptions)
    checks = _readiness_checks(database, publisher, consumers, supervisor)
    backlog = partial(_refresh_backlog, database, outbox_model)
    async with _health_server(settings.worker_metrics_port, checks, supervisor, backlog):
        await publisher.connect_when_up()
        relay = OutboxRelay(database, outbox_model, publisher)
        supervisor.start("outbox-relay", relay.run, window_seconds=RELAY_WINDOW_SECONDS)
        for job in (*jobs, _outbox_maintenance(outbox_model)):
            window = job.every_seconds + JOB_TIME_LIMIT_SECONDS
            supervisor.start(job.name, partial(_repeat, job, runtime), window_seconds=window)
        supervisor.watch()
        for consumer in consumers:
            await consumer.start()
        settle_garbage_collector()
        log.info("worker_started", consumers=[s.queue.name for s in subscriptions])
        await _wait_for_stop_signal()
        log.info("worker_stopping")
        for consumer in consumers:
            await consumer.stop()
        await supervisor.stop()
        await publisher.close()
        await database.dispose()
    log.info("worker_stopped")


def _consumers(
    runtime: RuntimeT,
    inbox_model: type[InboxEventMixin] | None,
    subscriptions: Sequence[Subscription[RuntimeT]],
) -> list[Consumer]:
    if not subscriptions:
        return []
    if inbox_model is None:
        raise ValueError("a worker that consumes needs an inbox table")
    settings = runtime.settings
    # One pool of slots for every queue: a busy queue uses what idle ones leave, and all of them
    # together never run more handlers than the database pool can serve.
    slots = asyncio.Semaphore(handler_slots(settings))
    return [
        Consumer(
            settings.amqp_url.get_secret_value(),
            subscription.queue,
            message_handler(subscription, runtime, inbox_model),
            prefetch=consumer_prefetch(settings),
            handler_slots=slots,
            handler_time_limit_seconds=subscription.handler_time_limit_seconds,
        )
        for subscription in subscriptions
    ]


def handler_slots(settings: ServiceSettings) -> int:
    """Handlers a worker runs at once, across its queues: each holds a database connection, and
    the relay and periodic jobs keep theirs."""
    return max(1, settings.database_pool_size - CONNECTIONS_KEPT_FOR_TASKS)


def consumer_prefetch(settings: ServiceSettings) -> int:
    """Messages each consumer takes at once: enough to fill every handler slot by itself."""
    return min(settings.consumer_prefetch, handler_slots(settings))


def message_handler(
    subscription: Subscription[RuntimeT], runtime: RuntimeT, inbox_model: type[InboxEventMixin]
) -> MessageHandler:
    """What handles each message of the subscription's queue."""
    if subscription.own_transactions is not None:
        return subscription.own_transactions(runtime)
    registry, consumer = subscription.registry, subscription.queue.name
    if isinstance(registry, FetchingRegistry):
        return fetching_dispatcher(runtime, inbox_model, consumer, registry)
    return inbox_dispatcher(runtime, inbox_model, consumer, registry)


def _outbox_maintenance(outbox_model: type[OutboxMessageMixin]) -> PeriodicJob[RuntimeT]:
    async def maintain(runtime: RuntimeT) -> None:
        await prune_published(runtime.database, outbox_model, PUBLISHED_OUTBOX_KEPT)
        await vacuum(runtime.database, outbox_model)

    return PeriodicJob("outbox-maintenance", OUTBOX_MAINTENANCE_SECONDS, maintain)


async def _repeat(job: PeriodicJob[RuntimeT], runtime: RuntimeT, heartbeat: Heartbeat) -> None:
    while not heartbeat.stopping.is_set():
        async with asyncio.timeout(JOB_TIME_LIMIT_SECONDS):
            await job.run(runtime)
        heartbeat.beat()
        await heartbeat.pause(job.every_seconds)


def _readiness_checks(
    database: Database,
    publisher: Publisher,
    consumers: Sequence[Consumer],
    supervisor: Supervisor,
) -> dict[str, ReadinessCheck]:
    async def check_broker() -> None:
        disconnected = [c.queue.name for c in consumers if not c.is_connected]
        if not publisher.is_connected:
            disconnected.insert(0, "publisher")
        if disconnected:
            raise NotReady(f"not connected: {', '.join(disconnected)}")

    return {"database": database.ping, "broker": check_broker, "tasks": supervisor.check_tasks}


async def _refresh_backlog(database: Database, outbox_model: type[OutboxMessageMixin]) -> None:
    try:
        async with asyncio.timeout(BACKLOG_QUERY_SECONDS):
            await record_backlog(database, outbox_model)
    except Exception as error:
        # Unknown is not zero: a stale number would hide the very outage it should show.
        log.warning("outbox_backlog_unknown", error=type(error).__name__)
        metrics.OUTBOX_BACKLOG.set(float("nan"))
        metrics.OUTBOX_OLDEST_AGE.set(float("nan"))


class _EmbeddedServer(uvicorn.Server):
    """Serves inside the worker's event loop; the worker, not uvicorn, handles stop signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def _health_server(
    port: int,
    checks: dict[str, ReadinessCheck],
    supervisor: Supervisor,
    before_scrape: ReadinessCheck,
) -> AsyncIterator[None]:
    """/healthz, /readyz and /metrics on `port` for as long as the block runs (0: none)."""
    if not port:
        yield
        return
    app = FastAPI(openapi_url=None)
    app.include_router(
        health_router(
            checks, alive_checks={"tasks": supervisor.check_alive}, before_scrape=before_scrape
        )
    )
    config = uvicorn.Config(
        app, host="0.0.0.0", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve(), name="health-server")
    try:
        yield
    finally:
        server.should_exit = True
        await serving


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
