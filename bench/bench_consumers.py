"""Consumers: billing's Stripe handlers and banking's Pluggy handlers draining a pre-filled queue
of the end-to-end mix, against a bare aio-pika consumer that only decodes and acks the same
messages, in one run; then the same with two worker processes per service instead of one.

The messages are what the gateway publishes (its own `envelope_json`), routed by the real
exchange into the workers' own queues (billing.stripe, banking.pluggy) and, as copies, into a
bench queue for the bare consumer. Each worker process is the service's own (`finhub-billing
worker`, `finhub-banking worker`): started after the queues are full, and timed from the first
event its inbox recorded to the last (inbox_events.handled_at), so start-up is not counted. The
bare consumer takes as many messages at once (prefetch) as the worker's consumer does.

    make bench    # or: .venv/bin/python bench/bench_consumers.py [--events 4000]
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_consumers.py   # quick

Needs PostgreSQL and RabbitMQ (make infra); scratch databases and vhost as bench_end_to_end.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg
import psutil
import system
from system import Setup

from billing.database import InboxEvent
from finhub_shared.bus import (
    Consumer,
    ConsumerQueue,
    declare_consumer_queue,
    declare_exchange,
    delete_consumer_queue,
)
from finhub_shared.bus.outcomes import Skipped
from finhub_shared.db import Database, asyncpg_dsn
from finhub_shared.events import EventEnvelope, routing_key
from finhub_shared.inbox import HandlerRegistry, inbox_dispatcher
from finhub_shared.logging import configure_logging
from finhub_shared.settings import ServiceSettings
from finhub_shared.worker import consumer_prefetch, handler_slots, worker_database
from webhook_gateway.webhooks.service import envelope_json

BARE_QUEUE = ConsumerQueue("bench.consumers.bare", ("stripe.#", "pluggy.#"))
# Our own consumer with the inbox and no handlers: what every event costs before any domain work.
INBOX_QUEUE = ConsumerQueue("bench.consumers.inbox", ("stripe.#", "pluggy.#"))
# The queue of each service's worker that the mix goes to.
QUEUES = system.PROVIDER_QUEUES
DRAIN_LIMIT_SECONDS = 600.0


@dataclass(frozen=True)
class Drained:
    events: int
    seconds: float
    # The workers' CPU time from their first handled event to their last (bare: nan).
    cpu_seconds: float = float("nan")
    # The whole machine's over the same span.
    machine: system.MachineCPU | None = None

    def machine_per_event(self, program: str | None = None) -> float:
        """Microseconds of CPU per event: the machine's, or one infrastructure program's."""
        if self.machine is None or not self.events:
            return float("nan")
        used = self.machine.busy if program is None else self.machine.by_program[program]
        return 1e6 * used / self.events

    @property
    def per_cpu_second(self) -> float:
        """Events per second of one core: what a busy machine changes least."""
        return self.events / self.cpu_seconds if self.cpu_seconds > 0 else float("nan")

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("nan")


def messages(
    count: int,
    tenants: list[system.Tenant],
    accounts: list[system.BankAccountSeed],
    intents: int,
    invoices: str,
) -> list[tuple[str, bytes]]:
    """`count` envelopes of the end-to-end mix, as the gateway would publish them; the open
    payments settled start at the `intents`-th, the invoices are named `in_<invoices>...`."""
    out: list[tuple[str, bytes]] = []
    now = datetime.now(UTC)
    created = int(time.time())
    period_end: dict[int, int] = {}
    for number in range(count):
        kind = system.MIX[number % len(system.MIX)]
        if kind == "pluggy":
            seed = accounts[number % len(accounts)]
            event = system.transactions_created(seed, now.isoformat())
            source, event_id, event_type = "pluggy", event["eventId"], event["event"]
            company = seed.company_id
        else:
            index = number % len(tenants)
            tenant = tenants[index]
            if kind == "invoice":
                event = system.invoice_paid(tenant, f"in_{invoices}{number:07d}", created)
            elif kind == "intent":
                tenant = tenants[intents % len(tenants)]
                event = system.payment_intent_succeeded(
                    tenant, tenant.open_payments[intents // len(tenants)], created
                )
                intents += 1
            else:
                end = period_end.get(index, created + 30 * system.DAY) + system.DAY
                period_end[index] = end
                event = system.subscription_updated(tenant, end, created)
            source, event_id, event_type = "stripe", event["id"], event["type"]
            company = tenant.company_id
        body = envelope_json(
            source=source,
            event_id=event_id,
            event_type=event_type,
            occurred_at=now,
            received_at=now,
            company_id=company,
            raw_body=json.dumps(event, separators=(",", ":")).encode(),
        )
        out.append((routing_key(source, event_type), body))
    return out


async def fill(setup: Setup, batch: list[tuple[str, bytes]]) -> None:
    """Publish the batch to the exchange, with confirms: the workers' queues and the bench's own
    consumers' queues each get every message they are bound to."""
    connection = await aio_pika.connect(setup.environment["AMQP_URL"])
    async with connection, connection.channel(publisher_confirms=True) as channel:
        exchange = await declare_exchange(channel)
        for start in range(0, len(batch), 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body, message_id=key, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        ),
                        routing_key=key,
                    )
                    for key, body in batch[start : start + 500]
                )
            )


