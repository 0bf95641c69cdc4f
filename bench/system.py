"""What the end-to-end and consumer benchmarks share: scratch databases and vhost, the services
started as production runs them (their own CLIs), companies and bank accounts seeded with the
services' own tables, the mix of provider events, and each process's resident memory.

Seeding writes rows with billing's and banking's models (what sign-up, checkout and a bank
connection leave behind) instead of walking 1,000 sign-ups through the APIs: a password hash per
sign-up would take minutes and measure nothing the benchmarks are about.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import psutil
import stripe
from cryptography.fernet import Fernet
from sqlalchemy import insert

from banking.accounts.models import BankAccount
from banking.connectors.models import Connector
from banking.entitlements.models import SOURCE_BILLING, CompanyEntitlement
from banking.items.models import Item
from billing.accounts.models import Company, RefreshToken, User
from billing.customers.models import StripeCustomer
from billing.payments.models import Payment
from billing.subscriptions.models import Subscription
from finhub_dev.provisioning import database_url_for_tests, test_suffix
from finhub_dev.testing import migrate_fresh
from finhub_shared.auth import TokenIssuer, generate_signing_keypair
from finhub_shared.bus import delete_consumer_queue
from finhub_shared.db import Database
from finhub_shared.settings import read_variable

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
SERVICES = ("gateway", "billing", "banking", "live")
PLUGGY_CLIENT_ID, PLUGGY_CLIENT_SECRET = "bench-client", "bench-secret"
PLAN_ID = 2  # professional, seeded by billing's migrations
DAY = 86_400
# The queue each worker takes the gateway's provider events from (its inbox's consumer name).
PROVIDER_QUEUES = {"billing": "billing.stripe", "banking": "banking.pluggy"}
# The end-to-end mix, in turn: renewals paid, open payments settled, subscriptions moved to a
# new period, new bank transactions (6:4:5:5).
MIX = ("invoice",) * 6 + ("intent",) * 4 + ("subscription",) * 5 + ("pluggy",) * 5


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _bench_url(variable: str, default: str) -> str:
    """The benchmark's twin of a database: `_bench`, or `_bench_<name>` with
    FINHUB_TEST_NAMESPACE=<name>, like the vhost."""
    return database_url_for_tests(read_variable(variable) or default).replace("_test", "_bench")


@dataclass(frozen=True)
class Setup:
    """One benchmark's configuration: scratch databases and vhost, fresh secrets, spare ports."""

    environment: dict[str, str]
    ports: dict[str, int]
    jwt_private_key: str

    @classmethod
    def fresh(cls) -> Setup:
        private_pem, public_pem = generate_signing_keypair()
        amqp = urlsplit(read_variable("AMQP_URL") or "amqp://finhub:finhub@127.0.0.1:5672/finhub")
        ports = {
            name: spare_port() for name in ("gateway", "billing", "banking", "live", "sandbox")
        }
        sandbox = f"http://127.0.0.1:{ports['sandbox']}"
        environment = {
            **{
                name: value
                for name, value in os.environ.items()
                if name != "PYTHONDONTWRITEBYTECODE"
            },
            # Compiled once, kept apart from the checkout: a process compiling every module at
            # each start takes a minute to get ready on a busy machine.
            "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "finhub-bench-pycache"),
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "WARNING",
            "POSTGRES_ADMIN_URL": read_variable("POSTGRES_ADMIN_URL")
            or "postgresql://postgres@127.0.0.1:5432/postgres",
            "AMQP_URL": amqp._replace(
                path=amqp.path + test_suffix().replace("_test", "_bench")
            ).geturl(),
            **{
                f"{service.upper()}_DATABASE_URL": _bench_url(
                    f"{service.upper()}_DATABASE_URL",
                    f"postgresql://finhub_{service}:finhub_{service}@127.0.0.1:5432/finhub_{service}",
                )
                for service in SERVICES
            },
            "JWT_PRIVATE_KEY": private_pem,
            "JWT_PUBLIC_KEY": public_pem,
            "ADMIN_TOKEN": secrets.token_hex(16),
            "STRIPE_API_KEY": "sk_test_" + secrets.token_hex(12),
            "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
            "STRIPE_API_BASE": sandbox,
            "PLUGGY_CLIENT_ID": PLUGGY_CLIENT_ID,
            "PLUGGY_CLIENT_SECRET": PLUGGY_CLIENT_SECRET,
            "PLUGGY_WEBHOOK_SECRET": secrets.token_hex(16),
            "PLUGGY_API_URL": f"{sandbox}/pluggy",
            "MFA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "PUBLIC_WEBHOOK_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
            "SANDBOX_PUBLIC_URL": sandbox,
            "SANDBOX_SEED_FILE": "",
            "SANDBOX_PORT": str(ports["sandbox"]),
            # Generous limits: the benches measure the path, not the limiter's refusals.
            "WEBHOOK_RATE_LIMIT_PER_SOURCE_PER_MINUTE": "100000000",
            "WEBHOOK_RATE_LIMIT_PER_TYPE_PER_MINUTE": "100000000",
        }
        return cls(environment, ports, private_pem)

    def database_url(self, service: str) -> str:
        return self.environment[f"{service.upper()}_DATABASE_URL"]

    async def migrate(self) -> None:
        """Every service's scratch database emptied and migrated from zero."""
        for service in SERVICES:
            directory = "webhook-gateway" if service == "gateway" else service
            await migrate_fresh(
                ROOT / "services" / directory,
                self.database_url(service),
                self.environment["POSTGRES_ADMIN_URL"],
            )

    async def empty_queues(self) -> None:
        """The scratch vhost without the queues a run before left, messages included (a run cut
        short leaves thousands); each worker declares its own again as it starts."""
        # Imported here, not with the module: the workers' handlers pull in banking's insights
        # (pandas, scikit-learn), 4 s and 150 MiB that every process importing system.py (the
        # end-to-end bench's senders) would pay for a list of queue names.
        from banking import consumer as banking_worker
        from billing import consumer as billing_worker
        from live import consumer as live_worker
        from webhook_gateway import consumer as gateway_worker

        connection = await aio_pika.connect(self.environment["AMQP_URL"])
        async with connection, connection.channel() as channel:
            for worker in (gateway_worker, billing_worker, banking_worker, live_worker):
                for subscription in worker.SUBSCRIPTIONS:
                    await delete_consumer_queue(channel, subscription.queue)


