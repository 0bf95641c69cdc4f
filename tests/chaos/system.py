"""The whole system as production runs it: every API and worker under supervisord, on the
suite's private PostgreSQL and RabbitMQ, on ports no developer's `make run` uses.

Every setting is given in the environment, so a developer's `.env` changes nothing here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from finhub_shared.auth import generate_signing_keypair

from .infra import PrivatePostgres, PrivateRabbit

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SUPERVISOR_CONF = ROOT / "deploy" / "supervisor" / "supervisord.conf"
# Every process's output, kept after the run (the temporary directory is not).
LOG_DIR = ROOT / ".run" / "chaos"
SERVICES = ("gateway", "billing", "banking", "live")
# The programs whose readiness the console's health page shows, as under `make run`.
HEALTH_TARGETS = ("gateway", "gateway-admin", *SERVICES[1:], *(f"{s}-worker" for s in SERVICES))
READY_TIMEOUT_SECONDS = 120.0
PROBE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Ports:
    """A block clear of `make run` (8000-8004, 8010, 8080, 9100-9103) and the shared servers, below
    the ephemeral range: a port in it could be taken by an outgoing connection while its server
    is stopped for a fault, and the server then could not listen again."""

    gateway: int = 18000
    billing: int = 18001
    banking: int = 18002
    gateway_admin: int = 18003
    live: int = 18004
    sandbox: int = 18010
    console: int = 18080
    gateway_worker: int = 19100
    billing_worker: int = 19101
    banking_worker: int = 19102
    live_worker: int = 19103
    postgres: int = 18432
    amqp: int = 18672
    amqp_distribution: int = 18673

    @classmethod
    def free(cls) -> Ports:
        """Ports nothing listens on now (for a run beside `make chaos` or another test run)."""
        sockets = [socket.socket() for _ in fields(cls)]
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        ports = [each.getsockname()[1] for each in sockets]
        for each in sockets:
            each.close()
        return cls(*ports)


@dataclass(frozen=True)
class Secrets:
    """Throwaway secrets, fresh for each run (as conftest.py makes them for the test suite)."""

    jwt_private_key: str
    jwt_public_key: str
    admin_token: str
    stripe_api_key: str
    stripe_webhook_secret: str
    pluggy_client_id: str
    pluggy_client_secret: str
    pluggy_webhook_secret: str
    mfa_encryption_key: str
    console_secret_key: str

    @classmethod
    def fresh(cls) -> Secrets:
        private_pem, public_pem = generate_signing_keypair()
        return cls(
            jwt_private_key=private_pem,
            jwt_public_key=public_pem,
            admin_token=secrets.token_urlsafe(32),
            stripe_api_key="sk_test_" + secrets.token_urlsafe(16),
            stripe_webhook_secret="whsec_" + secrets.token_urlsafe(24),
            pluggy_client_id="chaos-client-id",
            pluggy_client_secret=secrets.token_urlsafe(24),
            pluggy_webhook_secret=secrets.token_urlsafe(24),
            mfa_encryption_key=Fernet.generate_key().decode(),
            console_secret_key=secrets.token_urlsafe(32),
        )


@dataclass(frozen=True)
class Probe:
    """One process's readiness: `path` on `port` answering 200 (`fallback` when 404)."""

    program: str
    port: int
    path: str = "/readyz"
    fallback: str | None = None