async def bare_drain(setup: Setup, count: int, prefetch: int) -> Drained:
    """Decode and ack `count` messages from the bare queue; timed from the first to the last."""
    connection = await aio_pika.connect(setup.environment["AMQP_URL"])
    done = asyncio.Event()
    stamps: list[float] = []
    machine: list[system.MachineCPU] = []
    async with connection, connection.channel() as channel:
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.declare_queue(BARE_QUEUE.name, passive=True)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            json.loads(message.body)
            await message.ack()
            # The first snapshot before the first stamp, the last after the last: neither is timed.
            if not stamps:
                machine.append(system.MachineCPU.now())
            stamps.append(time.monotonic())
            if len(stamps) == count:
                machine.append(system.MachineCPU.now())
            if len(stamps) >= count:
                done.set()

        tag = await queue.consume(on_message)
        await asyncio.wait_for(done.wait(), DRAIN_LIMIT_SECONDS)
        await queue.cancel(tag)
    return Drained(len(stamps) - 1, stamps[-1] - stamps[0], machine=machine[-1].since(machine[0]))


async def inbox_drain(setup: Setup, count: int) -> Drained:
    """Our Consumer (envelope validation, handler slots, outcome reports) with the inbox's
    transaction and no handlers, in this process, as a worker runs it; timed from the first
    event handled to the last."""
    configure_logging("bench", "WARNING", json=True)  # as the bench's workers run
    settings = ServiceSettings.model_construct(
        database_pool_size=worker_pool_size(), consumer_prefetch=worker_prefetch()
    )
    database = worker_database("bench", setup.database_url("billing"), settings)
    runtime = Inbox(database)
    dispatch = inbox_dispatcher(runtime, InboxEvent, INBOX_QUEUE.name, HandlerRegistry())
    stamps: list[tuple[float, float]] = []
    machine: list[system.MachineCPU] = []
    done = asyncio.Event()

    async def handle(envelope: EventEnvelope) -> Skipped | None:
        skipped = await dispatch(envelope)
        # As the bare drain's: the snapshots stay outside the timed span.
        if not stamps:
            machine.append(system.MachineCPU.now())
        stamps.append((time.monotonic(), time.process_time()))
        if len(stamps) == count:
            machine.append(system.MachineCPU.now())
        if len(stamps) >= count:
            done.set()
        return skipped

    consumer = Consumer(
        setup.environment["AMQP_URL"],
        INBOX_QUEUE,
        handle,
        prefetch=worker_prefetch(),
        handler_slots=asyncio.Semaphore(handler_slots(settings)),
    )
    await consumer.start()
    try:
        await asyncio.wait_for(done.wait(), DRAIN_LIMIT_SECONDS)
    finally:
        await consumer.stop()
        await database.dispose()
    (first, first_cpu), (last, last_cpu) = stamps[0], stamps[-1]
    return Drained(
        len(stamps) - 1, last - first, last_cpu - first_cpu, machine[-1].since(machine[0])
    )


@dataclass(frozen=True)
class Inbox:
    """The runtime an inbox dispatcher needs: only a database."""

    database: Database


async def handled(
    setup: Setup, service: str, queue: str, since: datetime
) -> tuple[int, datetime | None, datetime | None]:
    connection = await asyncpg.connect(asyncpg_dsn(setup.database_url(service)))
    try:
        row = await connection.fetchrow(
            "SELECT count(*), min(handled_at), max(handled_at) FROM inbox_events"
            " WHERE consumer = $1 AND handled_at >= $2",
            queue,
            since,
        )
    finally:
        await connection.close()
    assert row is not None
    return int(row[0]), row[1], row[2]


