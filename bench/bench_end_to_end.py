"""End to end: signed provider webhooks sent to the gateway at steady rates, each followed until
its effect is readable through billing's or banking's public API.

The whole system runs as production runs it, one process per part (the services' own CLIs): the
provider sandbox (Pluggy's side), the gateway's API and relay, billing's, banking's and the live
stream's APIs and workers, on scratch databases (finhub_*_bench) and a scratch vhost. 1,000
companies exist in billing (an owner logged in, a Stripe customer, an active subscription,
payments Stripe has not settled) and 50 of them have a bank account in banking and in the
sandbox (see system.py).

The mix, in turn: invoice.paid (a renewal: its invoice is listed paid), payment_intent.succeeded
(an open payment is listed succeeded), customer.subscription.updated (the subscription shows the
new period end), and Pluggy transactions/created after the sandbox added a transaction (banking
lists it, once its worker has synced the account from Pluggy), in the proportions 6:4:5:5.

For each rate: the delay from the webhook's 2xx to the first read that shows its effect (p50,
p99, max; the watcher reads the FRONTIER companies and accounts waiting longest again every
POLL_SECONDS, or as often as READS_PER_SECOND allows, so the delay is rounded up by up to that
much: the "read every" column gives the longest gap), events lost (answered 2xx, and the
backlog stopped shrinking for STALL_SECONDS without them showing), the backlog (effects not
visible yet) when sending stops and how long it takes to drain (up to --drain-limit; what is
left then is reported as late, with the rate it drains at); where that delay goes, from the
databases' own timestamps (the gateway's outbox row written and published, the worker's inbox
row for the same event id); and the resident memory of every API and worker, idle and at its
peak under the load.

    make bench      # or: .venv/bin/python bench/bench_end_to_end.py [--rates 50 200 1000]
    .venv/bin/python bench/bench_end_to_end.py --worker-niceness 10    # the intake first
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_end_to_end.py   # quick: 6 s per rate

Needs PostgreSQL and RabbitMQ (make infra).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import system
from system import BankAccountSeed, Process, Setup, Tenant

from finhub_shared.db import asyncpg_dsn

POLL_SECONDS = 0.1
# The watcher's reads are load on the APIs and on the two cores: bounded, so that the run
# measures the system more than its observer (at 100 reads a second, billing's API serving them
# took 40% of a core).
READS_PER_SECOND = 50
FRONTIER = 25  # owners read per sweep, of billing and of banking each
DRAIN_LIMIT_SECONDS = 120.0  # the warm-up's
STALL_SECONDS = 60.0
MIX = system.MIX
SENDING_CONNECTIONS = 64  # per sender process
# The senders run in processes of their own: sharing one event loop with the watcher, one
# sender's client peaked at about 55 deliveries a second, answered in 30 ms by the gateway and
# seen after 0.5 s, so that the bench measured itself.
SENDER_PROCESSES = 2
READING_CONNECTIONS = 16
PLUGGY_CONNECTIONS = 8


@dataclass
class Sent:
    """One webhook: when its 2xx came, and when its effect was first read."""

    kind: str
    acked_at: float
    seen_at: float | None = None


@dataclass
class Expectation:
    """What a company's (or account's) next read must show for its waiting events."""

    events: list[tuple[Sent, object]] = field(default_factory=list)


@dataclass
class RateResult:
    rate: int
    sent: int
    refused: int
    achieved_rate: float
    delays: dict[str, list[float]]
    unseen: int  # effects not shown when the drain ended
    stalled: bool  # it ended because nothing showed for STALL_SECONDS: the unseen are lost
    draining_rate: float  # effects shown per second after sending stopped
    backlog_at_stop: int
    drain_seconds: float | None
    peak_rss: dict[str, int]
    read_every: float  # the watcher's longest gap between two reads of one company
    stages: dict[str, list[float]]  # seconds from the gateway's durable write, by stage


class Watcher:
    """Reads each company's state through the public APIs until every sent event shows."""

    def __init__(
        self, setup: Setup, tenants: list[Tenant], accounts: list[BankAccountSeed]
    ) -> None:
        self.billing = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{setup.ports['billing']}",
            timeout=30,
            limits=httpx.Limits(max_connections=READING_CONNECTIONS),
        )
        self.banking = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{setup.ports['banking']}",
            timeout=30,
            limits=httpx.Limits(max_connections=READING_CONNECTIONS),
        )
        self.setup = setup
        # (kind, company id) or ("pluggy", account id): the events waiting to show there.
        self.waiting: dict[tuple[str, uuid.UUID], Expectation] = defaultdict(Expectation)
        self.known: dict[uuid.UUID, set[str]] = {}  # an account's transactions before the run
        self.tenants = {tenant.company_id: tenant for tenant in tenants}
        self.accounts = {seed.account_id: seed for seed in accounts}
        self.gate = asyncio.Semaphore(READING_CONNECTIONS)
        self.longest_sweep = 0.0  # seconds between two reads of the same company, at worst

    def expect(self, key: tuple[str, uuid.UUID], sent: Sent, proof: object) -> None:
        self.waiting[key].events.append((sent, proof))

    @property
    def backlog(self) -> int:
        return sum(len(expectation.events) for expectation in self.waiting.values())

    async def watch(self, stop: asyncio.Event) -> None:
        """Read the FRONTIER companies and the FRONTIER accounts waiting longest, again and
        again, at READS_PER_SECOND: effects show about in the order their events came, so the
        owners behind them are read once they come to the front."""
        while not stop.is_set():
            started = time.monotonic()
            reads = []
            for number, key in enumerate(self._frontier()):
                await asyncio.sleep(
                    max(0.0, started + number / READS_PER_SECOND - time.monotonic())
                )
                reads.append(asyncio.create_task(self._read(key)))
            await asyncio.gather(*reads)
            sweep = time.monotonic() - started
            self.longest_sweep = max(self.longest_sweep, sweep)
            await asyncio.sleep(max(0.0, POLL_SECONDS - sweep))

    def _frontier(self) -> list[tuple[str, uuid.UUID]]:
        """Billing's and banking's owners apart: banking's syncs lag billing's handlers, and
        would otherwise take every read."""
        oldest = sorted(
            (key for key, expectation in self.waiting.items() if expectation.events),
            key=lambda key: self.waiting[key].events[0][0].acked_at,
        )
        companies = [key for key in oldest if key[0] != "pluggy"]
        accounts = [key for key in oldest if key[0] == "pluggy"]
        return companies[:FRONTIER] + accounts[:FRONTIER]

    async def _read(self, key: tuple[str, uuid.UUID]) -> None:
        kind, owner = key
        async with self.gate:
            try:
                shown = await self._shown(kind, owner)
            except httpx.HTTPError:
                return
        now = time.monotonic()
        expectation = self.waiting[key]
        still = []
        for sent, proof in expectation.events:
            if shown(proof):
                sent.seen_at = now
            else:
                still.append((sent, proof))
        expectation.events = still

    async def _shown(self, kind: str, owner: uuid.UUID) -> Callable[[object], bool]:
        if kind == "pluggy":
            count = await self.new_transactions(owner)
            return lambda proof: isinstance(proof, int) and proof <= count
        tenant = self.tenants[owner]
        headers = {"Authorization": f"Bearer {tenant.token}"}
        if kind == "subscription":
            answer = await self.billing.get("/api/payments/subscription", headers=headers)
            end = answer.raise_for_status().json()["current_period_end"]
            return lambda proof: isinstance(proof, str) and end is not None and end >= proof
        path = "/api/payments/invoices" if kind == "invoice" else "/api/payments/payments"
        answer = await self.billing.get(path, params={"page_size": 100}, headers=headers)
        items = answer.raise_for_status().json()["items"]
        if kind == "invoice":
            paid = {item["number"] for item in items if item["status"] == "paid"}
        else:
            paid = {item["stripe_invoice_id"] for item in items if item["status"] == "succeeded"}
        return lambda proof: proof in paid

    async def transactions(self, account_id: uuid.UUID, known: set[str] | None) -> list[str]:
        """The account's transaction ids, newest first, down to the first already `known`."""
        seed = self.accounts[account_id]
        headers = {"Authorization": f"Bearer {seed.token}"}
        ids: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"account_id": str(seed.account_id), "limit": 200}
            if cursor:
                params["cursor"] = cursor
            answer = await self.banking.get(
                "/api/banking/transactions", params=params, headers=headers
            )
            page = answer.raise_for_status().json()
            for item in page["results"]:
                if known is not None and item["id"] in known:
                    return ids
                ids.append(item["id"])
            cursor = page["next_cursor"]
            if not cursor:
                return ids

    async def new_transactions(self, account_id: uuid.UUID) -> int:
        return len(await self.transactions(account_id, self.known.get(account_id, set())))

    async def remember_transactions(self) -> None:
        """What each account holds now; what comes later is new."""
        for account_id in self.accounts:
            self.known[account_id] = set(await self.transactions(account_id, None))

    async def aclose(self) -> None:
        await self.billing.aclose()
        await self.banking.aclose()


