"""The chaos suite's own PostgreSQL cluster and RabbitMQ node: throwaway, private, free to crash.

The machine's shared PostgreSQL (5432) and RabbitMQ (5672) serve other runs; the suite never
touches them. Its cluster and node live in a temporary directory, on ports of their own, and run
as the `postgres` and `rabbitmq` users when the suite runs as root (neither server runs as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

POSTGRES_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
RABBITMQ_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
AMQP_USER = "finhub"
AMQP_VHOST = "finhub"
STARTUP_ATTEMPTS = 30


def _as_user(user: str) -> list[str]:
    """The prefix that runs a command as `user` when we are root (else as ourselves)."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


def _owned_directory(path: Path, user: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        account = pwd.getpwnam(user)
        shutil.chown(path, account.pw_uid, account.pw_gid)
    return path


def _run(command: list[str], *, cwd: Path) -> str:
    # `cwd` must be readable by the user the command runs as: a checkout in a private temporary
    # directory is not, and Erlang then prints file errors among rabbitmqctl's answers.
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-3:])} failed: {completed.stderr[-2000:]}")
    return completed.stdout


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster in `root`, trust authentication, listening on 127.0.0.1:`port`."""

    root: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        """The URL of a service database whose role, password and name are all `name`."""
        return f"postgresql://{name}:{name}@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        """Create the cluster on first use, then start it and wait until it answers."""
        if not POSTGRES_BINARIES:
            raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql")
        data = self.root / "data"
        if not data.exists():
            _owned_directory(self.root, "postgres")
            self._as_postgres("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-N")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300 -c shared_buffers=64MB"
        )
        log = str(self.root / "postgres.log")
        self._as_postgres("pg_ctl", "-D", str(data), "-l", log, "-o", options, "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would (`-m immediate`: no checkpoint, clients cut off)."""
        self._as_postgres("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")

    def stop(self) -> None:
        """Stop cleanly (the end of the run)."""
        self._as_postgres("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "stop")

    def _as_postgres(self, binary: str, *arguments: str) -> None:
        command = [*_as_user("postgres"), str(POSTGRES_BINARIES[-1] / binary), *arguments]
        _run(command, cwd=self.root)


@dataclass
class PrivateRabbit:
    """A second RabbitMQ node on this machine (its own name, ports, data, no plugins)."""

    root: Path
    port: int
    distribution_port: int
    node: str = "finhub-chaos@localhost"

    @property
    def amqp_url(self) -> str:
        return f"amqp://{AMQP_USER}:{AMQP_USER}@127.0.0.1:{self.port}/{AMQP_VHOST}"

    def start(self) -> None:
        """Start the node, wait for it to boot, and create Finance Hub's user and vhost."""
        self._write_configuration()
        self._script("rabbitmq-server", "-detached")
        self._await_startup()
        self._ctl("add_user", AMQP_USER, AMQP_USER, tolerate_failure=True)
        self._ctl("add_vhost", AMQP_VHOST, tolerate_failure=True)
        self._ctl("set_permissions", "-p", AMQP_VHOST, AMQP_USER, ".*", ".*", ".*")

    def stop_app(self) -> None:
        """Stop the broker (connections drop, the Erlang node stays up)."""
        self._ctl("stop_app")

    def start_app(self) -> None:
        """Start the broker again after `stop_app`."""
        self._ctl("start_app")
        self._await_startup()

    def stop(self) -> None:
        """Stop the whole node (the end of the run)."""
        self._ctl("stop")

    def queue_depths(self) -> dict[str, int]:
        """Messages in each queue of the vhost, delivered but not yet acknowledged included."""
        listed = self._ctl(
            "list_queues", "-p", AMQP_VHOST, "name", "messages", "--no-table-headers"
        )
        return {name: int(count) for name, count in (line.split() for line in listed.splitlines())}

    def _await_startup(self) -> None:
        # A node just started has not registered its name yet: await_startup fails until it has.
        for _ in range(STARTUP_ATTEMPTS - 1):
            try:
                self._ctl("await_startup", "--timeout", "120")
                return
            except RuntimeError:
                time.sleep(1)
        self._ctl("await_startup", "--timeout", "120")

    def _write_configuration(self) -> None:
        _owned_directory(self.root, "rabbitmq")
        files = {
            "rabbitmq.conf": f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n",
            "enabled_plugins": "[].\n",
            "rabbitmq-env.conf": "",
        }
        for name, text in files.items():
            (self.root / name).write_text(text)
            if os.geteuid() == 0:
                shutil.chown(self.root / name, "rabbitmq", "rabbitmq")

    def _environment(self) -> dict[str, str]:
        # HOME holds the Erlang cookie the node and its CLI share; the machine's node keeps its own.
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.distribution_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _script(self, script: str, *arguments: str) -> str:
        # `env` after the switch of user: runuser would reset HOME otherwise.
        variables = [f"{name}={value}" for name, value in self._environment().items()]
        return _run(
            [*_as_user("rabbitmq"), "env", *variables, str(RABBITMQ_SCRIPTS / script), *arguments],
            cwd=self.root,
        )

    def _ctl(self, *arguments: str, tolerate_failure: bool = False) -> str:
        try:
            return self._script("rabbitmqctl", "-q", "-n", self.node, *arguments)
        except RuntimeError:
            if not tolerate_failure:
                raise
            return ""
