"""Items: the execution lifecycle, Pluggy's sandbox users, MFA, updates, deletion, auto-sync."""

from __future__ import annotations

import pytest

from provider_sandbox.pluggy.items.lifecycle import STEP
from provider_sandbox.pluggy.testing import HOOK_SECRET, HOOK_URL, Pluggy

pytestmark = pytest.mark.asyncio

STEP_SECONDS = STEP.total_seconds()


async def test_user_ok_goes_through_every_execution_step_to_success(pluggy: Pluggy) -> None:
    item_id = await pluggy.create_item()
    seen = [(await pluggy.item(item_id))["executionStatus"]]
    for _ in range(5):
        await pluggy.advance(seconds=STEP_SECONDS)
        seen.append((await pluggy.item(item_id))["executionStatus"])

    item = await pluggy.item(item_id)
    assert seen == [
        "CREATED",
        "LOGIN_IN_PROGRESS",
        "ACCOUNTS_IN_PROGRESS",
        "CREDITCARDS_IN_PROGRESS",
        "TRANSACTIONS_IN_PROGRESS",
        "SUCCESS",
    ]
    assert item["status"] == "UPDATED"
    assert item["error"] is None
    assert item["lastUpdatedAt"] is not None
    assert item["nextAutoSyncAt"] is not None
    assert await pluggy.event_names() == ["item/login_succeeded", "item/created"]


