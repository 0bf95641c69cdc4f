"""Journeys against the provider sandbox's Pluggy, mounted in process: its items run through
their real steps as its clock moves, and its webhooks are handed to banking's consumer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from banking import runtime
from banking.config import get_settings
from banking.main import create_app
from banking.pluggy import PluggyClient
from finhub_shared.db import Database
from provider_sandbox.pluggy.testing import Pluggy, running_pluggy

from .conftest import FAST_RETRIES, deliver_pluggy_event, run_queued_syncs, token_for

MFA_2_STEP = 5


@pytest_asyncio.fixture(scope="session")
async def running_sandbox() -> AsyncIterator[Pluggy]:
    async with running_pluggy() as sandbox:
        yield sandbox


@pytest_asyncio.fixture
async def sandbox(running_sandbox: Pluggy) -> Pluggy:
    await running_sandbox.reset()
    return running_sandbox


@pytest_asyncio.fixture
async def sandbox_runtime(sandbox: Pluggy) -> AsyncIterator[runtime.Runtime]:
    """The worker's runtime, its Pluggy being the sandbox."""
    settings = get_settings()
    pluggy = PluggyClient(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        SecretStr(settings.pluggy_client_secret.get_secret_value()),
        retry=FAST_RETRIES,
        transport=httpx.ASGITransport(app=sandbox.app),
    )
    with runtime.installed(runtime.Runtime(settings=settings, pluggy=pluggy)) as installed:
        yield installed
    await pluggy.aclose()


@pytest_asyncio.fixture
async def banking_app(
    database: Database, sandbox: Pluggy, sandbox_runtime: runtime.Runtime
) -> AsyncIterator[FastAPI]:
    application = create_app(pluggy_transport=httpx.ASGITransport(app=sandbox.app))
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture
async def banking(banking_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=banking_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class Webhooks:
    """Hands the sandbox's webhooks to banking's consumer, each once, in delivery order."""

    def __init__(self, sandbox: Pluggy, database: Database) -> None:
        self._sandbox, self._database, self._delivered = sandbox, database, 0

    async def deliver(self) -> list[str]:
        payloads = (await self._sandbox.events())[self._delivered :]
        self._delivered += len(payloads)
        for payload in payloads:
            await deliver_pluggy_event(
                self._database, payload["event"], payload, event_id=payload["eventId"]
            )
        return [payload["event"] for payload in payloads]


@pytest.fixture
def webhooks(sandbox: Pluggy, database: Database) -> Webhooks:
    return Webhooks(sandbox, database)


async def callback(
    banking: httpx.AsyncClient, company_id: uuid.UUID, item_id: str
) -> dict[str, Any]:
    response = await banking.post(
        "/api/banking/pluggy/callback/", json={"item_id": item_id}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.asyncio
async def test_connect_answer_mfa_and_sync_against_the_sandbox(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks, database: Database
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    token = await banking.post("/api/banking/pluggy/connect-token/", json={}, headers=headers)
    assert token.status_code == 201
    item_id = await sandbox.create_item(connector_id=MFA_2_STEP, clientUserId=str(company_id))
    await sandbox.advance(seconds=30)

    waiting = await callback(banking, company_id, item_id)
    assert (waiting["status"], waiting["next_action"]["action"]) == (
        "WAITING_USER_INPUT",
        "answer_mfa",
    )
    assert waiting["mfa"]["name"] == "token"

    answered = await banking.post(
        f"/api/banking/items/{waiting['id']}/mfa",
        json={"parameters": {"token": "123456"}},
        headers=headers,
    )
    assert answered.json()["status"] == "LOGIN_IN_PROGRESS"
    assert answered.json()["next_action"]["action"] == "wait_for_bank"
    await sandbox.advance(minutes=1)
    delivered = await webhooks.deliver()
    assert "item/created" in delivered or "item/updated" in delivered
    assert await run_queued_syncs(database) >= 1

    [item] = (await banking.get("/api/banking/items/", headers=headers)).json()
    assert (item["status"], item["next_action"]["action"]) == ("UPDATED", "none")
    assert item["accounts"]
    expected = 0
    for account in await sandbox.accounts(item_id):
        results, _ = await sandbox.all_transactions(f"?accountId={account['id']}")
        expected += len(results)
    listed = await banking.get("/api/banking/transactions/", params={"limit": 200}, headers=headers)
    synced = listed.json()["results"]
    while listed.json()["next_cursor"]:
        listed = await banking.get(
            "/api/banking/transactions/",
            params={"limit": 200, "cursor": listed.json()["next_cursor"]},
            headers=headers,
        )
        synced += listed.json()["results"]
    assert expected > 0
    assert len(synced) == expected


@pytest.mark.asyncio
async def test_an_unanswered_mfa_prompt_times_out_and_offers_a_reconnect(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks
) -> None:
    company_id = uuid.uuid4()
    item_id = await sandbox.create_item(connector_id=MFA_2_STEP, clientUserId=str(company_id))
    await sandbox.advance(seconds=30)
    waiting = await callback(banking, company_id, item_id)

    await sandbox.advance(minutes=5)
    await webhooks.deliver()

    shown = await banking.get(f"/api/banking/items/{waiting['id']}", headers=token_for(company_id))
    assert shown.json()["execution_status"] == "USER_INPUT_TIMEOUT"
    assert shown.json()["next_action"]["action"] == "reconnect"
    assert shown.json()["mfa"] is None
    reconnect = await banking.post(
        f"/api/banking/items/{waiting['id']}/reconnect", headers=token_for(company_id)
    )
    assert reconnect.status_code == 201


@pytest.mark.asyncio
async def test_a_wrong_password_against_the_sandbox_asks_to_fix_the_credentials(
    banking: httpx.AsyncClient, sandbox: Pluggy
) -> None:
    company_id = uuid.uuid4()
    item_id = await sandbox.create_item(
        user="user-ok", clientUserId=str(company_id), parameters={"password": "wrong"}
    )
    await sandbox.advance(minutes=1)

    item = await callback(banking, company_id, item_id)

    assert item["status"] == "LOGIN_ERROR"
    assert item["next_action"]["action"] == "fix_credentials"


@pytest.mark.asyncio
async def test_a_pix_payment_to_completion_against_the_sandbox(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    created = await banking.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 4200, "recipient": {"pix_key": "fornecedor@example.com"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["payment_url"].rstrip("/").rsplit("/", 1)[-1]
    pay = await sandbox.http.post(f"/_sandbox/pay/{request_id}")
    assert pay.status_code == 200, pay.text

    await sandbox.advance(minutes=5)
    await webhooks.deliver()

    shown = await banking.get(f"/api/banking/pix/payments/{created.json()['id']}", headers=headers)
    assert shown.json()["status"] == "completed"