class Sender:
    """Signs and sends the mix for its share of the companies and accounts, advancing each
    company's Stripe objects as it goes; what each delivery must show goes to `reports`."""

    def __init__(
        self,
        setup: Setup,
        tenants: list[Tenant],
        accounts: list[BankAccountSeed],
        reports: multiprocessing.Queue[Any],
    ) -> None:
        self.setup = setup
        self.tenants = tenants
        self.accounts = accounts
        self.reports = reports
        self.gateway = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{setup.ports['gateway']}",
            timeout=httpx.Timeout(30, pool=None),
            limits=httpx.Limits(max_connections=SENDING_CONNECTIONS),
        )
        # The sandbox is one process that banking's syncs read from too: adding transactions
        # through a few connections keeps the bench from drowning it (a connect timed out at
        # 200/s with a hundred).
        self.pluggy = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{setup.ports['sandbox']}/pluggy",
            timeout=httpx.Timeout(30, pool=None),
            limits=httpx.Limits(max_connections=PLUGGY_CONNECTIONS),
        )
        # Deliveries the gateway cannot take yet wait for a connection here, as at a provider;
        # queued in httpx's own pool instead, thousands of them made the sender the bottleneck.
        self.in_flight = asyncio.Semaphore(SENDING_CONNECTIONS)
        self.counter = 0
        self.pluggy_sent = 0
        self.added: dict[uuid.UUID, int] = defaultdict(int)  # transactions added per account
        self.period_end: dict[int, int] = {}
        self.invoices = 0
        self.open_payment = 0
        self.created: dict[int, int] = {}
        self.refused = 0

    async def at_rate(self, rate: float, total: int) -> None:
        """`total` deliveries at a steady `rate`: delivery n leaves at start + n / rate,
        however long the others take."""
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        for number in range(total):
            delay = started + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.send_one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)

    async def warm_up(self) -> None:
        """One transactions/created per account and the Stripe events between, one at a time;
        the transactions counted from here on are those added after it."""
        for _ in range(len(MIX) * len(self.accounts) // MIX.count("pluggy")):
            await self.send_one()
        self.added.clear()

    def _created(self, index: int) -> int:
        """Stripe's `created`: now, and always later than this company's previous event."""
        created = max(int(time.time()), self.created.get(index, 0) + 1)
        self.created[index] = created
        return created

    async def send_one(self) -> None:
        async with self.in_flight:
            await self._send()

    async def _send(self) -> None:
        number = self.counter
        self.counter += 1
        kind = MIX[number % len(MIX)]
        if kind == "pluggy":
            seed = self.accounts[self.pluggy_sent % len(self.accounts)]
            self.pluggy_sent += 1
            try:
                added = await self.pluggy.post(
                    f"/_sandbox/items/{seed.pluggy_item_id}/transactions",
                    json={"count": 1, "accountId": seed.pluggy_account_id},
                )
                created_from = added.raise_for_status().json()["createdAtFrom"]
            except httpx.HTTPError:
                # No new transaction at Pluggy, so no webhook to send: counted as not sent.
                self.refused += 1
                return
            body, headers = system.signed_pluggy(
                self.setup, system.transactions_created(seed, created_from)
            )
            self.added[seed.account_id] += 1
            proof: object = self.added[seed.account_id]
            key = ("pluggy", seed.account_id)
            path = "/webhooks/pluggy"
        else:
            index = number % len(self.tenants)
            tenant = self.tenants[index]
            created = self._created(index)
            if kind == "invoice":
                # Unique across the sender processes: each has companies of its own.
                self.invoices += 1
                invoice_id = f"in_bench{tenant.company_id.hex[:8]}{self.invoices:07d}"
                event = system.invoice_paid(tenant, invoice_id, created)
                proof = f"FH-{invoice_id}"
            elif kind == "intent":
                slot = self.open_payment // len(self.tenants)
                tenant = self.tenants[self.open_payment % len(self.tenants)]
                self.open_payment += 1
                invoice_id = tenant.open_payments[slot]
                event = system.payment_intent_succeeded(tenant, invoice_id, created)
                proof = invoice_id
            else:
                end = self.period_end.get(index, created + 30 * system.DAY) + system.DAY
                self.period_end[index] = end
                event = system.subscription_updated(tenant, end, created)
                proof = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(end))
            body, headers = system.signed_stripe(self.setup, event)
            key = (kind, tenant.company_id)
            path = "/webhooks/stripe"
        try:
            answer = await self.gateway.post(path, content=body, headers=headers)
        except httpx.TransportError:
            # Not acknowledged (timed out, connection dropped): the provider would send it
            # again; it is no loss of ours.
            self.refused += 1
            return
        if answer.status_code >= 300:
            self.refused += 1
            return
        self.reports.put((kind, key, proof, time.monotonic()))

    async def aclose(self) -> None:
        await self.gateway.aclose()
        await self.pluggy.aclose()