async def test_item_events_carry_pluggys_fields_and_the_registered_header(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    deliveries = [d for d in pluggy.receiver.deliveries if d.url == HOOK_URL]
    created = deliveries[-1]
    assert created.headers["X-Webhook-Secret"] == HOOK_SECRET
    assert created.headers["Content-Type"] == "application/json"
    assert created.payload["event"] == "item/created"
    assert created.payload["itemId"] == item["id"]
    assert created.payload["id"] == item["id"]
    assert created.payload["triggeredBy"] == "CLIENT"
    assert created.payload["clientId"]
    event_ids = {d.payload["eventId"] for d in deliveries}
    assert len(event_ids) == len(deliveries)


ERROR_USERS = [
    ("user-logged", "LOGIN_ERROR", "ALREADY_LOGGED_IN", "ALREADY_LOGGED_IN"),
    ("user-locked", "LOGIN_ERROR", "ACCOUNT_LOCKED", "ACCOUNT_LOCKED"),
    ("user-error", "OUTDATED", "ERROR", "UNEXPECTED_ERROR"),
    ("user-unavailable", "OUTDATED", "SITE_NOT_AVAILABLE", "SITE_NOT_AVAILABLE"),
    ("user-account-need-actions", "LOGIN_ERROR", "ACCOUNT_NEEDS_ACTION", "ACCOUNT_NEEDS_ACTION"),
    ("user-connection-error", "OUTDATED", "CONNECTION_ERROR", "CONNECTION_ERROR"),
    (
        "user-account-credentials-reset",
        "LOGIN_ERROR",
        "ACCOUNT_CREDENTIALS_RESET",
        "ACCOUNT_CREDENTIALS_RESET",
    ),
    ("user-not-supported", "LOGIN_ERROR", "USER_NOT_SUPPORTED", "USER_NOT_SUPPORTED"),
    ("somebody-else", "LOGIN_ERROR", "INVALID_CREDENTIALS", "INVALID_CREDENTIALS"),
]


@pytest.mark.parametrize(("user", "status", "execution_status", "error_code"), ERROR_USERS)
async def test_each_sandbox_error_user_ends_with_its_error(
    pluggy: Pluggy, user: str, status: str, execution_status: str, error_code: str
) -> None:
    item = await pluggy.connect(user)

    assert item["status"] == status
    assert item["executionStatus"] == execution_status
    assert item["error"]["code"] == error_code
    assert await pluggy.event_names() == ["item/error"]
    (event,) = await pluggy.events()
    assert event["error"] == {"code": error_code, "message": item["error"]["message"]}
    assert await pluggy.accounts(item["id"]) == []


async def test_needs_action_user_with_provider_message_shows_the_banks_message(
    pluggy: Pluggy,
) -> None:
    item = await pluggy.connect("user-account-need-actions-provider-message")

    assert item["error"]["code"] == "ACCOUNT_NEEDS_ACTION"
    assert item["error"]["providerMessage"]


async def test_wrong_password_is_invalid_credentials_and_counts_a_failed_login(
    pluggy: Pluggy,
) -> None:
    item_id = await pluggy.create_item(parameters={"password": "wrong"})
    await pluggy.advance(minutes=1)

    item = await pluggy.item(item_id)
    assert item["executionStatus"] == "INVALID_CREDENTIALS"
    assert item["consecutiveFailedLoginAttempts"] == 1
    assert item["nextAutoSyncAt"] is None


async def test_account_error_user_is_partial_success_with_only_the_card(pluggy: Pluggy) -> None:
    item = await pluggy.connect("user-ok-account-error")

    assert item["status"] == "UPDATED"
    assert item["executionStatus"] == "PARTIAL_SUCCESS"
    assert item["statusDetail"]["accounts"]["isUpdated"] is False
    assert item["statusDetail"]["creditCards"]["isUpdated"] is True
    assert [a["type"] for a in await pluggy.accounts(item["id"])] == ["CREDIT"]


async def test_account_warning_user_succeeds_with_a_product_warning(pluggy: Pluggy) -> None:
    item = await pluggy.connect("user-ok-account-warning")

    assert item["executionStatus"] == "SUCCESS"
    assert item["statusDetail"]["accounts"]["warnings"][0]["code"]


async def test_missing_credential_is_pluggys_validation_error(pluggy: Pluggy) -> None:
    response = await pluggy.http.post(
        "/items", json={"connectorId": 0, "parameters": {"user": "user-ok"}}
    )

    assert response.status_code == 400
    assert response.json()["codeDescription"] == "CONNECTOR_VALIDATION_ERROR"
    assert response.json()["details"] == [
        {"code": "001", "parameter": "password", "message": "password parameter is required"}
    ]


MFA_2_STEP = 5
MFA_1_STEP = 4


async def _waiting_for_token(pluggy: Pluggy) -> str:
    item_id = await pluggy.create_item(connector_id=MFA_2_STEP)
    await pluggy.advance(seconds=2 * STEP_SECONDS)
    return item_id


async def test_mfa_connector_asks_for_a_token_and_continues_with_the_right_one(
    pluggy: Pluggy,
) -> None:
    item_id = await _waiting_for_token(pluggy)
    waiting = await pluggy.item(item_id)
    assert waiting["status"] == "WAITING_USER_INPUT"
    assert waiting["parameter"]["name"] == "token"
    assert waiting["parameter"]["type"] == "number"
    assert waiting["parameter"]["expiresAt"]

    answered = await pluggy.http.post(f"/items/{item_id}/mfa", json={"token": "123456"})
    assert answered.status_code == 200
    assert answered.json()["executionStatus"] == "LOGIN_MFA_IN_PROGRESS"
    await pluggy.advance(minutes=1)

    assert (await pluggy.item(item_id))["executionStatus"] == "SUCCESS"
    assert await pluggy.event_names() == [
        "item/waiting_user_input",
        "item/login_succeeded",
        "item/created",
    ]


async def test_wrong_mfa_token_is_invalid_credentials_mfa(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_token(pluggy)

    answered = await pluggy.http.post(f"/items/{item_id}/mfa", json={"token": "000000"})

    assert answered.json()["status"] == "LOGIN_ERROR"
    assert answered.json()["executionStatus"] == "INVALID_CREDENTIALS_MFA"
    assert await pluggy.event_names() == ["item/waiting_user_input", "item/error"]


async def test_unanswered_mfa_prompt_times_out(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_token(pluggy)

    await pluggy.advance(minutes=4)
    assert (await pluggy.item(item_id))["status"] == "WAITING_USER_INPUT"
    await pluggy.advance(minutes=1)

    item = await pluggy.item(item_id)
    assert item["status"] == "OUTDATED"
    assert item["executionStatus"] == "USER_INPUT_TIMEOUT"
    assert (await pluggy.events())[-1]["error"]["code"] == "USER_INPUT_TIMEOUT"
    late = await pluggy.http.post(f"/items/{item_id}/mfa", json={"token": "123456"})
    assert late.status_code == 400


async def test_one_step_mfa_connector_takes_the_token_with_the_credentials(
    pluggy: Pluggy,
) -> None:
    good = await pluggy.create_item(connector_id=MFA_1_STEP, parameters={"token": "123456"})
    bad = await pluggy.create_item(connector_id=MFA_1_STEP, parameters={"token": "654321"})
    await pluggy.advance(minutes=1)

    assert (await pluggy.item(good))["executionStatus"] == "SUCCESS"
    assert (await pluggy.item(bad))["executionStatus"] == "INVALID_CREDENTIALS_MFA"


async def test_update_syncs_again_and_is_refused_while_running(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    started = await pluggy.http.patch(f"/items/{item['id']}", json={"clientUserId": "u-1"})
    again = await pluggy.http.patch(f"/items/{item['id']}", json={})
    await pluggy.advance(minutes=1)

    assert started.json()["status"] == "UPDATING"
    assert again.status_code == 409
    assert again.json()["codeDescription"] == "ITEM_IS_ALREADY_UPDATING"
    assert (await pluggy.event_names())[-1] == "item/updated"
    assert (await pluggy.events())[-1]["clientUserId"] == "u-1"


async def test_update_with_new_credentials_fixes_a_login_error(pluggy: Pluggy) -> None:
    item = await pluggy.connect("user-locked")

    await pluggy.http.patch(
        f"/items/{item['id']}", json={"parameters": {"user": "user-ok", "password": "password-ok"}}
    )
    await pluggy.advance(minutes=1)

    fixed = await pluggy.item(item["id"])
    assert fixed["executionStatus"] == "SUCCESS"
    assert fixed["consecutiveFailedLoginAttempts"] == 0


async def test_deleted_item_is_gone_with_its_accounts(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = (await pluggy.accounts(item["id"]))[0]["id"]

    deleted = await pluggy.http.delete(f"/items/{item['id']}")

    assert deleted.json() == {"count": 1}
    assert (await pluggy.http.get(f"/items/{item['id']}")).json()["codeDescription"] == (
        "ITEM_NOT_FOUND"
    )
    # Banking deletes an account's data on this exact answer (a bare 404 confirms nothing).
    gone = await pluggy.http.get(f"/accounts/{account_id}")
    assert (gone.status_code, gone.json()["codeDescription"]) == (404, "ACCOUNT_NOT_FOUND")
    assert (await pluggy.event_names())[-1] == "item/deleted"


async def test_auto_sync_a_day_later_brings_new_transactions(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    await pluggy.advance(hours=24, minutes=1)

    names = await pluggy.event_names()
    assert names[2:4] == ["item/login_succeeded", "item/updated"]
    created = [e for e in await pluggy.events() if e["event"] == "transactions/created"]
    assert {e["triggeredBy"] for e in created} == {"SYNC"}
    assert {e["accountId"] for e in created} <= {a["id"] for a in await pluggy.accounts(item["id"])}
    link = created[0]["createdTransactionsLink"]
    new = await pluggy.http.get(link)
    assert new.status_code == 200
    assert new.json()["results"]
    assert all(
        t["createdAt"] >= created[0]["transactionsCreatedAtFrom"] for t in new.json()["results"]
    )


async def test_connect_token_webhook_url_gets_the_items_events_without_custom_headers(
    pluggy: Pluggy,
) -> None:
    widget_hook = "http://widget-hook.test/pluggy"
    token = (
        await pluggy.http.post(
            "/connect_token", json={"options": {"webhookUrl": widget_hook, "clientUserId": "c-9"}}
        )
    ).json()["accessToken"]
    created = await pluggy.http.post(
        "/items",
        json={"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}},
        headers={"X-API-KEY": token},
    )
    await pluggy.advance(minutes=1)

    to_widget = [d for d in pluggy.receiver.deliveries if d.url == widget_hook]
    assert [d.payload["event"] for d in to_widget] == ["item/login_succeeded", "item/created"]
    assert all("X-Webhook-Secret" not in d.headers for d in to_widget)
    assert {d.payload["itemId"] for d in to_widget} == {created.json()["id"]}
    assert {d.payload["clientUserId"] for d in to_widget} == {"c-9"}
    assert {d.payload["triggeredBy"] for d in to_widget} == {"USER"}


async def test_the_shared_control_advance_moves_the_pluggy_clock_too(pluggy: Pluggy) -> None:
    item_id = await _waiting_for_token(pluggy)

    response = await pluggy.http.post("http://127.0.0.1:8010/_sandbox/advance", json={"minutes": 6})
    await pluggy.app.state.webhooks.drain()

    assert response.status_code == 200
    assert response.json()["results"]["pluggy"]["actionsRun"] >= 1
    assert (await pluggy.item(item_id))["executionStatus"] == "USER_INPUT_TIMEOUT"