async def worker_drain(
    setup: Setup,
    started: system.Processes,
    service: str,
    expected: int,
    processes: int,
    profile: str | None,
) -> Drained:
    """Start `processes` workers of the service on its full queue; timed by its inbox. With
    `profile` (a py-spy format), the first worker is sampled while it drains."""
    queue = QUEUES[service]
    since = datetime.now(UTC)
    workers = [system.worker(started, service, number) for number in range(1, processes + 1)]
    sampler = None
    if profile:
        system.wait_ready(workers[0])
        sampler = system.sample(workers[0], f"{service}-worker-flame", profile)
    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    count, first, last = 0, None, None
    cpu_at_first: tuple[int, float, system.MachineCPU] | None = None
    while time.monotonic() < deadline:
        count, first, last = await handled(setup, service, queue, since)
        if count and cpu_at_first is None:
            workers_cpu = sum(each.cpu_seconds() for each in workers)
            cpu_at_first = (count, workers_cpu, system.MachineCPU.now())
        if count >= expected:
            break
        await asyncio.sleep(0.2)
    cpu_at_end = sum(each.cpu_seconds() for each in workers)
    machine_at_end = system.MachineCPU.now()
    if sampler is not None:
        sampler.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        sampler.wait(timeout=60)
    for each in workers:
        started.stop(each)
    if first is None or last is None or count < 2 or cpu_at_first is None:
        return Drained(0, 0.0)
    counted, cpu_before, machine_before = cpu_at_first
    # The snapshots were taken when `counted` events were already handled: scale to count - 1.
    share = (count - 1) / max(1, count - counted)
    return Drained(
        count - 1,
        (last - first).total_seconds(),
        (cpu_at_end - cpu_before) * share,
        machine_at_end.since(machine_before).scaled(share),
    )


def worker_pool_size() -> int:
    """The database pool the bench's workers run with."""
    default = ServiceSettings.model_fields["database_pool_size"].default
    return int(os.environ.get("DATABASE_POOL_SIZE", default))


def worker_prefetch() -> int:
    """What a worker gives each of its consumers (finhub_shared.worker), with the pool size and
    prefetch the bench's workers run with."""
    default = ServiceSettings.model_fields["consumer_prefetch"].default
    settings = ServiceSettings.model_construct(
        database_pool_size=worker_pool_size(),
        consumer_prefetch=int(os.environ.get("CONSUMER_PREFETCH", default)),
    )
    return consumer_prefetch(settings)


async def declare_queues(setup: Setup, started: system.Processes) -> None:
    """Each worker once, so its queues and bindings exist before they are filled; the bench's
    own queues afresh (a run before may have left messages in them)."""
    # The live stream's too: billing and banking publish to it, and unroutable messages would
    # keep their outbox relays retrying.
    for service in (*QUEUES, "live"):
        process = system.worker(started, service)
        system.wait_ready(process)
        started.stop(process)
    connection = await aio_pika.connect(setup.environment["AMQP_URL"])
    async with connection, connection.channel() as channel:
        for bench_queue in (BARE_QUEUE, INBOX_QUEUE):
            await delete_consumer_queue(channel, bench_queue)
            await declare_consumer_queue(channel, bench_queue)


async def main(options: argparse.Namespace) -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    events = max(len(system.MIX) * 5, int(options.events * scale))
    setup = Setup.fresh()
    await setup.migrate()
    await setup.empty_queues()
    workdir = Path(tempfile.mkdtemp(prefix="bench-consumers-"))
    print(f"logs in {workdir}; {events} events per round")
    rounds = (1, 2)
    intents_per_round = events * system.MIX.count("intent") // len(system.MIX) + 1
    with system.processes(setup, workdir) as started:
        system.wait_ready(system.sandbox(started))
        tenants = await system.seed_billing(
            setup, options.companies, intents_per_round * len(rounds) // options.companies + 2
        )
        accounts = await system.seed_banking(setup, tenants, options.accounts)
        await declare_queues(setup, started)
        results = {}
        for processes in rounds:
            # Each round its own payments to settle: the open ones of the round before are paid.
            offset = intents_per_round * (processes - 1)
            batch = messages(events, tenants, accounts, offset, f"round{processes}x")
            await fill(setup, batch)
            expected = {
                "billing": sum(1 for key, _ in batch if key.startswith("stripe.")),
                "banking": sum(1 for key, _ in batch if key.startswith("pluggy.")),
            }
            drained = {"bare": await bare_drain(setup, len(batch), worker_prefetch())}
            if processes == 1:
                drained["inbox"] = await inbox_drain(setup, len(batch))
            for service in QUEUES:
                drained[service] = await worker_drain(
                    setup,
                    started,
                    service,
                    expected[service],
                    processes,
                    options.profile if processes == 1 else None,
                )
            results[processes] = drained
            print(f"{processes} process(es): {drained}")
    report(results)


