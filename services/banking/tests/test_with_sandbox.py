"""Journeys against the provider sandbox's Pluggy, mounted in process: its items run through
their real steps as its clock moves, and its webhooks are handed to banking's consumer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from banking.config import get_settings
from banking.connectors import jobs
from banking.main import create_app
from banking.pluggy import PluggyClient
from banking.runtime import Runtime
from finhub_shared.db import Database
from provider_sandbox.pluggy.testing import Pluggy, running_pluggy
from provider_sandbox.pluggy.transactions.catalog import LANDLORDS

from .conftest import (
    FAST_RETRIES,
    PIX_DAY,
    FrozenClock,
    deliver_pluggy_event,
    run_queued_syncs,
    token_for,
)

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
async def sandbox_runtime(database: Database, sandbox: Pluggy) -> AsyncIterator[Runtime]:
    """The worker's runtime, its Pluggy being the sandbox."""
    settings = get_settings()
    pluggy = PluggyClient(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        SecretStr(settings.pluggy_client_secret.get_secret_value()),
        retry=FAST_RETRIES,
        transport=httpx.ASGITransport(app=sandbox.app),
    )
    yield Runtime(settings=settings, database=database, pluggy=pluggy)
    await pluggy.aclose()


@pytest_asyncio.fixture
async def banking_app(database: Database, sandbox: Pluggy) -> AsyncIterator[FastAPI]:
    application = create_app(pluggy_transport=httpx.ASGITransport(app=sandbox.app))
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture
async def on_pix_day(sandbox: Pluggy, banking_app: FastAPI) -> None:
    """The sandbox's clock and banking's stopped at PIX_DAY, for journeys whose days matter
    (banking's connection routes tell the time by the wall clock: they stay on it)."""
    stopped = {"frozen": True, "at": PIX_DAY.isoformat()}
    assert (await sandbox.http.post("/_sandbox/clock", json=stopped)).status_code == 200
    banking_app.state.clock = FrozenClock(PIX_DAY.astimezone(UTC))


