"""The faults, each a `begin` and an `end`: outages last `OUTAGE_SECONDS` between the two, a
SIGKILL is over the moment it is sent (supervisord starts the process again by itself)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from .journeys import Scenario
from .system import System

OUTAGE_SECONDS = 10.0
KILLED_PROGRAMS = (
    "gateway",
    "billing",
    "banking",
    "gateway-worker",
    "billing-worker",
    "banking-worker",
)
POISON_WAIT_SECONDS = 60.0

Step = Callable[[System, Scenario], Awaitable[None]]


async def _nothing(system: System, scenario: Scenario) -> None:
    """A fault with nothing to undo."""


@dataclass(frozen=True)
class Fault:
    """One fault: what starts it, how long it lasts, what ends it."""

    name: str
    begin: Step
    end: Step = _nothing
    seconds: float = OUTAGE_SECONDS


async def _crash_postgres(system: System, scenario: Scenario) -> None:
    await asyncio.to_thread(system.postgres.crash)


async def _start_postgres(system: System, scenario: Scenario) -> None:
    await asyncio.to_thread(system.postgres.start)


async def _stop_rabbitmq(system: System, scenario: Scenario) -> None:
    await asyncio.to_thread(system.rabbit.stop_app)


async def _start_rabbitmq(system: System, scenario: Scenario) -> None:
    await asyncio.to_thread(system.rabbit.start_app)


def _killing(program: str) -> Step:
    async def kill(system: System, scenario: Scenario) -> None:
        await asyncio.to_thread(system.kill, program)

    return kill


# Half the provider calls fail: a quarter with a 500, a quarter held past the callers' patience
# (Pluggy's client and Stripe's give up before the sandbox answers 504).
PROVIDER_FAULTS = (
    {"target": "all", "kind": "server_error", "share": 0.25, "seed": 1},
    {"target": "all", "kind": "timeout", "share": 0.25, "seed": 2, "timeout_seconds": 8},
)


async def _break_providers(system: System, scenario: Scenario) -> None:
    async with httpx.AsyncClient(base_url=scenario.sandbox) as http:
        for rule in PROVIDER_FAULTS:
            (await http.post("/_sandbox/faults", json=rule)).raise_for_status()


async def _mend_providers(system: System, scenario: Scenario) -> None:
    async with httpx.AsyncClient(base_url=scenario.sandbox) as http:
        (await http.delete("/_sandbox/faults")).raise_for_status()


async def _plant_poison(system: System, scenario: Scenario) -> None:
    # In the background: the connection may come only after other faults of the row are over.
    scenario.background.append(asyncio.create_task(_poison_once_connected(scenario)))


async def _poison_once_connected(scenario: Scenario) -> None:
    """A poison transaction in the bank journey's connection, once it has accounts (they come
    after the MFA login)."""
    deadline = time.monotonic() + POISON_WAIT_SECONDS
    async with httpx.AsyncClient(base_url=scenario.sandbox) as http:
        while time.monotonic() < deadline:
            for item_id in scenario.pluggy_items:
                planted = await http.post(
                    f"/pluggy/_sandbox/items/{item_id}/transactions/poison", json={}
                )
                if planted.status_code == 200 and planted.json()["planted"]:
                    return
            await asyncio.sleep(0.5)
    scenario.missed.append("no bank account came to plant the poison transaction in")


def together(name: str, faults: Sequence[Fault]) -> Fault:
    """Every fault at once: all begin, the longest lasts, all end."""

    async def begin(system: System, scenario: Scenario) -> None:
        await asyncio.gather(*(fault.begin(system, scenario) for fault in faults))

    async def end(system: System, scenario: Scenario) -> None:
        await asyncio.gather(*(fault.end(system, scenario) for fault in faults))

    return Fault(name, begin, end, max(fault.seconds for fault in faults))


def every_fault() -> list[Fault]:
    """Each fault alone, then all of them together."""
    alone = [
        Fault("postgresql down 10 s", _crash_postgres, _start_postgres),
        Fault("rabbitmq down 10 s", _stop_rabbitmq, _start_rabbitmq),
        *(kill(program) for program in KILLED_PROGRAMS),
        Fault("providers 500 + timeouts", _break_providers, _mend_providers),
        Fault("poison transaction", _plant_poison, seconds=0),
    ]
    return [*alone, together("all together", alone)]


def kill(program: str) -> Fault:
    """SIGKILL of one supervised program."""
    return Fault(f"kill -9 {program}", _killing(program), seconds=0)
