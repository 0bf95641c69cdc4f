"""Things that happen later in sandbox time: item execution steps, MFA and payment timeouts.

Actions are kept in time order. `run_until(moment)` runs every action due by then, moving the
clock to each action's own time first, so a jump of a day runs a nightly auto-sync at the right
moment and the timestamps it writes are those of that moment. A background ticker runs what real
time makes due (`make run`); tests freeze the clock and step it with the control API instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from finhub_shared.logging import get_logger
from provider_sandbox.pluggy.clock import SandboxClock

log = get_logger(__name__)

Action = Callable[[], Awaitable[None]]

TICK_SECONDS = 0.25


@dataclass(order=True)
class _Due:
    at: datetime
    sequence: int
    action: Action = field(compare=False)


class Timeline:
    """A time-ordered queue of actions on a SandboxClock."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self._due: list[_Due] = []
        self._sequence = itertools.count()
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None

    def at(self, moment: datetime, action: Action) -> None:
        """Run `action` once the clock reaches `moment`."""
        heapq.heappush(self._due, _Due(moment, next(self._sequence), action))

    def after(self, delay: timedelta, action: Action) -> datetime:
        """Run `action` once `delay` of sandbox time has passed; returns when that is."""
        moment = self.clock.now() + delay
        self.at(moment, action)
        return moment

    async def run_until(self, moment: datetime) -> int:
        """Run every action due by `moment` in time order, then leave the clock at `moment`."""
        ran = 0
        async with self._lock:
            while self._due and self._due[0].at <= moment:
                due = heapq.heappop(self._due)
                self.clock.jump_to(due.at)
                await due.action()
                ran += 1
            self.clock.jump_to(moment)
        return ran

    async def advance(self, delta: timedelta) -> int:
        """Move the clock forward by `delta`, running what falls due on the way."""
        return await self.run_until(self.clock.now() + delta)

    async def move_to(self, moment: datetime) -> None:
        """Put the clock at `moment`, back or ahead, running nothing: what was due in an hour
        is still due an hour after `moment`."""
        async with self._lock:
            gap = self.clock.set_to(moment)
            for due in self._due:
                due.at += gap

    def start(self) -> None:
        """Start running due actions as real time passes."""
        self._ticker = asyncio.create_task(self._tick(), name="pluggy-timeline")

    async def stop(self) -> None:
        """Stop the ticker."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.run_until(self.clock.now())
            except Exception:
                # One failing action must not stop every later one.
                log.exception("pluggy_timeline_action_failed")
