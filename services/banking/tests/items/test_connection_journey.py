"""The connection journey: connect token, the widget's callback, MFA, reconnect, wrong password."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text, update

from banking.items.jobs import wipe_expired_mfa_prompts
from banking.items.models import Item
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import connect_bank, deliver_pluggy_event, deliver_webhooks, outbox, token_for
from ..pluggy_sandbox import MFA_TOKEN, SandboxPluggy


@pytest.mark.asyncio
async def test_a_connect_token_names_the_company_and_no_webhook_url(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()

    response = await client.post(
        "/api/banking/pluggy/connect-token/", json={}, headers=token_for(company_id)
    )

    assert response.status_code == 201
    body = response.json()
    assert body["connect_token"] in fake_pluggy.state.connect_tokens
    assert body["expires_at"]
    [sent] = [b for m, p, b in fake_pluggy.received if p == "/connect_token"]
    assert sent == {"options": {"clientUserId": str(company_id)}}


@pytest.mark.asyncio
async def test_the_callback_stores_the_item_connector_and_accounts_and_queues_syncs(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()

    item = await connect_bank(client, fake_pluggy, company_id, accounts=2)

    assert item["status"] == "UPDATED"
    assert item["next_action"]["action"] == "none"
    assert item["connector"]["name"] == "Pluggy Bank"
    assert item["connector"]["health_status"] == "ONLINE"
    assert sorted(a["name"] for a in item["accounts"]) == ["Conta 0", "Conta 1"]
    assert item["accounts"][0]["balance_cents"] == 100050
    listed = await client.get("/api/banking/items/", headers=token_for(company_id))
    assert [i["id"] for i in listed.json()] == [item["id"]]
    accounts = await client.get("/api/banking/accounts/", headers=token_for(company_id))
    assert len(accounts.json()) == 2
    queued = await outbox(database, "banking.sync.requested")
    assert len(queued) == 2


@pytest.mark.asyncio
async def test_a_callback_for_an_item_pluggy_does_not_know_is_404(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": str(uuid.uuid4())},
        headers=token_for(uuid.uuid4()),
    )

    assert response.status_code == 404
    assert response.json()["code"] == "item_not_found"


@pytest.mark.asyncio
async def test_a_callback_for_another_companys_item_is_404(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    theirs = fake_pluggy.add_item(str(uuid.uuid4()))

    response = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": theirs["id"]},
        headers=token_for(uuid.uuid4()),
    )

    assert response.status_code == 404
    assert response.json()["code"] == "item_not_found"


@pytest.mark.asyncio
async def test_mfa_is_asked_then_answered_and_the_bank_then_connects(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    headers = token_for(company_id)

    waiting = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )

    assert waiting.json()["status"] == "WAITING_USER_INPUT"
    assert waiting.json()["next_action"]["action"] == "answer_mfa"
    assert waiting.json()["mfa"]["name"] == "token"
    assert waiting.json()["accounts"] == []

    answered = await client.post(
        f"/api/banking/items/{waiting.json()['id']}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=headers,
    )

    assert answered.status_code == 200
    assert answered.json()["status"] == "LOGIN_IN_PROGRESS"
    assert answered.json()["mfa"] is None
    assert answered.json()["next_action"]["action"] == "wait_for_bank"
    [(_, _, sent)] = [r for r in fake_pluggy.received if r[1].endswith("/mfa")]
    assert sent == {"token": MFA_TOKEN}
    assert await stored_mfa_prompts(database) == [None]

    await fake_pluggy.advance(minutes=1)
    assert "item/updated" in await deliver_webhooks(worker_runtime, fake_pluggy)

    connected = await client.get(f"/api/banking/items/{waiting.json()['id']}", headers=headers)
    assert connected.json()["status"] == "UPDATED"
    assert connected.json()["next_action"]["action"] == "none"
    at_the_bank = [a["name"] for a in fake_pluggy.accounts.values() if a["itemId"] == pending["id"]]
    assert at_the_bank
    assert sorted(a["name"] for a in connected.json()["accounts"]) == sorted(at_the_bank)


@pytest.mark.asyncio
async def test_mfa_data_is_unreadable_in_the_database(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    pending["parameter"]["data"] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"

    await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pending["id"]},
        headers=token_for(company_id),
    )

    [stored] = await stored_mfa_prompts(database)
    assert stored is not None
    for readable in (b"token", b"Token", b"123456", b"iVBORw0KGgo", b"inv\xc3\xa1lido"):
        assert readable not in stored
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(stored)
    opened = Fernet(os.environ["MFA_ENCRYPTION_KEY"]).decrypt(stored)
    assert b"iVBORw0KGgo" in opened


@pytest.mark.asyncio
async def test_a_wrong_mfa_token_asks_to_fix_the_credentials(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    headers = token_for(company_id)
    waiting = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )

    answered = await client.post(
        f"/api/banking/items/{waiting.json()['id']}/mfa",
        json={"parameters": {"token": "000000"}},
        headers=headers,
    )

    assert answered.json()["status"] == "LOGIN_ERROR"
    assert answered.json()["next_action"]["action"] == "fix_credentials"


@pytest.mark.asyncio
async def test_mfa_timed_out_then_reconnected_in_one_step(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    headers = token_for(company_id)
    waiting = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )
    item_id = waiting.json()["id"]

    fake_pluggy.time_out_mfa(pending["id"])
    await deliver_pluggy_event(
        worker_runtime,
        "item/error",
        {"itemId": pending["id"], "error": {"code": "USER_INPUT_TIMEOUT", "message": "timeout"}},
    )

    timed_out = await client.get(f"/api/banking/items/{item_id}", headers=headers)
    assert timed_out.json()["execution_status"] == "USER_INPUT_TIMEOUT"
    assert timed_out.json()["next_action"]["action"] == "reconnect"
    assert timed_out.json()["mfa"] is None
    assert await stored_mfa_prompts(database) == [None]
    late_answer = await client.post(
        f"/api/banking/items/{item_id}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=headers,
    )
    assert late_answer.status_code == 409
    assert late_answer.json()["code"] == "mfa_not_pending"

    reconnect = await client.post(f"/api/banking/items/{item_id}/reconnect", headers=headers)

    assert reconnect.status_code == 201
    assert reconnect.json()["connect_token"]
    last_token_request = [b for m, p, b in fake_pluggy.received if p == "/connect_token"][-1]
    assert last_token_request == {
        "itemId": pending["id"],
        "options": {"clientUserId": str(company_id)},
    }


@pytest.mark.asyncio
async def test_an_answer_after_our_mfa_window_is_refused_and_the_prompt_wiped(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    pending = fake_pluggy.add_mfa_item(str(company_id))
    headers = token_for(company_id)
    waiting = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )
    item_id = waiting.json()["id"]
    async with database.transaction() as session:
        await session.execute(update(Item).values(mfa_expires_at=utcnow() - timedelta(seconds=1)))

    late = await client.post(
        f"/api/banking/items/{item_id}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=headers,
    )

    assert late.status_code == 409
    assert late.json()["code"] == "mfa_expired"
    shown = await client.get(f"/api/banking/items/{item_id}", headers=headers)
    assert shown.json()["next_action"]["action"] == "reconnect"
    assert shown.json()["mfa"] is None
    assert not any(p.endswith("/mfa") for _, p in fake_pluggy.calls)

    await wipe_expired_mfa_prompts(worker_runtime)
    assert await stored_mfa_prompts(database) == [None]


@pytest.mark.asyncio
async def test_a_wrong_password_asks_to_fix_the_credentials_and_refuses_syncs(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()
    refused = fake_pluggy.add_item(
        str(company_id),
        status="LOGIN_ERROR",
        execution_status="INVALID_CREDENTIALS",
        error_code="INVALID_CREDENTIALS",
    )
    headers = token_for(company_id)

    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": refused["id"]}, headers=headers
    )

    assert response.json()["status"] == "LOGIN_ERROR"
    assert response.json()["error_code"] == "INVALID_CREDENTIALS"
    assert response.json()["next_action"]["action"] == "fix_credentials"
    update_token = await client.post(
        "/api/banking/pluggy/connect-token/",
        json={"item_id": response.json()["id"]},
        headers=headers,
    )
    assert update_token.status_code == 201


@pytest.mark.asyncio
async def test_deleting_an_item_deletes_it_at_pluggy_and_its_data_here(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item = await connect_bank(client, fake_pluggy, company_id, accounts=2)

    deleted = await client.delete(f"/api/banking/items/{item['id']}", headers=headers)

    assert deleted.status_code == 204
    assert item["pluggy_item_id"] not in fake_pluggy.items
    assert (await client.get("/api/banking/items/", headers=headers)).json() == []
    assert (await client.get("/api/banking/accounts/", headers=headers)).json() == []
    shown = await client.get(f"/api/banking/items/{item['id']}", headers=headers)
    assert shown.json()["status"] == "DELETED"


async def stored_mfa_prompts(database: Database) -> list[bytes | None]:
    async with database.sessions() as session:
        rows = await session.execute(text("SELECT mfa_prompt_encrypted FROM items"))
        return [row[0] for row in rows]