class System:
    """The private infrastructure and the supervised processes of one chaos run."""

    def __init__(self, workdir: Path, ports: Ports = Ports()) -> None:
        self.workdir = workdir
        self.ports = ports
        self.secrets = Secrets.fresh()
        self.postgres = PrivatePostgres(workdir / "postgres", ports.postgres)
        self.rabbit = PrivateRabbit(
            workdir / "rabbitmq",
            ports.amqp,
            ports.amqp_distribution,
            node=f"finhub-chaos-{ports.amqp}@localhost",
        )
        self.run_dir = workdir / "run"
        self.log = LOG_DIR / f"system-{ports.gateway}.log"
        self._supervisord: subprocess.Popen[bytes] | None = None

    @property
    def database_urls(self) -> dict[str, str]:
        """Each service's database (named as the consumers' inboxes read them)."""
        return {service: self.postgres.database_url(f"finhub_{service}") for service in SERVICES}

    def url(self, part: str) -> str:
        """The base URL of a process's HTTP port: any field of `Ports` but the servers'."""
        return f"http://127.0.0.1:{getattr(self.ports, part)}"

    def environment(self) -> dict[str, str]:
        """What every process gets: the whole configuration, nothing left to `.env`."""
        ports, keys = self.ports, self.secrets
        sandbox = self.url("sandbox")
        return {
            **_example_defaults(),
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "FINHUB_RUN_DIR": str(self.run_dir),
            "ENVIRONMENT": "development",
            "LOG_JSON": "true",
            "AMQP_URL": self.rabbit.amqp_url,
            "POSTGRES_ADMIN_URL": self.postgres.admin_url,
            "GATEWAY_DATABASE_URL": self.database_urls["gateway"],
            "BILLING_DATABASE_URL": self.database_urls["billing"],
            "BANKING_DATABASE_URL": self.database_urls["banking"],
            "LIVE_DATABASE_URL": self.database_urls["live"],
            "JWT_PRIVATE_KEY": keys.jwt_private_key,
            "JWT_PUBLIC_KEY": keys.jwt_public_key,
            "ADMIN_TOKEN": keys.admin_token,
            "STRIPE_API_KEY": keys.stripe_api_key,
            "STRIPE_WEBHOOK_SECRET": keys.stripe_webhook_secret,
            "STRIPE_API_BASE": sandbox,
            "PLUGGY_CLIENT_ID": keys.pluggy_client_id,
            "PLUGGY_CLIENT_SECRET": keys.pluggy_client_secret,
            "PLUGGY_WEBHOOK_SECRET": keys.pluggy_webhook_secret,
            "PLUGGY_API_URL": f"{sandbox}/pluggy",
            "MFA_ENCRYPTION_KEY": keys.mfa_encryption_key,
            "CONSOLE_SECRET_KEY": keys.console_secret_key,
            "PUBLIC_WEBHOOK_BASE_URL": self.url("gateway"),
            "SANDBOX_PUBLIC_URL": sandbox,
            "SANDBOX_SEED_FILE": "",
            "GATEWAY_PORT": str(ports.gateway),
            "GATEWAY_ADMIN_PORT": str(ports.gateway_admin),
            "BILLING_PORT": str(ports.billing),
            "BANKING_PORT": str(ports.banking),
            "LIVE_PORT": str(ports.live),
            "SANDBOX_PORT": str(ports.sandbox),
            "CONSOLE_PORT": str(ports.console),
            # The console calls this run's APIs, never those of a `make run` beside it.
            "CONSOLE_BILLING_URL": self.url("billing"),
            "CONSOLE_BANKING_URL": self.url("banking"),
            "CONSOLE_LIVE_URL": self.url("live"),
            "CONSOLE_GATEWAY_ADMIN_URL": self.url("gateway_admin"),
            # Stripe sends users back to this run's console.
            "BILLING_CHECKOUT_SUCCESS_URL": self.url("console")
            + "/app/subscription?checkout=success",
            "BILLING_CHECKOUT_CANCEL_URL": self.url("console")
            + "/app/subscription?checkout=cancelled",
            "BILLING_PORTAL_RETURN_URL": self.url("console") + "/app/subscription",
            "CONSOLE_HEALTH_TARGETS": ",".join(
                f"{program}={self.url(program.replace('-', '_'))}" for program in HEALTH_TARGETS
            ),
            "GATEWAY_WORKER_METRICS_PORT": str(ports.gateway_worker),
            "BILLING_WORKER_METRICS_PORT": str(ports.billing_worker),
            "BANKING_WORKER_METRICS_PORT": str(ports.banking_worker),
            "LIVE_WORKER_METRICS_PORT": str(ports.live_worker),
            # A sync postponed by a provider fault is tried again within the run.
            "BANKING_SYNC_POSTPONE_SECONDS": "5",
        }

    def probes(self) -> list[Probe]:
        """Every process the system needs ready: each API (the console too) and each worker."""
        ports = self.ports
        apis = [Probe(part, getattr(ports, part)) for part in SERVICES]
        workers = [
            Probe(f"{service}-worker", getattr(ports, f"{service}_worker"), fallback="/metrics")
            for service in SERVICES
        ]
        console = Probe("console", ports.console)
        return [Probe("sandbox", ports.sandbox, "/healthz"), *apis, console, *workers]

    def start(self) -> None:
        """Infrastructure, databases and migrations, then every process; wait until all ready."""
        self.postgres.start()
        self.rabbit.start()
        self._provision()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("wb")
        self._supervisord = subprocess.Popen(
            [str(BIN / "supervisord"), "--configuration", str(SUPERVISOR_CONF)],
            cwd=ROOT,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if self.wait_until_ready(READY_TIMEOUT_SECONDS) is None:
            raise RuntimeError(f"the system was not ready in time; see {self.log}")
        self._register_pluggy_webhooks()

    def stop(self) -> None:
        """Stop every process, then the private servers."""
        if self._supervisord is not None:
            self._supervisord.send_signal(signal.SIGTERM)
            self._supervisord.wait(timeout=60)
        self.rabbit.stop()
        self.postgres.stop()

    def pid(self, program: str) -> int:
        """The pid of a supervised program (0 when it is not running)."""
        answer = self._supervisorctl("pid", program)
        return int(answer) if answer.isdigit() else 0

    def kill(self, program: str) -> None:
        """SIGKILL the program's process; supervisord is left to start it again."""
        pid = self.pid(program)
        if pid:
            os.kill(pid, signal.SIGKILL)

    def wait_until_ready(self, timeout: float) -> float | None:
        """Seconds until every probe answers 200 at once; None when `timeout` passed first."""
        started = time.monotonic()
        with httpx.Client(timeout=PROBE_TIMEOUT_SECONDS) as http:
            while time.monotonic() - started < timeout:
                if all(_answers(http, probe) for probe in self.probes()):
                    return time.monotonic() - started
                time.sleep(0.5)
        return None

    def _provision(self) -> None:
        environment = self.environment()
        _run_tool([str(BIN / "finhub-provision")], environment)
        for service in SERVICES:
            _run_tool([str(BIN / f"finhub-{service}"), "migrate"], environment)

    def _register_pluggy_webhooks(self) -> None:
        # Once per environment, as an operator does: Pluggy learns our URL and secret header.
        _run_tool([str(BIN / "finhub-gateway"), "pluggy-webhooks", "register"], self.environment())

    def _supervisorctl(self, *arguments: str) -> str:
        completed = subprocess.run(
            [str(BIN / "supervisorctl"), "--configuration", str(SUPERVISOR_CONF), *arguments],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip()


@contextmanager
def running_system(ports: Ports = Ports()) -> Iterator[System]:
    """A started system in a fresh temporary directory, stopped and removed afterwards (kept,
    its path printed, when the block fails)."""
    workdir = Path(tempfile.mkdtemp(prefix="finhub-chaos-"))
    workdir.chmod(0o755)  # the postgres and rabbitmq users work inside it
    system = System(workdir, ports)
    failed = True
    try:
        system.start()
        yield system
        failed = False
    finally:
        system.stop()
        if failed:
            print(f"chaos: logs and data kept in {workdir}")  # noqa: T201
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _answers(http: httpx.Client, probe: Probe) -> bool:
    base = f"http://127.0.0.1:{probe.port}"
    try:
        response = http.get(base + probe.path)
        if response.status_code == 404 and probe.fallback:
            response = http.get(base + probe.fallback)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _run_tool(command: list[str], environment: dict[str, str]) -> None:
    completed = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-2:])} failed: {completed.stderr[-2000:]}")


def _example_defaults() -> dict[str, str]:
    """Every variable .env.example lists, with its example value (placeholders dropped)."""
    defaults = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, separator, value = line.partition("=")
        if separator and not name.startswith("#") and "change-me" not in value:
            defaults[name.strip()] = value.strip()
    return defaults
