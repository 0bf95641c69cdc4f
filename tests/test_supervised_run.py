"""`make run`'s supervisord keeps the system up when one process dies.

supervisord runs the real config (deploy/supervisor/supervisord.conf) with two of its programs,
an API (the provider sandbox) and a worker (the gateway's), on free ports and a run directory of
the test's own, so a developer's `make run` beside it is never touched. Each is killed with
SIGKILL in turn: supervisord starts it again, its /healthz answers, the other keeps its pid.
"""

from __future__ import annotations

import asyncio
import configparser
import os
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from supervisor.xmlrpc import SupervisorTransport

from finhub_dev.testing import migrate_fresh

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "supervisor" / "supervisord.conf"
DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class Program:
    """A program of the config, and where its /healthz answers."""

    name: str
    health_url: str


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick, never one of `make run`'s)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def config_with_only(names: set[str], directory: Path) -> Path:
    """The real config, less the [program:...] sections not in `names`."""
    config = configparser.RawConfigParser()
    config.read(CONFIG)
    for section in config.sections():
        if section.startswith("program:") and section.removeprefix("program:") not in names:
            config.remove_section(section)
    path = directory / "supervisord.conf"
    with path.open("w") as file:
        config.write(file)
    return path


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait until `check()` holds; fail naming `what` after a generous deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"not within {DEADLINE_SECONDS:.0f} s: {what}"
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Supervisord:
    """A running supervisord: its process and its control socket."""

    process: subprocess.Popen[bytes]
    socket: str

    def running_pid(self, name: str) -> int | None:
        """The pid of `name` when supervisord says it is RUNNING, else None."""
        # A proxy per question: one whose request failed (supervisord starting) is not reusable.
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        try:
            info = rpc.supervisor.getProcessInfo(name)
        except (OSError, xmlrpc.client.Fault):
            return None
        return int(info["pid"]) if info["statename"] == "RUNNING" else None


@contextmanager
def supervisord(config: Path, environment: dict[str, str], output: Path) -> Iterator[Supervisord]:
    """supervisord running `config` in the foreground, as `make run` runs it; stopped with
    SIGINT (Ctrl-C) at the end, whatever happened."""
    # Appending: the output listener opens this same file again through /dev/fd/1.
    with output.open("ab") as log:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "supervisord"), "--configuration", str(config)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Supervisord(process, f"{environment['FINHUB_RUN_DIR']}/supervisor.sock")
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C supervisord; if it is not gone in time, kill it and every program it started."""
    if process.poll() is not None:
        return
    # Each program leads a process group of its own (supervisord's doing).
    programs = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in programs:
        with suppress(ProcessLookupError):
            os.killpg(int(pid), signal.SIGKILL)


def test_a_killed_process_is_restarted_and_the_others_keep_running() -> None:
    asyncio.run(
        migrate_fresh(
            ROOT / "services" / "webhook-gateway",
            os.environ["GATEWAY_DATABASE_URL"],
            os.environ["POSTGRES_ADMIN_URL"],
        )
    )
    sandbox_port, worker_port = free_port(), free_port()
    programs = [
        Program("sandbox", f"http://127.0.0.1:{sandbox_port}/healthz"),
        Program("gateway-worker", f"http://127.0.0.1:{worker_port}/healthz"),
    ]
    with tempfile.TemporaryDirectory(prefix="finhub-run-") as run_dir:
        directory = Path(run_dir)
        environment = {
            **os.environ,
            "FINHUB_RUN_DIR": run_dir,
            "SANDBOX_PORT": str(sandbox_port),
            "GATEWAY_WORKER_METRICS_PORT": str(worker_port),
        }
        config = config_with_only({program.name for program in programs}, directory)
        output = directory / "output.log"
        with supervisord(config, environment, output) as supervisor:
            pids = {program.name: started(supervisor, program) for program in programs}
            for killed in programs:
                os.kill(pids[killed.name], signal.SIGKILL)

                pids[killed.name] = started(supervisor, killed, after=pids[killed.name])
                assert {p.name: supervisor.running_pid(p.name) for p in programs} == pids

            supervisor.process.send_signal(signal.SIGINT)
            assert supervisor.process.wait(timeout=DEADLINE_SECONDS) == 0
        log = output.read_text()

    assert not [pid for pid in pids.values() if exists(pid)], "a program outlived supervisord"
    for program in programs:
        assert f"exited: {program.name} (terminated by SIGKILL; not expected)" in log
        assert f"\n{program.name:<14} | " in log, f"no line of {program.name}'s own output"


def started(supervisor: Supervisord, program: Program, after: int | None = None) -> int:
    """Wait for `program` to run (under a new pid, `after` its old one) and answer /healthz."""
    eventually(
        lambda: supervisor.running_pid(program.name) not in (None, after), f"{program.name} runs"
    )
    eventually(lambda: answers(program.health_url), f"{program.name} answers /healthz")
    pid = supervisor.running_pid(program.name)
    assert pid is not None
    return pid
