"""Pluggy's rate limits: off by default; switched on, 429 past an endpoint's budget per minute."""

from __future__ import annotations

import pytest

from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio


async def _limits_on(pluggy: Pluggy) -> None:
    response = await pluggy.http.post("/_sandbox/rate-limits", json={"enabled": True})
    assert response.json()["enabled"] is True


async def _statuses_of_updates(pluggy: Pluggy, item_id: str, count: int) -> list[int]:
    return [
        (await pluggy.http.patch(f"/items/{item_id}", json={})).status_code for _ in range(count)
    ]


async def test_limits_are_off_by_default(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    statuses = await _statuses_of_updates(pluggy, item["id"], 25)

    assert 429 not in statuses


async def test_the_21st_item_update_in_a_minute_gets_pluggys_429(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    await _limits_on(pluggy)

    statuses = await _statuses_of_updates(pluggy, item["id"], 21)
    refused = await pluggy.http.patch(f"/items/{item['id']}", json={})

    assert 429 not in statuses[:20]
    assert statuses[20] == 429
    assert refused.status_code == 429
    assert refused.json() == {"code": 429, "message": "Too many requests, please try again later."}
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["RateLimit-Limit"] == "20"
    assert 0 < int(refused.headers["RateLimit-Reset"]) <= 60
    assert (await pluggy.http.get(f"/items/{item['id']}")).status_code == 200


async def test_the_budget_comes_back_after_a_minute_of_sandbox_time(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    await _limits_on(pluggy)
    await _statuses_of_updates(pluggy, item["id"], 20)

    await pluggy.advance(seconds=60)

    assert (await pluggy.http.patch(f"/items/{item['id']}", json={})).status_code != 429


async def test_each_api_key_has_its_own_budget(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    await _limits_on(pluggy)
    await _statuses_of_updates(pluggy, item["id"], 20)

    await pluggy.authenticate()

    assert (await pluggy.http.patch(f"/items/{item['id']}", json={})).status_code != 429


async def test_account_reads_allow_360_a_minute(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    await _limits_on(pluggy)

    statuses = [(await pluggy.http.get(f"/accounts/{account_id}")).status_code for _ in range(360)]

    assert set(statuses) == {200}
    assert (await pluggy.http.get(f"/accounts/{account_id}")).status_code == 429
    assert (await pluggy.http.get(f"/items/{item['id']}")).status_code == 200


async def test_reset_turns_the_limits_back_off(pluggy: Pluggy) -> None:
    await _limits_on(pluggy)

    await pluggy.reset()
    item = await pluggy.connect()

    assert 429 not in await _statuses_of_updates(pluggy, item["id"], 21)
