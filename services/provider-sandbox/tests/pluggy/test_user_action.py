"""WAITING_USER_ACTION: the sandbox user `user-action` must act at the institution to log in."""

from __future__ import annotations

import pytest

from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio


async def _waiting_for_action(pluggy: Pluggy) -> str:
    item_id = await pluggy.create_item("user-action")
    await pluggy.advance(minutes=1)
    return item_id


async def test_the_item_waits_for_the_action_with_instructions_and_a_webhook(
    pluggy: Pluggy,
) -> None:
    item_id = await _waiting_for_action(pluggy)

    item = await pluggy.item(item_id)
    assert (item["status"], item["executionStatus"]) == ("WAITING_USER_ACTION",) * 2
    assert item["userAction"]["instructions"]
    assert item["userAction"]["expiresAt"]
    [event] = await pluggy.events()
    assert (event["event"], event["itemId"]) == ("item/waiting_user_action", item_id)


async def test_finishing_the_action_completes_the_login_and_the_sync(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_action(pluggy)

    finished = await pluggy.http.post(f"/_sandbox/items/{item_id}/user-action")
    await pluggy.advance(minutes=1)

    assert finished.status_code == 200
    assert finished.json()["userAction"] is None
    item = await pluggy.item(item_id)
    assert (item["status"], item["executionStatus"]) == ("UPDATED", "SUCCESS")
    assert await pluggy.event_names() == [
        "item/waiting_user_action",
        "item/login_succeeded",
        "item/created",
    ]


async def test_an_update_asks_again_and_ends_with_item_updated(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_action(pluggy)
    await pluggy.http.post(f"/_sandbox/items/{item_id}/user-action")
    await pluggy.advance(minutes=1)

    await pluggy.http.patch(f"/items/{item_id}", json={})
    await pluggy.advance(minutes=1)
    waiting = await pluggy.item(item_id)
    await pluggy.http.post(f"/_sandbox/items/{item_id}/user-action")
    await pluggy.advance(minutes=1)

    assert waiting["status"] == "WAITING_USER_ACTION"
    assert (await pluggy.item(item_id))["status"] == "UPDATED"
    assert (await pluggy.event_names())[-3:] == [
        "item/waiting_user_action",
        "item/login_succeeded",
        "item/updated",
    ]


async def test_auto_sync_does_not_ask_for_the_action_again(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_action(pluggy)
    await pluggy.http.post(f"/_sandbox/items/{item_id}/user-action")
    await pluggy.advance(minutes=1)

    await pluggy.advance(hours=24, minutes=1)

    assert (await pluggy.item(item_id))["status"] == "UPDATED"
    names = await pluggy.event_names()
    assert names.count("item/waiting_user_action") == 1
    assert "item/updated" in names


async def test_an_action_not_taken_in_time_ends_with_authorization_pending(
    pluggy: Pluggy,
) -> None:
    item_id = await _waiting_for_action(pluggy)

    await pluggy.advance(minutes=10)

    item = await pluggy.item(item_id)
    assert (item["status"], item["executionStatus"]) == (
        "LOGIN_ERROR",
        "USER_AUTHORIZATION_PENDING",
    )
    assert item["userAction"] is None
    assert (await pluggy.events())[-1]["error"]["code"] == "USER_AUTHORIZATION_PENDING"
    late = await pluggy.http.post(f"/_sandbox/items/{item_id}/user-action")
    assert late.status_code == 409


async def test_an_item_waiting_for_the_action_cannot_be_updated(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_action(pluggy)

    update = await pluggy.http.patch(f"/items/{item_id}", json={})

    assert update.status_code == 409
