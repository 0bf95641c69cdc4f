"""Webhook gateway throughput: signed Stripe deliveries through the real path (verify, store,
queue, relay to RabbitMQ) against a bare FastAPI endpoint that only reads the body, in one run,
same uvicorn settings (one worker), load from wrk on loopback.

    make bench            # or: .venv/bin/python bench/bench_gateway.py [--runs 3 --seconds 20]
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_gateway.py   # quick: one run of 3 s

After the runs it profiles the gateway under the same load with py-spy
(bench/results/gateway-flame.svg), then measures it with two processes against one.

Needs wrk (Debian: apt-get install wrk), PostgreSQL and RabbitMQ (make infra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import httpx
import psutil
import stripe

from finhub_dev.provisioning import database_url_for_tests
from finhub_dev.testing import migrate_fresh
from finhub_shared.bus import declare_exchange
from finhub_shared.db import asyncpg_dsn
from finhub_shared.events import EXCHANGE
from finhub_shared.settings import read_variable

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Spare ports: fixed ones would collide with a chaos run or another bench on the machine.
GATEWAY_PORT, BARE_PORT = _spare_port(), _spare_port()
CONNECTIONS, THREADS = 64, 2
SINK_QUEUE = "bench.gateway.sink"
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    # CPU time the server process spent per request: what a busy machine changes least.
    cpu_us_per_request: float = float("nan")


def bench_environment() -> dict[str, str]:
    """A scratch database and vhost, so a bench never touches development or test data."""
    database = database_url_for_tests(
        read_variable("GATEWAY_DATABASE_URL")
        or "postgresql://finhub_gateway:finhub_gateway@127.0.0.1:5432/finhub_gateway"
    ).replace("_test", "_bench")
    amqp = urlsplit(read_variable("AMQP_URL") or "amqp://finhub:finhub@127.0.0.1:5672/finhub")
    return {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        # Compiled once, kept apart from the checkout (see system.py).
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "finhub-bench-pycache"),
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_DATABASE_URL": database,
        "POSTGRES_ADMIN_URL": read_variable("POSTGRES_ADMIN_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        "AMQP_URL": amqp._replace(path=amqp.path + "_bench").geturl(),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
        "PLUGGY_WEBHOOK_SECRET": secrets.token_hex(16),
        "PLUGGY_CLIENT_ID": "bench",
        "ADMIN_TOKEN": secrets.token_hex(16),
        # Generous limits: the bench measures the path, not the limiter's refusals.
        "WEBHOOK_RATE_LIMIT_PER_SOURCE_PER_MINUTE": "100000000",
        "WEBHOOK_RATE_LIMIT_PER_TYPE_PER_MINUTE": "100000000",
    }


def invoice_event() -> dict[str, object]:
    """An `invoice.paid` event of about 3 KB, shaped like Stripe's."""
    lines = [
        {
            "id": f"il_{uuid.uuid4().hex[:24]}",
            "object": "line_item",
            "amount": 7900,
            "currency": "brl",
            "description": "1 x Finance Hub Professional (at R$ 79.00 / month)",
            "period": {"start": 1764374400, "end": 1767052800},
            "pricing": {"price_details": {"price": "price_professional_monthly"}},
        }
        for _ in range(4)
    ]
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": "invoice.paid",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {
            "object": {
                "id": f"in_{uuid.uuid4().hex[:24]}",
                "object": "invoice",
                "amount_due": 7900,
                "amount_paid": 7900,
                "currency": "brl",
                "customer": "cus_T4bench",
                "status": "paid",
                "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_" + "x" * 40,
                "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_" + "y" * 40 + "/pdf",
                "lines": {"object": "list", "data": lines, "has_more": False},
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {
                        "subscription": "sub_1bench",
                        "metadata": {"company_id": str(uuid.uuid4()), "plan_id": "professional"},
                    },
                },
            }
        },
    }


