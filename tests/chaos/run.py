"""One row: start the journeys, inject the fault mid-way, end it, wait for recovery, measure.

`python -m tests.chaos` (`make chaos`) runs every fault, one at a time and then all together,
prints the table, and exits non-zero when a row misses the target.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from . import report
from .faults import Fault, every_fault
from .journeys import JOURNEYS, Client, Scenario, walk
from .measures import Measures
from .report import Row
from .system import System, running_system

LEAD_SECONDS = 3.0  # journeys under way before the fault begins
JOURNEY_SECONDS = 90.0  # a journey's deadline, counted from the fault's end
READY_WAIT_SECONDS = 60.0
DRAIN_WAIT_SECONDS = 60.0
DRAIN_POLL_SECONDS = 1.0

Journey = Callable[[Client], Awaitable[bool]]


async def run_row(system: System, fault: Fault, journeys: Mapping[str, Journey] = JOURNEYS) -> Row:
    """Inject `fault` while `journeys` run; measure what it cost."""
    measures = Measures(system)
    started_at = datetime.now(UTC)
    duplicated_before = await measures.duplicates()
    dead_letters_before = await measures.dead_letters()
    scenario = _scenario(system)
    walks = [asyncio.create_task(walk(scenario, journey)) for journey in journeys.values()]
    ended = await _inject(system, fault, scenario)
    scenario.deadline = ended + JOURNEY_SECONDS
    first_drained = asyncio.create_task(
        _drained_at(measures, started_at, ended + DRAIN_WAIT_SECONDS)
    )
    ready = await asyncio.to_thread(system.wait_until_ready, READY_WAIT_SECONDS)
    ready_seconds = None if ready is None else time.monotonic() - ended
    await asyncio.gather(*scenario.background)
    scenario.settled.set()
    done = await asyncio.gather(*walks)
    # Drained once after the fault, and again after what the journeys did since.
    drained = await first_drained
    drained_at_last = await _drained_at(measures, started_at, time.monotonic() + DRAIN_WAIT_SECONDS)
    drain_seconds = None if drained_at_last is None else (drained or drained_at_last) - ended
    lost = await measures.lost_since(started_at)
    return Row(
        fault=fault.name,
        journeys_done=sum(done),
        journeys=len(walks),
        acknowledged=await measures.acknowledged_since(started_at),
        lost=len(lost),
        duplicated=await measures.duplicates() - duplicated_before,
        dead_letters=await measures.dead_letters() - dead_letters_before,
        ready_seconds=ready_seconds,
        drain_seconds=drain_seconds,
        notes=[*scenario.missed, *scenario.notes, *lost[:5]],
        fault_applied=not scenario.missed,
    )


async def _inject(system: System, fault: Fault, scenario: Scenario) -> float:
    """Begin the fault once the journeys are under way, end it; when it ended (monotonic)."""
    await asyncio.sleep(LEAD_SECONDS)
    await fault.begin(system, scenario)
    await asyncio.sleep(fault.seconds)
    await fault.end(system, scenario)
    return time.monotonic()


async def _drained_at(measures: Measures, since: datetime, deadline: float) -> float | None:
    """When nothing was waiting anywhere any more and every event had reached each of its
    consumers (monotonic); None if not by `deadline`. Queue depths alone can read zero while a
    killed consumer's messages are on their way back to the queue."""
    while time.monotonic() < deadline:
        if await measures.backlog(since) == 0 and not await measures.lost_since(since):
            return time.monotonic()
        await asyncio.sleep(DRAIN_POLL_SECONDS)
    return None


def _scenario(system: System) -> Scenario:
    return Scenario(
        billing=system.url("billing"),
        banking=system.url("banking"),
        sandbox=system.url("sandbox"),
        stripe_api_key=system.secrets.stripe_api_key,
        pluggy_client_id=system.secrets.pluggy_client_id,
        pluggy_client_secret=system.secrets.pluggy_client_secret,
        deadline=float("inf"),
    )


async def run_all() -> list[Row]:
    with running_system() as system:
        print(report.header(), flush=True)  # noqa: T201
        rows = []
        for fault in every_fault():
            row = await run_row(system, fault)
            print(report.line(row), flush=True)  # noqa: T201
            rows.append(row)
        print(f"\nevery process's output: {system.log}")  # noqa: T201
    return rows


def main() -> None:
    started = time.monotonic()
    rows = asyncio.run(run_all())
    failures = report.details(rows)
    if failures:
        print(f"\n{failures}")  # noqa: T201
    failed = sum(not row.passed for row in rows)
    elapsed = time.monotonic() - started
    print(f"\n{len(rows) - failed}/{len(rows)} rows met the target in {elapsed:.0f} s")  # noqa: T201
    sys.exit(1 if failed else 0)