# --- processes -----------------------------------------------------------------------------------


@dataclass
class Process:
    """A service process (or a uvicorn with worker children) and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int | None = None  # where its /readyz answers

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the process and its children so far."""
        try:
            parent = psutil.Process(self.popen.pid)
            every = [parent, *parent.children(recursive=True)]
            return float(sum(each.cpu_times().user + each.cpu_times().system for each in every))
        except psutil.NoSuchProcess:
            return 0.0

    def rss_bytes(self) -> int:
        """Resident memory of the process and its children (uvicorn's workers)."""
        try:
            parent = psutil.Process(self.popen.pid)
            every = [parent, *parent.children(recursive=True)]
            return sum(each.memory_info().rss for each in every)
        except psutil.NoSuchProcess:
            return 0


# The programs whose CPU a drain is split into, by process name.
INFRASTRUCTURE = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ"}


@dataclass(frozen=True)
class MachineCPU:
    """CPU time used so far: by the whole machine, and by each infrastructure program."""

    busy: float
    by_program: dict[str, float]

    @classmethod
    def now(cls) -> MachineCPU:
        """A snapshot. A process that exits between two snapshots takes its time with it:
        PostgreSQL's backends live as long as the pools' connections, RabbitMQ is one process."""
        times = psutil.cpu_times()
        by_program = dict.fromkeys(INFRASTRUCTURE.values(), 0.0)
        for each in psutil.process_iter(["name", "cpu_times"]):
            program = INFRASTRUCTURE.get(each.info["name"])
            if program is not None and each.info["cpu_times"] is not None:
                by_program[program] += each.info["cpu_times"].user + each.info["cpu_times"].system
        return cls(times.user + times.nice + times.system + times.irq + times.softirq, by_program)

    def since(self, earlier: MachineCPU) -> MachineCPU:
        """The CPU time used between `earlier` and this snapshot."""
        return MachineCPU(
            self.busy - earlier.busy,
            {name: used - earlier.by_program[name] for name, used in self.by_program.items()},
        )

    def scaled(self, factor: float) -> MachineCPU:
        """These times multiplied by `factor` (a span measured over part of a drain)."""
        return MachineCPU(
            self.busy * factor, {name: used * factor for name, used in self.by_program.items()}
        )