@dataclass(frozen=True)
class Share:
    """A sender process's share of the companies and accounts."""

    setup: Setup
    tenants: list[Tenant]
    accounts: list[BankAccountSeed]


def send_on_command(
    share: Share, commands: Connection, reports: multiprocessing.Queue[Any]
) -> None:
    """A sender process: runs each command it is given ("warm-up", or a rate and a number of
    deliveries), then reports ("done", deliveries not acknowledged); None ends it."""
    asyncio.run(_send_on_command(share, commands, reports))


async def _send_on_command(
    share: Share, commands: Connection, reports: multiprocessing.Queue[Any]
) -> None:
    sender = Sender(share.setup, share.tenants, share.accounts, reports)
    loop = asyncio.get_running_loop()
    try:
        while (command := await loop.run_in_executor(None, commands.recv)) is not None:
            refused_before = sender.refused
            if command == "warm-up":
                await sender.warm_up()
            else:
                rate, total = command
                await sender.at_rate(rate, total)
            reports.put(("done", sender.refused - refused_before))
    finally:
        await sender.aclose()


class Senders:
    """SENDER_PROCESSES sender processes, each with its share of the companies and accounts
    (a company's events all leave from one, so they stay in order)."""

    def __init__(
        self, setup: Setup, tenants: list[Tenant], accounts: list[BankAccountSeed]
    ) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.reports: multiprocessing.Queue[Any] = spawn.Queue()
        self.commands: list[Connection] = []
        self.processes = []
        for number in range(SENDER_PROCESSES):
            ours, theirs = spawn.Pipe()
            process = spawn.Process(
                target=send_on_command,
                args=(
                    Share(
                        setup,
                        tenants[number::SENDER_PROCESSES],
                        accounts[number::SENDER_PROCESSES],
                    ),
                    theirs,
                    self.reports,
                ),
                daemon=True,
            )
            process.start()
            self.commands.append(ours)
            self.processes.append(process)

    async def warm_up(self, watcher: Watcher) -> None:
        for commands in self.commands:
            commands.send("warm-up")
        await self._follow(watcher)

    async def at_rate(self, rate: int, total: int, watcher: Watcher) -> tuple[list[Sent], int]:
        """`total` deliveries at `rate` a second, shared between the processes; what each must
        show is given to the watcher as its 2xx comes. Returns them and how many had none."""
        for number, commands in enumerate(self.commands):
            share = total // SENDER_PROCESSES + (number < total % SENDER_PROCESSES)
            commands.send((rate / SENDER_PROCESSES, share))
        return await self._follow(watcher)

    async def _follow(self, watcher: Watcher) -> tuple[list[Sent], int]:
        sent: list[Sent] = []
        refused, done = 0, 0
        while done < len(self.commands):
            try:
                report = self.reports.get_nowait()
            except queue.Empty:
                if not all(process.is_alive() for process in self.processes):
                    raise SystemExit("a sender process ended early; its error is above") from None
                await asyncio.sleep(0.005)
                continue
            if report[0] == "done":
                done += 1
                refused += report[1]
                continue
            kind, key, proof, acked_at = report
            delivery = Sent(kind, acked_at)
            sent.append(delivery)
            watcher.expect(key, delivery, proof)
        return sent, refused

    def stop(self) -> None:
        for commands, process in zip(self.commands, self.processes, strict=True):
            if process.is_alive():
                commands.send(None)
                process.join(30)
            process.terminate()


