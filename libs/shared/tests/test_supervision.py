"""Supervised tasks: restarted after errors, reported when failing or stuck, never silently dead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from finhub_shared.errors import NotReady
from finhub_shared.supervision import Backoff, Heartbeat, Supervisor

QUICK = Backoff(first_seconds=0.01, longest_seconds=0.05)


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def eventually(condition: Callable[[], object], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.01)


def test_backoff_doubles_up_to_its_ceiling_with_jitter() -> None:
    backoff = Backoff(first_seconds=1, longest_seconds=30)

    pauses = {n: [backoff.pause(n) for _ in range(200)] for n in (1, 2, 3, 6, 20)}

    assert all(0.5 <= pause <= 1 for pause in pauses[1])
    assert all(1 <= pause <= 2 for pause in pauses[2])
    assert all(2 <= pause <= 4 for pause in pauses[3])
    assert all(15 <= pause <= 30 for pause in pauses[6] + pauses[20])
    assert len(set(pauses[20])) > 100  # jittered, not in step


@pytest.mark.asyncio
async def test_a_task_that_raises_is_run_again_and_reported_until_it_makes_progress() -> None:
    runs: list[int] = []
    recovered = asyncio.Event()

    async def flaky(heartbeat: Heartbeat) -> None:
        runs.append(len(runs))
        if len(runs) <= 3:
            raise ConnectionResetError("database went away")
        heartbeat.beat()
        recovered.set()
        await heartbeat.stopping.wait()

    async with Supervisor(backoff=QUICK) as supervisor:
        supervisor.start("relay", flaky, window_seconds=60)
        await eventually(lambda: len(runs) >= 2)
        failing = supervisor.problems()
        await asyncio.wait_for(recovered.wait(), 5)
        after = supervisor.problems()

    assert failing == {"relay": "failing (ConnectionResetError), retrying"}
    assert len(runs) == 4
    assert after == {}


@pytest.mark.asyncio
async def test_a_task_that_ends_ends_the_process_and_readiness_names_it() -> None:
    ended: list[str] = []

    async def finishes(heartbeat: Heartbeat) -> None:
        return None

    async with Supervisor(on_task_ended=ended.append) as supervisor:
        supervisor.start("store-writer-1", finishes, window_seconds=60)
        await eventually(lambda: ended)
        with pytest.raises(NotReady, match="store-writer-1 ended"):
            await supervisor.check_tasks()
        with pytest.raises(NotReady, match="store-writer-1 ended"):
            await supervisor.check_alive()

    assert ended == ["task store-writer-1 ended"]


@pytest.mark.asyncio
async def test_a_task_that_stops_beating_is_reported_then_ends_the_process() -> None:
    clock, ended = ManualClock(), []
    wedged = asyncio.Event()

    async def hangs(heartbeat: Heartbeat) -> None:
        heartbeat.beat()
        wedged.set()
        await asyncio.Event().wait()  # an await that never returns, as a lost connection can

    async with Supervisor(clock=clock, on_task_ended=ended.append) as supervisor:
        supervisor.start("outbox-relay", hangs, window_seconds=30)
        supervisor.watch(every_seconds=0.01)
        await wedged.wait()
        clock.now += 31
        stalled = supervisor.problems()
        still_in_time = list(ended)
        clock.now += 60
        await eventually(lambda: ended)

    assert stalled == {"outbox-relay": "no progress for 31s"}
    assert still_in_time == []
    assert ended == ["task outbox-relay stalled"]


@pytest.mark.asyncio
async def test_a_failing_task_is_not_ready_but_alive() -> None:
    async def always_fails(heartbeat: Heartbeat) -> None:
        raise OSError("connection refused")

    async with Supervisor(backoff=QUICK) as supervisor:
        supervisor.start("dunning", always_fails, window_seconds=60)
        await eventually(lambda: supervisor.problems())
        await supervisor.check_alive()
        with pytest.raises(NotReady, match="dunning failing"):
            await supervisor.check_tasks()


@pytest.mark.asyncio
async def test_the_watchdog_shows_each_task_readiness_on_metrics() -> None:
    async def always_fails(heartbeat: Heartbeat) -> None:
        raise OSError("connection refused")

    async def works(heartbeat: Heartbeat) -> None:
        heartbeat.beat()
        await heartbeat.stopping.wait()

    def ready(task: str) -> float | None:
        return REGISTRY.get_sample_value("worker_task_ready", {"task": task})

    async with Supervisor(backoff=QUICK) as supervisor:
        supervisor.start("reconcile", always_fails, window_seconds=60)
        supervisor.start("relay", works, window_seconds=60)
        supervisor.watch(every_seconds=0.01)
        await eventually(lambda: ready("reconcile") == 0 and ready("relay") == 1)


@pytest.mark.asyncio
async def test_stop_lets_a_task_finish_its_work_in_hand() -> None:
    finished: list[str] = []

    async def relay(heartbeat: Heartbeat) -> None:
        while not heartbeat.stopping.is_set():
            heartbeat.beat()
            await heartbeat.pause(3600)
        finished.append("last batch done")

    ended: list[str] = []
    supervisor = Supervisor(on_task_ended=ended.append)
    supervisor.start("outbox-relay", relay, window_seconds=60)
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await supervisor.stop()

    assert finished == ["last batch done"]
    assert ended == []