@dataclass
class Processes:
    """Started processes, stopped (TERM, then KILL) when the block ends."""

    setup: Setup
    workdir: Path
    running: list[Process] = field(default_factory=list)

    def start(
        self, name: str, command: list[str], port: int | None = None, **extra: str
    ) -> Process:
        log = (self.workdir / f"{name}.log").open("ab")
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.setup.environment, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process = Process(name, popen, port)
        self.running.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.popen.terminate()
        try:
            process.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()
        self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(reversed(self.running)):
            self.stop(process)


def sample(process: Process, name: str, output_format: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the process until interrupted (SIGINT), into bench/results/<name>.*;
    --nonblocking reads the stacks without pausing the process."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}[output_format]
    return subprocess.Popen(
        [
            str(BIN / "py-spy"),
            "record",
            "--pid",
            str(process.popen.pid),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            output_format,
            "--output",
            str(RESULTS / f"{name}.{suffix}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop_on_term(signum: int, _frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


@contextmanager
def processes(setup: Setup, workdir: Path) -> Iterator[Processes]:
    """The processes started in the block, stopped when it ends, also on SIGTERM."""
    signal.signal(signal.SIGTERM, _stop_on_term)
    started = Processes(setup, workdir)
    try:
        yield started
    finally:
        started.stop_all()


def serve(started: Processes, service: str, workers: int = 1) -> Process:
    """A service's API on its spare port; with `workers` > 1, uvicorn's own worker processes."""
    port = str(started.setup.ports[service])
    if workers == 1:
        command = [str(BIN / f"finhub-{service}"), "serve", "--port", port]
    else:
        module = "webhook_gateway" if service == "gateway" else service
        command = [
            str(BIN / "uvicorn"),
            f"{module}.main:create_app",
            "--factory",
            "--port",
            port,
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    return started.start(f"{service}-api", command, int(port))


def worker(started: Processes, service: str, number: int = 1, niceness: int = 0) -> Process:
    """A service's worker (consumers, relay, jobs), at `niceness` (nice(1)); each one on a
    metrics port of its own."""
    port = spare_port()
    return started.start(
        f"{service}-worker-{number}",
        ["nice", "-n", str(niceness), str(BIN / f"finhub-{service}"), "worker"],
        port,
        WORKER_METRICS_PORT=str(port),
    )


def sandbox(started: Processes) -> Process:
    port = started.setup.ports["sandbox"]
    return started.start(
        "sandbox", [str(BIN / "finhub-sandbox"), "serve", "--port", str(port)], port
    )


def wait_ready(*started: Process, within: float = 300) -> None:
    """Until every process answers /readyz on its port (a worker only once its consumers are
    connected, so its queues exist; a busy machine takes its time to import everything); a
    process that ends instead stops the bench."""
    deadline = time.monotonic() + within
    for process in started:
        while process.port is not None:
            if process.popen.poll() is not None:
                raise SystemExit(f"{process.name} ended (exit {process.popen.returncode})")
            try:
                url = f"http://127.0.0.1:{process.port}/readyz"
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{process.name} not ready after {within} s")
            time.sleep(0.3)


# --- seeding -------------------------------------------------------------------------------------


@dataclass
class Tenant:
    """A seeded company: its ids at Stripe, its owner's access token, its open payments."""

    company_id: uuid.UUID
    customer_id: str
    subscription_id: str
    token: str
    open_payments: list[str]  # Stripe invoice ids whose payment waits (status processing)


@dataclass
class BankAccountSeed:
    """A bank account connected in banking and held by the Pluggy sandbox."""

    company_id: uuid.UUID
    token: str
    account_id: uuid.UUID  # banking's id
    pluggy_item_id: str
    pluggy_account_id: str


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def seed_billing(setup: Setup, companies: int, open_payments_each: int) -> list[Tenant]:
    """`companies` companies, each with an owner logged in, a Stripe customer, an active monthly
    subscription and `open_payments_each` payments Stripe has not settled yet."""
    issuer = TokenIssuer(setup.jwt_private_key, "finhub-billing", "finhub", ttl_seconds=DAY)
    database = Database(setup.database_url("billing"), application_name="bench-seed", pool_size=1)
    now = _now()
    tenants: list[Tenant] = []
    rows: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (Company, User, RefreshToken, StripeCustomer, Subscription, Payment)
    }
    for number in range(companies):
        company_id, user_id, family = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        customer, subscription = f"cus_bench{number:05d}", f"sub_bench{number:05d}"
        open_invoices = [f"in_open{number:05d}x{k:03d}" for k in range(open_payments_each)]
        rows[Company].append({"id": company_id, "name": f"Bench {number}"})
        rows[User].append(
            {
                "id": user_id,
                "company_id": company_id,
                "email": f"owner{number}@bench.example",
                "name": "Owner",
                "password_hash": "unused",
                "role": "owner",
            }
        )
        rows[RefreshToken].append(
            {
                "user_id": user_id,
                "family_id": family,
                "token_hash": secrets.token_hex(32),
                "expires_at": now + timedelta(days=1),
            }
        )
        rows[StripeCustomer].append(
            {"company_id": company_id, "stripe_customer_id": customer, "synced_at": now}
        )
        rows[Subscription].append(
            {
                "company_id": company_id,
                "status": "active",
                "plan_id": PLAN_ID,
                "billing_period": "monthly",
                "stripe_subscription_id": subscription,
                "stripe_subscription_item_id": f"si_{subscription}",
                "stripe_status": "active",
                "current_period_start": now - timedelta(days=1),
                "current_period_end": now + timedelta(days=29),
                "stripe_synced_at": now - timedelta(days=1),
            }
        )
        for invoice in open_invoices:
            rows[Payment].append(
                {
                    "company_id": company_id,
                    "stripe_invoice_id": invoice,
                    "stripe_payment_intent_id": f"pi_{invoice}",
                    "amount_cents": 7900,
                    "currency": "BRL",
                    "status": "processing",
                    "synced_at": now - timedelta(days=1),
                    "requested_at": now - timedelta(days=1),
                }
            )
        token = issuer.issue(
            user_id=user_id, company_id=company_id, role="owner", session_id=family
        ).token
        tenants.append(Tenant(company_id, customer, subscription, token, open_invoices))
    try:
        async with database.transaction() as session:
            for table, values in rows.items():
                for start in range(0, len(values), 2000):
                    await session.execute(insert(table), values[start : start + 2000])
    finally:
        await database.dispose()
    return tenants


async def seed_banking(setup: Setup, tenants: list[Tenant], accounts: int) -> list[BankAccountSeed]:
    """`accounts` bank accounts, one per company from the first, each an item of the Pluggy
    sandbox (sandbox user user-ok) connected in banking (items and accounts rows)."""
    base = f"http://127.0.0.1:{setup.ports['sandbox']}/pluggy"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        auth = await http.post(
            "/auth", json={"clientId": PLUGGY_CLIENT_ID, "clientSecret": PLUGGY_CLIENT_SECRET}
        )
        http.headers["X-API-KEY"] = auth.raise_for_status().json()["apiKey"]
        body = {"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}}
        items = [
            (await http.post("/items", json=body)).raise_for_status().json()["id"]
            for _ in range(accounts)
        ]
        (await http.post("/_sandbox/advance", json={"minutes": 2})).raise_for_status()
        pluggy_accounts = []
        for item in items:
            listed = (await http.get("/accounts", params={"itemId": item})).raise_for_status()
            bank = next(a for a in listed.json()["results"] if a["type"] == "BANK")
            pluggy_accounts.append(bank["id"])
    database = Database(setup.database_url("banking"), application_name="bench-seed", pool_size=1)
    seeds: list[BankAccountSeed] = []
    now = _now()
    try:
        async with database.transaction() as session:
            await session.merge(Connector(id=0, name="Pluggy Bank"))
            for tenant, item_id, pluggy_account in zip(
                tenants, items, pluggy_accounts, strict=False
            ):
                session.add(
                    CompanyEntitlement(
                        company_id=tenant.company_id,
                        plan="enterprise",
                        status="active",
                        source=SOURCE_BILLING,
                        snapshot_at=now,
                    )
                )
                item = Item(
                    company_id=tenant.company_id,
                    pluggy_item_id=item_id,
                    connector_id=0,
                    status="UPDATED",
                    execution_status="SUCCESS",
                )
                session.add(item)
                await session.flush()
                account = BankAccount(
                    company_id=tenant.company_id,
                    pluggy_account_id=pluggy_account,
                    item_id=item.id,
                    type="BANK",
                    name="Conta",
                    currency_code="BRL",
                    balance_cents=0,
                )
                session.add(account)
                await session.flush()
                seeds.append(
                    BankAccountSeed(
                        tenant.company_id, tenant.token, account.id, item_id, pluggy_account
                    )
                )
    finally:
        await database.dispose()
    return seeds


# --- the events ----------------------------------------------------------------------------------


def stripe_event(event_type: str, data_object: dict[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def subscription_updated(tenant: Tenant, period_end: int, created: int) -> dict[str, Any]:
    """The subscription moved to a period ending at `period_end`."""
    start = period_end - 30 * DAY
    return stripe_event(
        "customer.subscription.updated",
        {
            "id": tenant.subscription_id,
            "object": "subscription",
            "customer": tenant.customer_id,
            "status": "active",
            "metadata": {"company_id": str(tenant.company_id), "plan_id": str(PLAN_ID)},
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "trial_end": None,
            "latest_invoice": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{tenant.subscription_id}",
                        "object": "subscription_item",
                        "price": {
                            "id": "price_professional_monthly",
                            "object": "price",
                            "lookup_key": "professional_monthly",
                            "unit_amount": 7900,
                            "currency": "brl",
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "quantity": 1,
                        "current_period_start": start,
                        "current_period_end": period_end,
                    }
                ],
            },
        },
        created,
    )


def invoice_paid(tenant: Tenant, invoice_id: str, created: int) -> dict[str, Any]:
    """A paid renewal invoice (number FH-<invoice id>), with its payment intent."""
    subscription = tenant.subscription_id
    return stripe_event(
        "invoice.paid",
        {
            "id": invoice_id,
            "object": "invoice",
            "customer": tenant.customer_id,
            "status": "paid",
            "number": f"FH-{invoice_id}",
            "billing_reason": "subscription_cycle",
            "amount_due": 7900,
            "amount_paid": 7900,
            "amount_remaining": 0,
            "currency": "brl",
            "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
            "invoice_pdf": f"https://invoice.stripe.test/i/{invoice_id}/pdf",
            "attempt_count": 1,
            "next_payment_attempt": None,
            "created": created,
            "period_start": created,
            "period_end": created,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": subscription,
                    "metadata": {"company_id": str(tenant.company_id), "plan_id": str(PLAN_ID)},
                },
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": f"il_{invoice_id}",
                        "object": "line_item",
                        "amount": 7900,
                        "period": {"start": created, "end": created + 30 * DAY},
                        "parent": {
                            "type": "subscription_item_details",
                            "subscription_item_details": {
                                "subscription": subscription,
                                "subscription_item": f"si_{subscription}",
                            },
                        },
                    }
                ],
            },
            "payments": {
                "object": "list",
                "data": [
                    {
                        "object": "invoice_payment",
                        "status": "paid",
                        "payment": {"type": "payment_intent", "payment_intent": f"pi_{invoice_id}"},
                    }
                ],
            },
        },
        created,
    )


def payment_intent_succeeded(tenant: Tenant, invoice_id: str, created: int) -> dict[str, Any]:
    """The open payment of `invoice_id` went through."""
    return stripe_event(
        "payment_intent.succeeded",
        {
            "id": f"pi_{invoice_id}",
            "object": "payment_intent",
            "customer": tenant.customer_id,
            "amount": 7900,
            "amount_received": 7900,
            "currency": "brl",
            "status": "succeeded",
            "last_payment_error": None,
            "next_action": None,
        },
        created,
    )


def transactions_created(seed: BankAccountSeed, created_from: str) -> dict[str, Any]:
    return {
        "event": "transactions/created",
        "eventId": str(uuid.uuid4()),
        "itemId": seed.pluggy_item_id,
        "accountId": seed.pluggy_account_id,
        "transactionsCreatedAtFrom": created_from,
        "clientId": PLUGGY_CLIENT_ID,
    }


def signed_stripe(setup: Setup, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, separators=(",", ":"))
    signature = stripe.WebhookSignature.generate_signature_header(
        body, setup.environment["STRIPE_WEBHOOK_SECRET"]
    )
    return body.encode(), {"Stripe-Signature": signature, "Content-Type": "application/json"}


def signed_pluggy(setup: Setup, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    headers = {
        "X-Webhook-Secret": setup.environment["PLUGGY_WEBHOOK_SECRET"],
        "Content-Type": "application/json",
    }
    return json.dumps(event, separators=(",", ":")).encode(), headers


def mebibytes(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"