def write_deliveries(path: Path, count: int, secret: str) -> None:
    """`count` distinct, freshly signed deliveries, one per line."""
    with path.open("w") as out:
        for _ in range(count):
            body = json.dumps(invoice_event(), separators=(",", ":"))
            signature = stripe.WebhookSignature.generate_signature_header(body, secret)
            out.write(f"{signature}\t{body}\n")


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def wrk(port: int, deliveries: Path, seconds: int, pid: int | None = None) -> Result:
    environment = {**os.environ, "WRK_REQUESTS": str(deliveries), "WRK_THREADS": str(THREADS)}
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk_signed.lua"),
        f"http://127.0.0.1:{port}",
    ]
    cpu_before = cpu_seconds(pid) if pid else 0.0
    output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    cpu = cpu_seconds(pid) - cpu_before if pid else float("nan")
    summary = json.loads(output.stdout.strip().splitlines()[-1])
    return Result(
        cpu_us_per_request=cpu / max(1, summary["requests"]) * 1e6,
        requests_per_second=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        non_2xx=summary["non_2xx"],
        socket_errors=summary["socket_errors"],
    )


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(command, cwd=log.parent, env=environment, stdout=handle, stderr=handle)


def wait_healthy(port: int, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"nothing healthy on port {port} after {within} s")


async def declare_sink(amqp_url: str) -> None:
    """A bounded queue bound to `stripe.#`: the relay's publishes must be routable to count."""
    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        await declare_exchange(channel)
        sink = await channel.declare_queue(
            SINK_QUEUE, arguments={"x-max-length": 1000, "x-overflow": "drop-head"}
        )
        await sink.bind(EXCHANGE, routing_key="stripe.#")


async def delete_sink(amqp_url: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        await channel.queue_delete(SINK_QUEUE)


async def outbox_backlog(database_url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM outbox_messages WHERE published_at IS NULL"
            )
        )
    finally:
        await connection.close()


