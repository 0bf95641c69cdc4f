"""Tasks that live as long as their process: restarted after an error, watched by heartbeats.

Every such loop (outbox relay, store writers, periodic jobs...) runs under a `Supervisor`. An
exception is logged, the task waits a capped, jittered, growing pause and runs again; a task
that ends anyway, or stops beating for much longer than its window, ends the process with a
non-zero status so that its own supervisor (supervisord, Kubernetes) starts a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from finhub_shared import metrics
from finhub_shared.errors import NotReady

log = structlog.get_logger(__name__)

Clock = Callable[[], float]

# A stalled task is given this many windows before the process gives up on it.
STALLED_WINDOWS_BEFORE_EXIT = 3
# How long a process asked to end may take to shut down gracefully before it is cut short.
GRACEFUL_EXIT_SECONDS = 20.0
EXIT_STATUS_TASK_ENDED = 70

_exit_status = 0


@dataclass(frozen=True)
class Backoff:
    """The pause before the n-th consecutive restart: doubling from `first`, at most `longest`,
    with jitter so that many processes failing together do not retry in step."""

    first_seconds: float = 0.5
    longest_seconds: float = 30.0

    def pause(self, consecutive_failures: int) -> float:
        """Seconds to wait before running again after this many failures in a row."""
        ceiling = min(self.longest_seconds, self.first_seconds * 2 ** (consecutive_failures - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class Heartbeat:
    """A task's sign of life: the task calls `beat()` whenever it makes progress or finds
    nothing to do, at least once per `window_seconds`."""

    name: str
    window_seconds: float
    clock: Clock = time.monotonic
    # Set when the process stops: a task returns at its next pause, its work in hand done.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    last_beat: float = field(init=False)
    failing: str | None = None
    ended: bool = False

    def __post_init__(self) -> None:
        self.last_beat = self.clock()

    def beat(self) -> None:
        """Record progress; a task failing before is healthy again."""
        self.last_beat = self.clock()
        self.failing = None

    async def pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if the process begins to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    def silent_seconds(self) -> float:
        """Seconds since the last beat."""
        return self.clock() - self.last_beat

    def stalled(self) -> bool:
        """Neither progress nor a failure for longer than the window: stuck somewhere."""
        return self.failing is None and self.silent_seconds() > self.window_seconds

    def problem(self) -> str | None:
        """What is wrong with the task, in words fit for /readyz; None when it is fine."""
        if self.ended:
            return "ended"
        if self.failing is not None:
            return f"failing ({self.failing}), retrying"
        if self.stalled():
            return f"no progress for {self.silent_seconds():.0f}s"
        return None


TaskBody = Callable[[Heartbeat], Awaitable[None]]


def end_process(reason: str) -> None:
    """Shut the process down gracefully with a non-zero status (the serve and worker commands
    read it), and cut it short if the graceful shutdown hangs."""
    global _exit_status
    if _exit_status:
        return  # already ending
    _exit_status = EXIT_STATUS_TASK_ENDED
    log.critical("process_ending", reason=reason, exit_status=_exit_status)
    watchdog = threading.Timer(GRACEFUL_EXIT_SECONDS, os._exit, args=(_exit_status,))
    watchdog.daemon = True
    watchdog.start()
    signal.raise_signal(signal.SIGTERM)


def exit_status() -> int:
    """0, or the status the process must exit with because a task of it ended."""
    return _exit_status


class Supervisor:
    """Runs a process's long-lived tasks, restarts them after errors and reports their health."""

    def __init__(
        self,
        *,
        backoff: Backoff = Backoff(),
        clock: Clock = time.monotonic,
        on_task_ended: Callable[[str], None] = end_process,
    ) -> None:
        self._backoff = backoff
        self._clock = clock
        self._on_task_ended = on_task_ended
        self._heartbeats: dict[str, Heartbeat] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def start(self, name: str, body: TaskBody, *, window_seconds: float) -> Heartbeat:
        """Run `body(heartbeat)` for the life of the process, again after each error."""
        if name in self._tasks:
            raise ValueError(f"a task named {name} is already supervised")
        heartbeat = Heartbeat(name, window_seconds, self._clock, self._stopping)
        task = asyncio.create_task(self._keep_running(body, heartbeat), name=name)
        task.add_done_callback(lambda _: self._task_done(heartbeat))
        self._heartbeats[name] = heartbeat
        self._tasks[name] = task
        return heartbeat

    def watch(self, *, every_seconds: float = 5.0) -> None:
        """Also end the process when a task stays stalled for several of its windows."""
        self.start("watchdog", lambda beat: self._watch(beat, every_seconds), window_seconds=60)

    def problems(self) -> dict[str, str]:
        """The tasks that are not fine, with what is wrong with each."""
        found = {name: beat.problem() for name, beat in self._heartbeats.items()}
        return {name: problem for name, problem in found.items() if problem is not None}

    def alive_problems(self) -> dict[str, str]:
        """The tasks that ended or are stuck (a task retrying after errors is still alive)."""
        return {
            name: problem
            for name, problem in self.problems().items()
            if self._heartbeats[name].ended or self._heartbeats[name].stalled()
        }

    async def check_tasks(self) -> None:
        """A readiness check: raise NotReady naming every task that is not fine."""
        if problems := self.problems():
            raise NotReady("; ".join(f"{name} {problem}" for name, problem in problems.items()))

    async def check_alive(self) -> None:
        """A liveness check: raise NotReady naming every task that ended or is stuck."""
        if problems := self.alive_problems():
            raise NotReady("; ".join(f"{name} {problem}" for name, problem in problems.items()))

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        """Ask every task to stop at its next pause; cancel those still running after the grace."""
        self._stopping.set()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep_running(self, body: TaskBody, heartbeat: Heartbeat) -> None:
        consecutive_failures = 0
        while True:
            try:
                await body(heartbeat)
                return
            except Exception as error:
                # Failures count as consecutive until the task beats again (made progress).
                consecutive_failures = consecutive_failures + 1 if heartbeat.failing else 1
                heartbeat.failing = type(error).__name__
                pause = self._backoff.pause(consecutive_failures)
                log.error(
                    "task_failed",
                    task=heartbeat.name,
                    consecutive_failures=consecutive_failures,
                    retry_in_seconds=round(pause, 2),
                    exc_info=error,
                )
                await heartbeat.pause(pause)
                if heartbeat.stopping.is_set():
                    return

    def _task_done(self, heartbeat: Heartbeat) -> None:
        heartbeat.ended = True
        if self._stopping.is_set():
            return
        log.critical("task_ended", task=heartbeat.name)
        self._on_task_ended(f"task {heartbeat.name} ended")

    async def _watch(self, heartbeat: Heartbeat, every_seconds: float) -> None:
        reported: set[str] = set()
        while not heartbeat.stopping.is_set():
            heartbeat.beat()
            for beat in self._heartbeats.values():
                # What /readyz says, kept where Prometheus scrapes it: alerts see a task not ready.
                metrics.TASK_READY.labels(task=beat.name).set(0 if beat.problem() else 1)
                if beat.name not in reported and _stuck_for_good(beat):
                    reported.add(beat.name)
                    log.critical(
                        "task_stalled", task=beat.name, silent_seconds=beat.silent_seconds()
                    )
                    self._on_task_ended(f"task {beat.name} stalled")
            await heartbeat.pause(every_seconds)


def _stuck_for_good(heartbeat: Heartbeat) -> bool:
    limit = heartbeat.window_seconds * STALLED_WINDOWS_BEFORE_EXIT
    return heartbeat.stalled() and heartbeat.silent_seconds() > limit