@pytest_asyncio.fixture
async def banking(banking_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=banking_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class Webhooks:
    """Hands the sandbox's webhooks to banking's consumer, each once, in delivery order."""

    def __init__(self, sandbox: Pluggy, runtime: Runtime) -> None:
        self._sandbox, self._runtime, self._delivered = sandbox, runtime, 0

    async def deliver(self) -> list[str]:
        payloads = (await self._sandbox.events())[self._delivered :]
        self._delivered += len(payloads)
        for payload in payloads:
            await deliver_pluggy_event(
                self._runtime, payload["event"], payload, event_id=payload["eventId"]
            )
        return [payload["event"] for payload in payloads]


@pytest.fixture
def webhooks(sandbox: Pluggy, sandbox_runtime: Runtime) -> Webhooks:
    return Webhooks(sandbox, sandbox_runtime)


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
    sandbox_runtime: Runtime,
    banking: httpx.AsyncClient,
    sandbox: Pluggy,
    webhooks: Webhooks,
    database: Database,
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
    assert await run_queued_syncs(sandbox_runtime) >= 1

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
@pytest.mark.usefixtures("on_pix_day")
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


async def _authorised_daily_payment(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks, headers: dict[str, str]
) -> dict[str, Any]:
    """A PIX of R$ 10 on each of the three days after PIX_DAY, authorised by the payer."""
    created = await banking.post(
        "/api/banking/pix/payments/",
        json={
            "amount_cents": 1000,
            "recipient": {"pix_key": "aluguel@example.com"},
            "schedule": {"type": "daily", "start_date": "2026-03-11", "occurrences": 3},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["schedules"] == []
    request_id = created.json()["payment_url"].rstrip("/").rsplit("/", 1)[-1]
    assert (await sandbox.http.post(f"/_sandbox/pay/{request_id}")).status_code == 200
    await webhooks.deliver()
    shown = await banking.get(f"/api/banking/pix/payments/{created.json()['id']}", headers=headers)
    body: dict[str, Any] = shown.json()
    return body


@pytest.mark.asyncio
@pytest.mark.usefixtures("on_pix_day")
async def test_a_scheduled_pix_shows_each_date_as_it_is_paid(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks
) -> None:
    headers = token_for(uuid.uuid4())
    payment = await _authorised_daily_payment(banking, sandbox, webhooks, headers)
    assert payment["status"] == "scheduled"
    dates = [row["scheduled_date"] for row in payment["schedules"]]
    assert dates == ["2026-03-11", "2026-03-12", "2026-03-13"]
    assert {row["status"] for row in payment["schedules"]} == {"SCHEDULED"}

    await sandbox.advance(days=2)
    await webhooks.deliver()

    shown = await banking.get(f"/api/banking/pix/payments/{payment['id']}", headers=headers)
    first, _, third = shown.json()["schedules"]
    assert first["status"] == "COMPLETED"
    assert first["end_to_end_id"]
    assert third["status"] == "SCHEDULED"
    [listed] = (await banking.get("/api/banking/pix/payments/", headers=headers)).json()["items"]
    assert listed["schedules"] == shown.json()["schedules"]


@pytest.mark.asyncio
@pytest.mark.usefixtures("on_pix_day")
async def test_one_date_or_the_rest_of_a_scheduled_pix_can_be_cancelled(
    banking: httpx.AsyncClient, sandbox: Pluggy, webhooks: Webhooks
) -> None:
    headers = token_for(uuid.uuid4())
    payment = await _authorised_daily_payment(banking, sandbox, webhooks, headers)
    _, second, _ = payment["schedules"]
    base = f"/api/banking/pix/payments/{payment['id']}"

    one = await banking.post(f"{base}/schedules/{second['id']}/cancel", headers=headers)
    assert one.status_code == 200, one.text
    assert [row["status"] for row in one.json()["schedules"]] == [
        "SCHEDULED",
        "CANCELED",
        "SCHEDULED",
    ]
    again = await banking.post(f"{base}/schedules/{second['id']}/cancel", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "payment_not_cancellable")

    await sandbox.advance(days=1, hours=12)
    await webhooks.deliver()
    rest = await banking.post(f"{base}/cancel", headers=headers)
    assert rest.status_code == 200, rest.text
    assert [row["status"] for row in rest.json()["schedules"]] == [
        "COMPLETED",
        "CANCELED",
        "CANCELED",
    ]
    unknown = await banking.post(f"{base}/schedules/{uuid.uuid4()}/cancel", headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    elsewhere = await banking.post(f"{base}/cancel", headers=token_for(uuid.uuid4()))
    assert elsewhere.status_code == 404


@pytest.mark.asyncio
@pytest.mark.usefixtures("on_pix_day")
async def test_a_payment_that_is_not_scheduled_cannot_be_cancelled(
    banking: httpx.AsyncClient, sandbox: Pluggy
) -> None:
    headers = token_for(uuid.uuid4())
    created = await banking.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 4200, "recipient": {"pix_key": "fornecedor@example.com"}},
        headers=headers,
    )

    refused = await banking.post(
        f"/api/banking/pix/payments/{created.json()['id']}/cancel", headers=headers
    )

    assert (refused.status_code, refused.json()["code"]) == (409, "payment_not_cancellable")


async def refresh_catalogue(sandbox_runtime: Runtime, *, sandbox_connectors: bool) -> None:
    """The worker's catalogue job, with or without Pluggy's sandbox connectors."""
    settings = sandbox_runtime.settings.model_copy(
        update={"pluggy_sandbox_connectors": sandbox_connectors}
    )
    await jobs.refresh_connector_catalogue(replace(sandbox_runtime, settings=settings))


@pytest.mark.asyncio
async def test_the_connector_list_shows_every_bank_pluggy_offers_with_its_health(
    banking: httpx.AsyncClient,
    sandbox: Pluggy,
    sandbox_runtime: Runtime,
    database: Database,
) -> None:
    offline = await sandbox.http.post("/_sandbox/connectors/207/health", json={"status": "OFFLINE"})
    assert offline.status_code == 200, offline.text

    await refresh_catalogue(sandbox_runtime, sandbox_connectors=False)

    headers = token_for(uuid.uuid4())
    listed = (await banking.get("/api/banking/connectors/", headers=headers)).json()
    by_name = {connector["name"]: connector for connector in listed}
    assert {"Itaú", "Bradesco", "Banco do Brasil", "Nubank"} <= by_name.keys()
    assert "Pluggy Bank" not in by_name  # a sandbox connector, not listed unless configured
    assert by_name["Nubank"]["health_status"] == "OFFLINE"
    assert by_name["Itaú"]["health_status"] == "ONLINE"
    named = await banking.get("/api/banking/connectors/", params={"q": "nuBAN"}, headers=headers)
    assert {c["name"] for c in named.json()} == {"Nubank", "Nubank PJ"}
    business = await banking.get(
        "/api/banking/connectors/", params={"type": "BUSINESS_BANK"}, headers=headers
    )
    assert business.json()
    assert {c["type"] for c in business.json()} == {"BUSINESS_BANK"}


@pytest.mark.asyncio
async def test_sandbox_connectors_are_listed_when_configured(
    banking: httpx.AsyncClient, sandbox_runtime: Runtime, database: Database
) -> None:
    await refresh_catalogue(sandbox_runtime, sandbox_connectors=True)

    listed = await banking.get("/api/banking/connectors/", headers=token_for(uuid.uuid4()))
    assert "Pluggy Bank" in {connector["name"] for connector in listed.json()}


@pytest.mark.asyncio
async def test_the_connector_list_refuses_filters_it_does_not_know(
    banking: httpx.AsyncClient,
) -> None:
    headers = token_for(uuid.uuid4())
    for params in ({"type": "SPACESHIP"}, {"color": "red"}, {"q": ""}):
        refused = await banking.get("/api/banking/connectors/", params=params, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_error"), params


@pytest.mark.asyncio
@pytest.mark.usefixtures("on_pix_day")
async def test_the_dashboard_finds_the_rent_and_subscriptions_of_a_sandbox_bank(
    sandbox_runtime: Runtime,
    banking: httpx.AsyncClient,
    sandbox: Pluggy,
    webhooks: Webhooks,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item_id = await sandbox.create_item(clientUserId=str(company_id))
    await sandbox.advance(minutes=1)
    await callback(banking, company_id, item_id)
    await webhooks.deliver()
    await run_queued_syncs(sandbox_runtime)

    summary = await banking.get("/api/banking/summary/", headers=token_for(company_id))

    recurring = {payment["merchant"]: payment for payment in summary.json()["recurring_payments"]}
    landlords = {party.name for party in LANDLORDS}
    assert landlords & recurring.keys(), recurring  # the rent
    assert {"Netflix", "Spotify"} & recurring.keys(), recurring
    assert all(payment["months"] >= 3 for payment in recurring.values())


@pytest.mark.asyncio
async def test_a_consent_revoked_at_the_bank_closes_the_connection_and_deletes_its_data(
    sandbox_runtime: Runtime,
    banking: httpx.AsyncClient,
    sandbox: Pluggy,
    webhooks: Webhooks,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item_id = await sandbox.create_item(clientUserId=str(company_id))
    await sandbox.advance(minutes=1)
    await callback(banking, company_id, item_id)
    await webhooks.deliver()
    await run_queued_syncs(sandbox_runtime)
    assert (await banking.get("/api/banking/transactions/", headers=headers)).json()["results"]

    [consent] = (await sandbox.http.get("/consents", params={"itemId": item_id})).json()["results"]
    revoked = await sandbox.http.post(f"/_sandbox/consents/{consent['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert "item/error" in await webhooks.deliver()

    [item] = (await banking.get("/api/banking/items/", headers=headers)).json()
    assert (item["status"], item["next_action"]["action"]) == ("CONSENT_REVOKED", "reconnect")
    listed = await banking.get("/api/banking/transactions/", headers=headers)
    assert listed.json()["results"] == []