async def sample_memory(parts: list[Process], peaks: dict[str, int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for part in parts:
            peaks[part.name] = max(peaks.get(part.name, 0), part.rss_bytes())
        await asyncio.sleep(1)


async def at_rate(
    rate: int,
    seconds: float,
    drain_limit: float,
    senders: Senders,
    watcher: Watcher,
    parts: list[Process],
) -> RateResult:
    peaks: dict[str, int] = {}
    stop_watching, stop_sampling = asyncio.Event(), asyncio.Event()
    watcher.longest_sweep = 0.0
    watching = asyncio.create_task(watcher.watch(stop_watching))
    sampling = asyncio.create_task(sample_memory(parts, peaks, stop_sampling))
    total = int(rate * seconds)
    since = datetime.now(UTC)
    started = time.monotonic()
    results, refused = await senders.at_rate(rate, total, watcher)
    stopped = time.monotonic()
    achieved = total / (stopped - started)
    backlog_at_stop = watcher.backlog
    stalled = not await drained(watcher, drain_limit, stall=STALL_SECONDS)
    drain_seconds = time.monotonic() - stopped
    draining_rate = (backlog_at_stop - watcher.backlog) / drain_seconds
    stop_sampling.set()
    await sampling
    unseen = watcher.backlog
    # What never showed is given up, so the next rate starts clean.
    watcher.waiting.clear()
    stop_watching.set()
    await watching
    delays: dict[str, list[float]] = defaultdict(list)
    for sent in results:
        if sent.seen_at is not None:
            delays[sent.kind].append(sent.seen_at - sent.acked_at)
            delays["all"].append(sent.seen_at - sent.acked_at)
    return RateResult(
        rate,
        len(results),
        refused,
        achieved,
        delays,
        unseen,
        unseen > 0 and stalled,
        draining_rate,
        backlog_at_stop,
        drain_seconds if unseen == 0 else None,
        peaks,
        watcher.longest_sweep,
        await stage_delays(watcher.setup, since),
    )


async def stage_delays(setup: Setup, since: datetime) -> dict[str, list[float]]:
    """Seconds from each event's durable write at the gateway (its outbox row) to the relay's
    publish, and to each worker's inbox row for it: where the end-to-end delay goes, by the
    databases' clock (one server). The relay marks a batch published once the broker confirmed
    all of it, so a worker may handle an event before its row says published."""
    gateway = await _rows(
        setup,
        "gateway",
        "SELECT message_id, created_at, published_at FROM outbox_messages WHERE created_at >= $1",
        since,
    )
    written = {row["message_id"]: row["created_at"] for row in gateway}
    stages: dict[str, list[float]] = {
        "relay published": [
            (row["published_at"] - row["created_at"]).total_seconds()
            for row in gateway
            if row["published_at"] is not None
        ]
    }
    for service, queue_name in system.PROVIDER_QUEUES.items():
        handled = await _rows(
            setup,
            service,
            "SELECT event_id, handled_at FROM inbox_events"
            " WHERE consumer = $1 AND handled_at >= $2",
            queue_name,
            since,
        )
        stages[f"{service} handled"] = [
            (row["handled_at"] - written[row["event_id"]]).total_seconds()
            for row in handled
            if row["event_id"] in written
        ]
    return stages


async def _rows(setup: Setup, service: str, query: str, *arguments: object) -> list[asyncpg.Record]:
    # As the administrator: under load the services' pools hold every ordinary connection slot,
    # and PostgreSQL keeps a few for superusers.
    database = urlsplit(setup.database_url(service)).path
    admin = urlsplit(setup.environment["POSTGRES_ADMIN_URL"])._replace(path=database)
    connection = await asyncpg.connect(asyncpg_dsn(admin.geturl()))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *arguments)
    finally:
        await connection.close()
    return rows


async def drained(watcher: Watcher, limit: float, stall: float | None = None) -> bool:
    """Wait until every waiting effect showed, `limit` seconds at most; False when that ended
    because none showed for `stall` seconds (what is left then is lost, not late)."""
    deadline = time.monotonic() + limit
    last_backlog, last_progress = watcher.backlog, time.monotonic()
    while watcher.backlog and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        if watcher.backlog < last_backlog:
            last_backlog, last_progress = watcher.backlog, time.monotonic()
        elif stall is not None and time.monotonic() - last_progress > stall:
            return False
    return True


async def warm_up(senders: Senders, watcher: Watcher) -> None:
    """One transactions/created per account (each account's first sync reads its history) and a
    few Stripe events, all followed to their effect; then what the accounts hold is the start."""
    stop = asyncio.Event()
    watching = asyncio.create_task(watcher.watch(stop))
    await senders.warm_up(watcher)
    await drained(watcher, DRAIN_LIMIT_SECONDS)
    stop.set()
    await watching
    if watcher.backlog:
        raise SystemExit(f"warm-up: {watcher.backlog} events never showed; see the logs")
    watcher.waiting.clear()
    await watcher.remember_transactions()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(results: list[RateResult], idle: dict[str, int], seconds: float) -> None:
    print(f"\nend to end, {seconds:g} s per rate (2xx from the gateway -> effect read via the API)")
    print(
        f"{'rate/s':>7}{'sent':>8}{'got/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'lost':>6}{'no 2xx':>8}{'backlog':>9}{'drain s':>9}{'read every s':>14}"
    )
    late = []
    for result in results:
        every = result.delays.get("all") or [float("nan")]
        drain = f"{result.drain_seconds:.1f}" if result.drain_seconds is not None else "never"
        print(
            f"{result.rate:>7}{result.sent:>8}{result.achieved_rate:>8.0f}"
            f"{percentile(every, 0.5) * 1000:>9.0f}{percentile(every, 0.99) * 1000:>9.0f}"
            f"{max(every) * 1000:>9.0f}{result.unseen if result.stalled else 0:>6}"
            f"{result.refused:>8}"
            f"{result.backlog_at_stop:>9}{drain:>9}{result.read_every:>14.1f}"
        )
        if result.unseen and not result.stalled:
            late.append(
                f"  {result.rate}/s: {result.unseen} effects still to show after the drain limit,"
                f" showing at {result.draining_rate:.0f}/s (late, not lost; the p50/p99/max"
                " above count only those that showed)"
            )
    print("\np50 / p99 by kind (ms):")
    for result in results:
        by_kind = ", ".join(
            f"{kind} {percentile(values, 0.5) * 1000:.0f}/{percentile(values, 0.99) * 1000:.0f}"
            for kind, values in sorted(result.delays.items())
            if kind != "all" and values
        )
        print(f"  {result.rate:>5}/s: {by_kind}")
    print("\nwhere the delay goes: seconds from the gateway's durable write, p50 / p99 (events)")
    for result in results:
        stages = ", ".join(
            f"{stage} {percentile(values, 0.5):.1f}/{percentile(values, 0.99):.1f} ({len(values)})"
            for stage, values in result.stages.items()
            if values
        )
        print(f"  {result.rate:>5}/s: {stages}")
    print("\nresident memory (RSS): idle -> peak under each rate")
    for name, value in idle.items():
        peaks = " / ".join(system.mebibytes(result.peak_rss.get(name, 0)) for result in results)
        print(f"  {name:<18}{system.mebibytes(value):>9} -> {peaks}")
    print("\n".join(late))
    worst = max((result.unseen for result in results if result.stalled), default=0)
    print(f"events lost: {worst} at worst (target 0)")


async def main(options: argparse.Namespace) -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    seconds = max(1.0, options.seconds * scale)
    if options.drain_limit is None:
        options.drain_limit = max(30.0, 300 * min(1.0, scale))
    companies = max(len(MIX), int(options.companies * min(1.0, scale * 10)))
    accounts = max(1, min(options.accounts, companies))
    total_intents = sum(int(rate * seconds) for rate in options.rates) * MIX.count("intent")
    open_each = total_intents // len(MIX) // companies + 2
    setup = Setup.fresh()
    await setup.migrate()
    await setup.empty_queues()
    workdir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    print(
        f"logs in {workdir}; {companies} companies, {accounts} bank accounts, workers at nice"
        f" {options.worker_niceness}"
    )
    with system.processes(setup, workdir) as started:
        sandbox = system.sandbox(started)
        system.wait_ready(sandbox)
        parts = [
            system.serve(started, "gateway"),
            system.worker(started, "gateway", niceness=options.worker_niceness),
            system.serve(started, "billing"),
            system.worker(started, "billing", niceness=options.worker_niceness),
            system.serve(started, "banking"),
            system.worker(started, "banking", niceness=options.worker_niceness),
            # The live stream consumes what billing and banking tell it (notifications, syncs).
            system.serve(started, "live"),
            system.worker(started, "live", niceness=options.worker_niceness),
        ]
        system.wait_ready(*parts)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{setup.ports['sandbox']}/pluggy"
        ) as http:
            # Pluggy's per-minute limits would pace the bench, not the system under test.
            await http.post("/_sandbox/rate-limits", json={"enabled": False})
        tenants = await system.seed_billing(setup, companies, open_each)
        seeds = await system.seed_banking(setup, tenants, accounts)
        watcher = Watcher(setup, tenants, seeds)
        senders = Senders(setup, tenants, seeds)
        try:
            await warm_up(senders, watcher)
            await asyncio.sleep(3)
            idle = {part.name: part.rss_bytes() for part in parts}
            results = []
            for rate in options.rates:
                result = await at_rate(rate, seconds, options.drain_limit, senders, watcher, parts)
                results.append(result)
                # Printed as each rate ends, so a later failure loses nothing measured.
                every = result.delays.get("all") or [float("nan")]
                print(
                    f"rate {rate}/s: sent {result.sent}, unseen {result.unseen}, "
                    f"backlog at stop {result.backlog_at_stop}, drained in {result.drain_seconds}"
                    f", p50 {percentile(every, 0.5):.2f} s, p99 {percentile(every, 0.99):.2f} s, "
                    f"max {max(every):.2f} s, read every {result.read_every:.1f} s"
                )
        finally:
            senders.stop()
            await watcher.aclose()
    report(results, idle, seconds)


def run(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument(
        "--worker-niceness",
        type=int,
        default=0,
        help="nice(1) of the workers: 10 has them yield the cores to the gateway's intake and"
        " the senders (the providers, on machines of their own in production)",
    )
    parser.add_argument(
        "--drain-limit",
        type=float,
        help="seconds to wait for the backlog after sending stops (300, times BENCH_SCALE)",
    )
    asyncio.run(main(parser.parse_args(arguments)))


if __name__ == "__main__":
    run()
