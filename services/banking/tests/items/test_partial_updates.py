"""A partial update (Pluggy's PARTIAL_SUCCESS, or a product read with warnings): the connection
says which products and accounts were left out, in plain words, and what to do."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from banking.items import service
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import deliver_pluggy_event, deliver_webhooks, shown, token_for
from ..pluggy_sandbox import SandboxPluggy

NOT_SENT = (
    "Your bank did not send your bank accounts at the last update; what you see of them is "
    "from the update before. The next update tries again by itself; if this keeps happening, "
    "reconnect the bank."
)
MISSING_PERMISSION = "Conta Poupança 12345-6 could not be read: missing permissions"


async def item_of(client: httpx.AsyncClient, company_id: uuid.UUID) -> dict[str, Any]:
    [item] = (await client.get("/api/banking/items/", headers=token_for(company_id))).json()
    assert isinstance(item, dict)
    return item


@pytest.mark.asyncio
async def test_a_bank_that_sends_some_products_only_says_which_and_that_it_is_tried_again(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    # The bank did not answer last time; when it does, Pluggy's sandbox user reads the card
    # but not the bank accounts.
    pluggy_item = fake_pluggy.add_item(
        str(company_id),
        status="OUTDATED",
        execution_status="SITE_NOT_AVAILABLE",
        error_code="SITE_NOT_AVAILABLE",
    )
    fake_pluggy.add_consent(pluggy_item["id"])
    fake_pluggy.add_account(pluggy_item["id"], name="Conta 0")
    fake_pluggy.state.items[pluggy_item["id"]].user = "user-ok-account-error"
    connected = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pluggy_item["id"]},
        headers=token_for(company_id),
    )
    assert connected.json()["product_issues"] == []

    # The worker's retry of the OUTDATED item, once due.
    await service.retry_outdated(database, worker_runtime, utcnow() + timedelta(days=1))
    await fake_pluggy.advance(minutes=1)
    assert "item/updated" in await deliver_webhooks(worker_runtime, fake_pluggy)

    item = await item_of(client, company_id)
    assert (item["status"], item["execution_status"]) == ("UPDATED", "PARTIAL_SUCCESS")
    assert item["next_action"] == {"action": "wait_for_bank", "message": NOT_SENT}
    checking = next(a for a in item["accounts"] if a["type"] == "BANK")
    assert checking["name"] == "Conta 0"
    assert item["product_issues"] == [
        {
            "product": "accounts",
            "name": "bank accounts",
            "updated": False,
            "last_updated_at": None,
            "accounts": [{"id": checking["id"], "name": "Conta 0"}],
            "warnings": [],
        }
    ]
    told = await shown(database, "banking.item.status_changed")
    assert (told[-1]["status"], told[-1]["next_action"], told[-1]["message"]) == (
        "UPDATED",
        "wait_for_bank",
        NOT_SENT,
    )


@pytest.mark.asyncio
async def test_warnings_name_what_the_bank_said_and_ask_to_reconnect_until_all_is_read(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    pluggy_item = fake_pluggy.add_item(str(company_id))
    fake_pluggy.add_account(pluggy_item["id"], name="Conta Corrente")
    fake_pluggy.add_account(
        pluggy_item["id"], name="Mastercard", account_type="CREDIT", subtype="CREDIT_CARD"
    )
    read_at = "2026-12-06T10:00:00.000Z"
    fake_pluggy.set_item(
        pluggy_item["id"],
        executionStatus="PARTIAL_SUCCESS",
        statusDetail={
            "accounts": {
                "isUpdated": True,
                "lastUpdatedAt": read_at,
                "warnings": [
                    {
                        "code": "001",
                        "message": MISSING_PERMISSION,
                        "providerMessage": "Permissão ausente para a conta poupança",
                    }
                ],
            },
            "creditCards": {"isUpdated": False, "lastUpdatedAt": read_at, "warnings": []},
            "transactions": {"isUpdated": True, "lastUpdatedAt": read_at, "warnings": []},
            "identity": None,
        },
    )

    answer = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pluggy_item["id"]},
        headers=token_for(company_id),
    )

    assert answer.status_code == 200, answer.text
    item = answer.json()
    assert item["next_action"] == {
        "action": "reconnect",
        "message": "Your bank did not send your credit cards at the last update; what you see "
        f"of them is from the update before. The bank says: {MISSING_PERMISSION}. Reconnect "
        "the bank and allow access to your bank accounts.",
    }
    names = {a["type"]: {"id": a["id"], "name": a["name"]} for a in item["accounts"]}
    assert [
        (issue["name"], issue["updated"], issue["accounts"]) for issue in item["product_issues"]
    ] == [
        ("bank accounts", True, [names["BANK"]]),
        ("credit cards", False, [names["CREDIT"]]),
    ]
    assert item["product_issues"][0]["warnings"] == [
        {
            "code": "001",
            "message": MISSING_PERMISSION,
            "provider_message": "Permissão ausente para a conta poupança",
        }
    ]
    assert item["product_issues"][1]["last_updated_at"] == "2026-12-06T10:00:00Z"

    # The next update reads everything: nothing is left to do, and the live stream is told.
    fake_pluggy.set_item(pluggy_item["id"], executionStatus="SUCCESS", statusDetail=None)
    await deliver_pluggy_event(worker_runtime, "item/updated", {"itemId": pluggy_item["id"]})

    item = await item_of(client, company_id)
    assert item["product_issues"] == []
    assert item["next_action"] == {"action": "none", "message": "Nothing to do."}
    told = await shown(database, "banking.item.status_changed")
    assert (told[-1]["next_action"], told[-1]["message"]) == ("none", "Nothing to do.")


@pytest.mark.asyncio
async def test_a_warning_alone_changes_what_the_live_stream_is_told(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    worker_runtime: Runtime,
) -> None:
    company_id = uuid.uuid4()
    pluggy_item = fake_pluggy.add_item(str(company_id))
    fake_pluggy.add_account(pluggy_item["id"], name="Conta Corrente")
    await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pluggy_item["id"]},
        headers=token_for(company_id),
    )
    before = len(await shown(database, "banking.item.status_changed"))
    warned = {"isUpdated": True, "warnings": [{"code": "001", "message": MISSING_PERMISSION}]}
    fake_pluggy.set_item(pluggy_item["id"], statusDetail={"transactions": warned})

    await deliver_pluggy_event(worker_runtime, "item/updated", {"itemId": pluggy_item["id"]})

    told = (await shown(database, "banking.item.status_changed"))[before:]
    assert [(t["status"], t["execution_status"], t["next_action"]) for t in told] == [
        ("UPDATED", "SUCCESS", "reconnect")
    ]
    assert MISSING_PERMISSION in told[0]["message"]
