"""The live stream under load: 1,000 open streams on one API replica, events published on the
bus at a steady rate through the real path (RabbitMQ, the live worker storing and announcing
each, the replica's one LISTEN connection and fan-out), read by raw SSE clients over sockets.

Prints the delay from publish to receipt (p50, p99, max) over every delivery, and the API
process's memory per open stream.

    make bench            # or: .venv/bin/python bench/bench_live.py [--streams 1000 --rate 50]

Needs PostgreSQL and RabbitMQ (make infra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from finhub_dev.provisioning import database_url_for_tests
from finhub_dev.testing import migrate_fresh
from finhub_shared.auth import TokenIssuer, generate_signing_keypair
from finhub_shared.bus import Publisher
from finhub_shared.events import new_event, utcnow
from finhub_shared.settings import read_variable

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
API_PORT, WORKER_METRICS_PORT = 18004, 19103
STREAMS_PER_COMPANY = 10
OPENING_AT_ONCE = 50


@dataclass
class Receipts:
    delays_ms: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0

    def record(self, sent_at: datetime) -> None:
        self.delays_ms.append((utcnow() - sent_at).total_seconds() * 1000)
        if len(self.delays_ms) >= self.expected:
            self.done.set()


def bench_environment(public_pem: str) -> dict[str, str]:
    """A scratch database and vhost, so a bench never touches development or test data."""
    database = database_url_for_tests(
        read_variable("LIVE_DATABASE_URL")
        or "postgresql://finhub_live:finhub_live@127.0.0.1:5432/finhub_live"
    ).replace("_test", "_bench")
    amqp = urlsplit(read_variable("AMQP_URL") or "amqp://finhub:finhub@127.0.0.1:5672/finhub")
    return {
        **os.environ,
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "LIVE_DATABASE_URL": database,
        "POSTGRES_ADMIN_URL": read_variable("POSTGRES_ADMIN_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        "AMQP_URL": amqp._replace(path=amqp.path + "_bench").geturl(),
        "JWT_PUBLIC_KEY": public_pem,
        "WORKER_METRICS_PORT": str(WORKER_METRICS_PORT),
    }


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(command, cwd=log.parent, env=environment, stdout=handle, stderr=handle)


def wait_ready(port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing ready on port {port} after {within} s")


def rss_kib(pid: int) -> int:
    """The process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for process {pid}")


async def open_stream(token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw SSE client: the request written by hand, the answer's head read and checked."""
    reader, writer = await asyncio.open_connection("127.0.0.1", API_PORT)
    writer.write(
        f"GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"a stream was refused: {status.decode().strip()}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def read_stream(reader: asyncio.StreamReader, receipts: Receipts) -> None:
    """Every notification's delay from its publishing (its occurred_at) to now."""
    while line := await reader.readline():
        if line.startswith(b"data: {"):
            data = json.loads(line[6:])
            if data["type"] == "notification":
                receipts.record(datetime.fromisoformat(data["occurred_at"]))


def notification(n: int) -> dict[str, object]:
    return {
        "notification_id": str(n),
        "kind": "limit_reached",
        "severity": "warning",
        "title": "You reached your plan's bank accounts",
        "message": "Upgrade to connect more accounts.",
        "link": "/settings/billing",
    }


async def run(
    arguments: argparse.Namespace, environment: dict[str, str], private_pem: str, api_pid: int
) -> None:
    issuer = TokenIssuer(private_pem, "finhub-billing", "finhub", ttl_seconds=3600)
    companies = [uuid.uuid4() for _ in range(max(1, arguments.streams // STREAMS_PER_COMPANY))]
    tokens = [
        issuer.issue(
            user_id=uuid.uuid4(), company_id=companies[n % len(companies)], role="member"
        ).token
        for n in range(arguments.streams)
    ]
    before = rss_kib(api_pid)
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opening_started = time.monotonic()
    for batch in range(0, len(tokens), OPENING_AT_ONCE):
        chunk = tokens[batch : batch + OPENING_AT_ONCE]
        connections += await asyncio.gather(*(open_stream(token) for token in chunk))
    opening_seconds = time.monotonic() - opening_started
    await asyncio.sleep(2)  # let the replica settle before weighing it
    per_stream_kib = (rss_kib(api_pid) - before) / len(connections)

    events = arguments.rate * arguments.seconds
    receipts = Receipts(expected=events * STREAMS_PER_COMPANY)
    readers = [asyncio.create_task(read_stream(reader, receipts)) for reader, _ in connections]
    publisher = Publisher(environment["AMQP_URL"])
    await publisher.connect()
    try:
        started = time.monotonic()
        for n in range(events):
            await asyncio.sleep(max(0.0, started + n / arguments.rate - time.monotonic()))
            envelope = new_event(
                "billing",
                "notification.created",
                notification(n),
                company_id=companies[n % len(companies)],
            )
            await publisher.publish_envelope(envelope)
        try:
            async with asyncio.timeout(30):
                await receipts.done.wait()
        except TimeoutError:
            pass
    finally:
        await publisher.close()
        for task in readers:
            task.cancel()
        for _, writer in connections:
            writer.close()
    report(arguments, receipts, per_stream_kib, rss_kib(api_pid), opening_seconds)


def report(
    arguments: argparse.Namespace,
    receipts: Receipts,
    per_stream_kib: float,
    api_rss_kib: int,
    opening_seconds: float,
) -> None:
    delays = sorted(receipts.delays_ms)
    percentile = statistics.quantiles(delays, n=100) if len(delays) > 1 else delays * 99
    print(
        f"{arguments.streams} streams ({STREAMS_PER_COMPANY} per company), opened in "
        f"{opening_seconds:.1f} s; {arguments.rate} events/s for {arguments.seconds} s"
    )
    print(f"deliveries: {len(delays)} of {receipts.expected}")
    print(
        f"publish to receipt: p50 {percentile[49]:.0f} ms, p99 {percentile[98]:.0f} ms, "
        f"max {delays[-1]:.0f} ms"
    )
    print(
        f"memory per open stream: {per_stream_kib:.1f} KiB "
        f"(API process {api_rss_kib / 1024:.0f} MiB with every stream open)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50, help="events published per second")
    parser.add_argument("--seconds", type=int, default=20)
    arguments = parser.parse_args()
    private_pem, public_pem = generate_signing_keypair()
    environment = bench_environment(public_pem)
    asyncio.run(
        migrate_fresh(
            ROOT / "services" / "live",
            environment["LIVE_DATABASE_URL"],
            environment["POSTGRES_ADMIN_URL"],
        )
    )
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as processes:
        log = Path(scratch) / "live.log"
        worker = start([str(BIN / "finhub-live"), "worker"], environment, log)
        processes.callback(worker.wait)
        processes.callback(worker.terminate)
        api = start([str(BIN / "finhub-live"), "serve", "--port", str(API_PORT)], environment, log)
        processes.callback(api.wait)
        processes.callback(api.terminate)
        wait_ready(WORKER_METRICS_PORT)
        wait_ready(API_PORT)
        asyncio.run(run(arguments, environment, private_pem, api.pid))


if __name__ == "__main__":
    main()