LABELS = {
    "bare": "bare aio-pika (decode + ack)",
    "inbox": "our consumer + inbox, no handler",
    **{service: f"{service} worker ({queue})" for service, queue in QUEUES.items()},
}


def report(results: dict[int, dict[str, Drained]]) -> None:
    print("\nconsumers draining a pre-filled queue of the mix (events/s)")
    print(f"{'':<36}{'1 process':>10}{'2 processes':>13}{'gain':>7}{'CPU/event':>11}")
    one, two = results[1], results.get(2, {})
    for name, label in LABELS.items():
        rate = one[name].per_second
        line = f"{label:<36}{rate:>10,.0f}"
        if name in two:
            line += f"{two[name].per_second:>13,.0f}{two[name].per_second / rate:>6.2f}x"
        else:
            line += f"{'':>13}{'':>7}"
        if name != "bare":
            line += f"{1e6 / one[name].per_cpu_second:>8,.0f} µs"
        print(line)
    for service in QUEUES:
        print(
            f"{service} handlers / bare consumer, 1 process: "
            f"{one[service].per_second / one['bare'].per_second:.1%} (target >= 50%); "
            f"/ our consumer + inbox: {one[service].per_second / one['inbox'].per_second:.1%}"
        )
    for service in QUEUES:
        print(
            f"{service} worker: {one[service].per_cpu_second:,.0f} events per CPU-second"
            " (its own process; what one core gives it)"
        )
    report_machine(one)


def report_machine(one: dict[str, Drained]) -> None:
    """Where the machine's CPU goes per event, 1 process; the rate that caps each consumer at
    with every core busy, and with PostgreSQL and RabbitMQ alone on them."""
    cores = psutil.cpu_count() or 1
    programs = list(system.INFRASTRUCTURE.values())
    print(f"\nthe machine's CPU per event, 1 process (µs; {cores} cores)")
    header = f"{'':<36}{'consumer':>10}" + "".join(f"{name:>12}" for name in programs)
    print(f"{header}{'machine':>10}{'busy':>7}{'cap':>9}{'infra cap':>11}")
    for name, label in LABELS.items():
        drained = one[name]
        consumer = f"{1e6 / drained.per_cpu_second:,.0f}" if name != "bare" else "-"
        machine = drained.machine_per_event()
        infrastructure = sum(drained.machine_per_event(program) for program in programs)
        busy = machine * drained.per_second / 1e6 / cores
        line = f"{label:<36}{consumer:>10}"
        line += "".join(f"{drained.machine_per_event(program):>12,.0f}" for program in programs)
        line += f"{machine:>10,.0f}{busy:>7.0%}{cores * 1e6 / machine:>9,.0f}"
        print(f"{line}{cores * 1e6 / infrastructure:>11,.0f}")
    print(
        "busy: the share of the cores in use during the drain; cap: events/s with every core"
        " as busy per event as in this drain (cores / the machine's CPU per event); infra cap:"
        " the same if the consumer took no CPU at all (PostgreSQL's and RabbitMQ's alone)"
    )
    bare = one["bare"].per_second
    for service in QUEUES:
        drained = one[service]
        infrastructure = sum(drained.machine_per_event(program) for program in programs)
        print(
            f"{service}: with a consumer that took no CPU, PostgreSQL and RabbitMQ would still"
            f" cap it at {cores * 1e6 / infrastructure / bare:.0%} of the bare consumer here"
        )


def run() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument(
        "--profile",
        choices=["flamegraph", "raw", "speedscope"],
        help="sample each single worker with py-spy while it drains (bench/results/)",
    )
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    run()
