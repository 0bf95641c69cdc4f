"""The chaos suite's fast subset for `make test`: the whole system under supervisord on its own
PostgreSQL and RabbitMQ, a paid subscription walked while billing's worker is killed with
SIGKILL. Nothing acknowledged may be lost or handled twice. `make chaos` runs every fault."""

from __future__ import annotations

import shutil

import pytest

from .faults import kill
from .infra import POSTGRES_BINARIES
from .journeys import paid_subscription
from .run import run_row
from .system import Ports, running_system

pytestmark = pytest.mark.skipif(
    not POSTGRES_BINARIES or shutil.which("rabbitmq-server") is None,
    reason="needs PostgreSQL and RabbitMQ installed to run private instances",
)


@pytest.mark.asyncio
async def test_a_subscription_survives_a_killed_billing_worker() -> None:
    with running_system(Ports.free()) as system:
        row = await run_row(system, kill("billing-worker"), {"subscription": paid_subscription})

    # Done, nothing lost, duplicated or dead-lettered, ready within 30 s, the backlog drained.
    assert row.passed, row
    assert row.acknowledged > 0
