"""Pluggy's webhook retries: three attempts in a row, three an hour later, three two hours after
that (on the sandbox clock), none after a 401."""

from __future__ import annotations

from typing import Any

import pytest

from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio

FAILING_URL = "http://failing.test/webhooks/pluggy"
DELIVERIES_URL = "http://127.0.0.1:8010/_sandbox/webhooks/deliveries"


async def _failing_endpoint(pluggy: Pluggy, statuses: list[int]) -> None:
    """A webhook for item/created whose endpoint answers `statuses` in turn, then 200."""
    hook = {"url": FAILING_URL, "event": "item/created"}
    assert (await pluggy.http.post("/webhooks", json=hook)).status_code == 201
    pluggy.receiver.answers[FAILING_URL] = statuses


def _attempts(pluggy: Pluggy) -> int:
    return sum(1 for delivery in pluggy.receiver.deliveries if delivery.url == FAILING_URL)


async def _delivery(pluggy: Pluggy) -> dict[str, Any]:
    log = (await pluggy.http.get(DELIVERIES_URL)).json()
    record: dict[str, Any] = next(d for d in reversed(log) if d["url"] == FAILING_URL)
    return record


async def test_later_rounds_wait_for_the_clock_an_hour_then_two_hours(pluggy: Pluggy) -> None:
    await _failing_endpoint(pluggy, [500] * 8)

    await pluggy.connect()
    first_round = _attempts(pluggy)
    waiting = await _delivery(pluggy)
    await pluggy.advance(minutes=59)
    before_an_hour = _attempts(pluggy)
    await pluggy.advance(minutes=1)
    second_round = _attempts(pluggy)
    await pluggy.advance(hours=1, minutes=59)
    before_two_hours = _attempts(pluggy)
    await pluggy.advance(minutes=1)

    assert (first_round, before_an_hour, second_round, before_two_hours) == (3, 3, 6, 6)
    assert (waiting["state"], waiting["attempts"]) == ("pending", 3)
    assert waiting["next_attempt_at"] is not None
    assert _attempts(pluggy) == 9
    delivered = await _delivery(pluggy)
    assert (delivered["state"], delivered["attempts"], delivered["status_code"]) == (
        "delivered",
        9,
        200,
    )


async def test_nine_failed_attempts_give_the_delivery_up(pluggy: Pluggy) -> None:
    await _failing_endpoint(pluggy, [503] * 9)

    await pluggy.connect()
    await pluggy.advance(hours=3)
    await pluggy.advance(hours=5)

    assert _attempts(pluggy) == 9
    given_up = await _delivery(pluggy)
    assert (given_up["state"], given_up["status_code"]) == ("failed", 503)


async def test_a_401_is_never_retried(pluggy: Pluggy) -> None:
    await _failing_endpoint(pluggy, [401])

    await pluggy.connect()
    await pluggy.advance(hours=3)

    assert _attempts(pluggy) == 1
    refused = await _delivery(pluggy)
    assert (refused["state"], refused["status_code"]) == ("failed", 401)


async def test_other_destinations_are_not_held_up_by_a_failing_one(pluggy: Pluggy) -> None:
    await _failing_endpoint(pluggy, [500] * 9)

    await pluggy.connect()

    assert (await pluggy.event_names())[-1] == "item/created"
