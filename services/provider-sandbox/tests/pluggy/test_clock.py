"""The Pluggy clock set to a fixed moment, back or ahead, so a test's dates never follow today."""

from __future__ import annotations

from typing import Any

import pytest

from provider_sandbox.pluggy.items.lifecycle import STEP
from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio

# Noon in Brazil (UTC-3) on a fixed day, and the same moment in Pluggy's format.
FIXED = "2026-03-10T12:00:00-03:00"
FIXED_IN_UTC = "2026-03-10T15:00:00.000Z"


async def set_clock(pluggy: Pluggy, **body: Any) -> Any:
    response = await pluggy.http.post("/_sandbox/clock", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_frozen_clock_stands_at_the_moment_given(pluggy: Pluggy) -> None:
    assert await set_clock(pluggy, frozen=True, at=FIXED) == {
        "now": FIXED_IN_UTC,
        "frozen": True,
    }
    assert (await pluggy.http.get("/_sandbox/clock")).json()["now"] == FIXED_IN_UTC

    later = await set_clock(pluggy, frozen=True, at="2031-12-31T23:59:59Z")
    earlier = await set_clock(pluggy, frozen=True, at="2001-01-01T00:00:00Z")

    assert later["now"] == "2031-12-31T23:59:59.000Z"
    assert earlier["now"] == "2001-01-01T00:00:00.000Z"


async def test_without_a_moment_the_clock_keeps_its_time(pluggy: Pluggy) -> None:
    await set_clock(pluggy, frozen=True, at=FIXED)

    assert (await set_clock(pluggy, frozen=True))["now"] == FIXED_IN_UTC


async def test_a_running_clock_runs_on_from_the_moment_given(pluggy: Pluggy) -> None:
    running = await set_clock(pluggy, frozen=False, at=FIXED)

    assert running["frozen"] is False
    assert running["now"].startswith("2026-03-10T15:00")
    stopped = await set_clock(pluggy, frozen=True)
    assert stopped["now"].startswith("2026-03-10T15:00")


async def test_what_was_due_stays_as_far_away_after_the_clock_is_set(pluggy: Pluggy) -> None:
    item_id = await pluggy.create_item()
    await set_clock(pluggy, frozen=True, at=FIXED)

    await pluggy.advance(seconds=STEP.total_seconds() / 2)
    waiting = await pluggy.item(item_id)
    await pluggy.advance(seconds=STEP.total_seconds() / 2)
    stepped = await pluggy.item(item_id)

    assert waiting["executionStatus"] == "CREATED"
    assert stepped["executionStatus"] == "LOGIN_IN_PROGRESS"
    assert stepped["updatedAt"].startswith("2026-03-10T15:")


async def test_a_moment_without_its_offset_is_refused(pluggy: Pluggy) -> None:
    await set_clock(pluggy, frozen=True, at=FIXED)

    response = await pluggy.http.post(
        "/_sandbox/clock", json={"frozen": True, "at": "2026-03-10T12:00:00"}
    )

    assert response.status_code == 400
    assert "at" in response.json()["message"]
    assert (await pluggy.http.get("/_sandbox/clock")).json()["now"] == FIXED_IN_UTC