def median(results: list[Result], field: str) -> float:
    return float(statistics.median(getattr(result, field) for result in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--profile-seconds",
        type=int,
        default=10,
        help="after the runs, profile the gateway under the same load (0: skip)",
    )
    parser.add_argument(
        "--profile-format", choices=["flamegraph", "raw", "speedscope"], default="flamegraph"
    )
    parser.add_argument(
        "--no-scale", action="store_true", help="skip the two-process run (scale on one machine)"
    )
    options = parser.parse_args()
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    if scale < 1:  # a quick run: one short run of each, as BENCH_SCALE asks of every bench
        options.runs = 1
        options.seconds = max(3, round(options.seconds * scale))
        options.profile_seconds = min(options.profile_seconds, options.seconds)
    if shutil.which("wrk") is None:
        raise SystemExit("bench_gateway needs wrk: apt-get install wrk")
    environment = bench_environment()
    database_url = environment["GATEWAY_DATABASE_URL"]
    asyncio.run(
        migrate_fresh(
            ROOT / "services" / "webhook-gateway", database_url, environment["POSTGRES_ADMIN_URL"]
        )
    )
    asyncio.run(declare_sink(environment["AMQP_URL"]))
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    bare_requests = work / "bare.tsv"
    write_deliveries(bare_requests, 20_000, environment["STRIPE_WEBHOOK_SECRET"])
    uvicorn_bare = [
        str(BIN / "uvicorn"),
        "bench_bare_app:app",
        "--port",
        str(BARE_PORT),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    shutil.copy(ROOT / "bench" / "bare_app.py", work / "bench_bare_app.py")
    bare_env = {**environment, "PYTHONPATH": str(work)}
    gateway_results: list[Result] = []
    bare_results: list[Result] = []
    backlogs: list[tuple[int, int]] = []
    with ExitStack() as processes:
        for command, env, log in (
            (
                [str(BIN / "finhub-gateway"), "serve", "--port", str(GATEWAY_PORT)],
                environment,
                "gateway.log",
            ),
            ([str(BIN / "finhub-gateway"), "worker"], environment, "worker.log"),
            (uvicorn_bare, bare_env, "bare.log"),
        ):
            process = start(command, env, work / log)
            processes.callback(process.wait, 30)
            processes.callback(process.terminate)
            if log == "gateway.log":
                gateway = process
            elif log == "bare.log":
                bare = process
        wait_healthy(GATEWAY_PORT)
        wait_healthy(BARE_PORT)
        for run in range(1, options.runs + 1):
            bare_results.append(wrk(BARE_PORT, bare_requests, options.seconds, bare.pid))
            gateway_requests = work / f"gateway-{run}.tsv"
            write_deliveries(
                gateway_requests, 6_000 * options.seconds, environment["STRIPE_WEBHOOK_SECRET"]
            )
            gateway_results.append(
                wrk(GATEWAY_PORT, gateway_requests, options.seconds, gateway.pid)
            )
            at_end = asyncio.run(outbox_backlog(database_url))
            time.sleep(5)
            backlogs.append((at_end, asyncio.run(outbox_backlog(database_url))))
            gateway_requests.unlink()
            print(
                f"run {run}: bare {bare_results[-1]}\n       gateway {gateway_results[-1]}"
                f"\n       outbox backlog at end {backlogs[-1][0]}, 5 s later {backlogs[-1][1]}"
            )
        if options.profile_seconds:
            profile(gateway.pid, work, environment, options)
        scaled = None if options.no_scale else two_processes(work, environment, options.seconds)
    asyncio.run(delete_sink(environment["AMQP_URL"]))
    report(bare_results, gateway_results, backlogs, options)
    if scaled is not None:
        one, two = scaled
        print(
            f"scale: gateway with 2 processes {two.requests_per_second:.0f} req/s "
            f"(p99 {two.p99_ms:.1f} ms) vs 1 process {one.requests_per_second:.0f} req/s "
            f"(p99 {one.p99_ms:.1f} ms) back to back: gain "
            f"{two.requests_per_second / one.requests_per_second:.2f}x"
        )


def two_processes(work: Path, environment: dict[str, str], seconds: int) -> tuple[Result, Result]:
    """The gateway's API with two uvicorn worker processes on one port, measured right after one
    more run of the single process (the same load, back to back)."""
    port = _spare_port()
    command = [
        str(BIN / "uvicorn"),
        "webhook_gateway.main:create_app",
        "--factory",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    results = []
    two = start(command, environment, work / "gateway-2.log")
    try:
        wait_healthy(port)
        for target in (GATEWAY_PORT, port):
            requests = work / "scale.tsv"
            write_deliveries(requests, 6_000 * seconds, environment["STRIPE_WEBHOOK_SECRET"])
            results.append(wrk(target, requests, seconds))
            requests.unlink()
    finally:
        two.terminate()
        two.wait(30)
    return results[0], results[1]


def profile(pid: int, work: Path, environment: dict[str, str], options: argparse.Namespace) -> None:
    """py-spy samples the gateway under one more run of the same load (not one of the measured
    runs: sampling slows the process down); the flame graph goes to bench/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}[options.profile_format]
    output = RESULTS / f"gateway-flame.{suffix}"
    requests = work / "profiled.tsv"
    write_deliveries(
        requests, 6_000 * options.profile_seconds, environment["STRIPE_WEBHOOK_SECRET"]
    )
    # --nonblocking: reading the stacks without pausing the process keeps the load realistic.
    sampler = subprocess.Popen(
        [
            str(BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(options.profile_seconds),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            options.profile_format,
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(GATEWAY_PORT, requests, options.profile_seconds)
    sampler.wait(timeout=options.profile_seconds + 60)
    requests.unlink()
    print(f"flame graph of the gateway under load: {output.relative_to(ROOT)}")


def report(
    bare: list[Result],
    gateway: list[Result],
    backlogs: list[tuple[int, int]],
    options: argparse.Namespace,
) -> None:
    print(f"\n{options.runs} runs of {options.seconds} s, {CONNECTIONS} connections, 1 worker")
    print(f"{'':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'CPU µs/req':>12}")
    for name, results in (("bare endpoint (median)", bare), ("gateway (median)", gateway)):
        rate = median(results, "requests_per_second")
        p50, p99 = median(results, "p50_ms"), median(results, "p99_ms")
        refused = sum(result.non_2xx for result in results)
        cpu = median(results, "cpu_us_per_request")
        print(f"{name:<26}{rate:>10.0f}{p50:>10.1f}{p99:>10.1f}{refused:>10}{cpu:>12.0f}")
    ratio = median(gateway, "requests_per_second") / median(bare, "requests_per_second")
    print(f"gateway / bare throughput: {ratio:.1%}")
    # On a busy machine each server gets what the others leave it; its own CPU time per request
    # is what the throughput ratio on a core of its own would be.
    cpu_ratio = median(bare, "cpu_us_per_request") / median(gateway, "cpu_us_per_request")
    print(f"bare / gateway CPU per request (the ratio on an idle core): {cpu_ratio:.1%}")
    print(
        "outbox backlog at end of each run → 5 s later: "
        + ", ".join(f"{end} → {later}" for end, later in backlogs)
    )


if __name__ == "__main__":
    main()
