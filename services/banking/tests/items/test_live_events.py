"""What the live stream is told of connections: each stored status change once, with what to do
next; a new MFA prompt (never an answer) and its expiry; nothing for a redelivered webhook."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from banking.items import service
from banking.items.jobs import wipe_expired_mfa_prompts
from banking.items.models import Item
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import connect_bank, deliver_pluggy_event, outbox, shown, token_for
from ..pluggy_sandbox import MFA_TOKEN, SandboxPluggy

STATUS_CHANGED = "banking.item.status_changed"
MFA_REQUIRED = "banking.item.mfa_required"
MFA_EXPIRED = "banking.item.mfa_expired"


async def wait_for_mfa(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, company_id: uuid.UUID
) -> dict[str, Any]:
    """A connection whose bank asks for an MFA token, through the widget's callback; its JSON."""
    pending = fake_pluggy.add_mfa_item(str(company_id))
    response = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pending["id"]},
        headers=token_for(company_id),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.asyncio
async def test_a_connection_is_shown_once_and_a_redelivered_webhook_shows_nothing(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, company_id)

    for _ in range(2):
        await deliver_pluggy_event(
            worker_runtime, "item/updated", {"itemId": item["pluggy_item_id"]}
        )

    [envelope] = await outbox(database, STATUS_CHANGED)
    assert envelope["company_id"] == str(company_id)
    assert envelope["data"] == {
        "item_id": item["id"],
        "connector_name": item["connector"]["name"],
        "status": "UPDATED",
        "execution_status": item["execution_status"],
        "next_action": "none",
        "message": item["next_action"]["message"],
    }
    assert await shown(database, MFA_REQUIRED) == []


@pytest.mark.asyncio
async def test_an_mfa_prompt_is_shown_once_without_what_only_the_form_needs(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    waiting = await wait_for_mfa(client, fake_pluggy, company_id)

    await deliver_pluggy_event(
        worker_runtime, "item/waiting_user_input", {"itemId": waiting["pluggy_item_id"]}
    )

    [status] = await shown(database, STATUS_CHANGED)
    assert (status["status"], status["next_action"]) == ("WAITING_USER_INPUT", "answer_mfa")
    [required] = await shown(database, MFA_REQUIRED)
    assert required == {
        "item_id": waiting["id"],
        "connector_name": "Pluggy Bank MFA",
        "prompt": {
            "name": "token",
            "label": "Token",
            "type": "number",
            "assistive_text": None,
            "placeholder": "123456",
            "data": None,
            "options": None,
        },
        "expires_at": waiting["mfa"]["expires_at"].replace("Z", "+00:00"),
    }


@pytest.mark.asyncio
async def test_an_answered_prompt_shows_the_status_it_left_and_never_the_answer(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    waiting = await wait_for_mfa(client, fake_pluggy, company_id)

    answered = await client.post(
        f"/api/banking/items/{waiting['id']}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=token_for(company_id),
    )

    assert answered.status_code == 200, answered.text
    [_, after] = await shown(database, STATUS_CHANGED)
    assert (after["status"], after["execution_status"]) == (
        answered.json()["status"],
        answered.json()["execution_status"],
    )
    assert after["next_action"] == answered.json()["next_action"]["action"]
    for envelope in await outbox(database, STATUS_CHANGED):
        assert MFA_TOKEN not in str(envelope)
    assert len(await shown(database, MFA_REQUIRED)) == 1


@pytest.mark.asyncio
async def test_a_prompt_our_window_closed_is_shown_expired_once_with_the_retry_route(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    waiting = await wait_for_mfa(client, fake_pluggy, uuid.uuid4())
    async with database.transaction() as session:
        await session.execute(update(Item).values(mfa_expires_at=utcnow() - timedelta(seconds=1)))

    await wipe_expired_mfa_prompts(worker_runtime)
    await wipe_expired_mfa_prompts(worker_runtime)

    [expired] = await shown(database, MFA_EXPIRED)
    assert expired == {
        "item_id": waiting["id"],
        "connector_name": "Pluggy Bank MFA",
        "retry_path": f"/api/banking/items/{waiting['id']}/reconnect",
        "message": "The bank's code expired; reconnect to get a new one.",
    }
    [_, timed_out] = await shown(database, STATUS_CHANGED)
    assert (timed_out["status"], timed_out["execution_status"]) == (
        "WAITING_USER_INPUT",
        "USER_INPUT_TIMEOUT",
    )
    assert timed_out["next_action"] == "reconnect"


@pytest.mark.asyncio
async def test_a_prompt_pluggy_timed_out_is_shown_expired_once(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    waiting = await wait_for_mfa(client, fake_pluggy, uuid.uuid4())
    fake_pluggy.time_out_mfa(waiting["pluggy_item_id"])
    timeout = {"code": "USER_INPUT_TIMEOUT", "message": "timeout"}

    for _ in range(2):
        await deliver_pluggy_event(
            worker_runtime, "item/error", {"itemId": waiting["pluggy_item_id"], "error": timeout}
        )
    await wipe_expired_mfa_prompts(worker_runtime)

    [expired] = await shown(database, MFA_EXPIRED)
    assert expired["retry_path"] == f"/api/banking/items/{waiting['id']}/reconnect"
    [_, failed] = await shown(database, STATUS_CHANGED)
    assert (failed["status"], failed["next_action"]) == ("LOGIN_ERROR", "reconnect")


@pytest.mark.asyncio
async def test_a_status_found_by_the_overdue_check_is_shown(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, now = uuid.uuid4(), utcnow()
    pending = fake_pluggy.add_item(
        str(company_id), status="UPDATING", execution_status="LOGIN_IN_PROGRESS"
    )
    stuck = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pending["id"]},
        headers=token_for(company_id),
    )
    fake_pluggy.set_item(pending["id"], status="LOGIN_ERROR", executionStatus="INVALID_CREDENTIALS")
    async with database.transaction() as session:
        await session.execute(update(Item).values(updated_at=now - timedelta(minutes=5)))

    await service.reconcile_unheard(database, worker_runtime, now)

    [in_progress, refused] = await shown(database, STATUS_CHANGED)
    assert (in_progress["status"], in_progress["next_action"]) == (
        stuck.json()["status"],
        "wait_for_bank",
    )
    assert (refused["status"], refused["next_action"]) == ("LOGIN_ERROR", "fix_credentials")


@pytest.mark.asyncio
async def test_a_removed_connection_is_shown_removed(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, company_id)

    deleted = await client.delete(f"/api/banking/items/{item['id']}", headers=token_for(company_id))

    assert deleted.status_code == 204
    [_, removed] = await shown(database, STATUS_CHANGED)
    assert (removed["status"], removed["next_action"]) == ("DELETED", "none")
