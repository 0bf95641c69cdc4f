"""Pluggy failing at the HTTP boundary during a request: a 502 or 503 with a stable code, never a
500, and nothing half-written. Once Pluggy recovers, the same request succeeds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from banking.config import get_settings
from banking.main import create_app
from banking.runtime import Runtime
from finhub_dev.testing import outcome
from finhub_shared.db import Database

from .conftest import (
    FAST_API_RETRIES,
    FrozenClock,
    connect_bank,
    deliver_webhooks,
    row_counts,
    run_queued_syncs,
    token_for,
)
from .pluggy_sandbox import SandboxPluggy

PROVIDER_ERROR = (502, "provider_error")
PROVIDER_UNAVAILABLE = (503, "provider_unavailable")
# Each way Pluggy can fail, and what the caller must see. The order keeps the circuit breaker
# closed (it opens after five failures in a row; any answer below 500 resets the count).
FAILURES: dict[str, tuple[httpx.Response | httpx.TransportError, tuple[int, str]]] = {
    "500": (httpx.Response(500, json={"code": 500, "message": "boom"}), PROVIDER_ERROR),
    "read timeout": (httpx.ReadTimeout("timed out"), PROVIDER_UNAVAILABLE),
    "body of another shape": (httpx.Response(200, json={"unexpected": [1]}), PROVIDER_ERROR),
    "503": (httpx.Response(503, text="maintenance"), PROVIDER_UNAVAILABLE),
    "connection refused": (httpx.ConnectError("refused"), PROVIDER_UNAVAILABLE),
    "body not JSON": (httpx.Response(200, text="<html>oops</html>"), PROVIDER_ERROR),
    "a list of numbers": (httpx.Response(200, json=[1, 2]), PROVIDER_ERROR),
    "400": (
        httpx.Response(400, json={"code": 400, "codeDescription": "BAD", "message": "bad"}),
        PROVIDER_ERROR,
    ),
}
EXPECTED = {name: expected for name, (_, expected) in FAILURES.items()}
# A payment Pluggy refuses with a 400 was refused for what the user entered: theirs to fix.
PAYMENT_EXPECTED = {**EXPECTED, "400": (422, "payment_refused")}
# For calls whose answer is not parsed (only its status counts), the failures of status.
STATUS_FAILURES = {
    name: failure
    for name, failure in FAILURES.items()
    if not isinstance(failure[0], httpx.Response) or not failure[0].is_success
}


@pytest_asyncio.fixture
async def app(database: Database, fake_pluggy: SandboxPluggy) -> AsyncIterator[FastAPI]:
    """Banking's app with its retries settled without real waiting, so each failure takes
    milliseconds."""
    settings = get_settings().model_copy(update=FAST_API_RETRIES)
    application = create_app(pluggy_transport=httpx.MockTransport(fake_pluggy), settings=settings)
    async with LifespanManager(application):
        yield application


async def under_each_failure(
    fake: SandboxPluggy,
    database: Database,
    method: str,
    path_pattern: str,
    send: Callable[[], Awaitable[httpx.Response]],
    failures: dict[str, tuple[httpx.Response | httpx.TransportError, tuple[int, str]]] = FAILURES,
) -> dict[str, tuple[int, str | None]]:
    """The outcome of `send()` while Pluggy fails each way at `path_pattern`; asserts that Pluggy
    was asked, that no answer shows a traceback and that no failure wrote anything."""
    before = await row_counts(database)
    outcomes = {}
    for name, (failure, _) in failures.items():
        asked = fake.calls_to(method, path_pattern)
        fake.fail_after(method, path_pattern, 0, failure)
        response = await send()
        fake.recover()
        outcomes[name] = outcome(response)
        assert fake.calls_to(method, path_pattern) > asked, name
        assert "Traceback" not in response.text, name
        assert await row_counts(database) == before, name
    return outcomes


@pytest.mark.asyncio
async def test_a_connect_token_or_reconnect_while_pluggy_fails(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item = await connect_bank(lenient_client, fake_pluggy, company_id)

    async def new_token() -> httpx.Response:
        return await lenient_client.post(
            "/api/banking/pluggy/connect-token/", json={}, headers=headers
        )

    async def reconnect() -> httpx.Response:
        return await lenient_client.post(
            f"/api/banking/items/{item['id']}/reconnect", headers=headers
        )

    for send in (new_token, reconnect):
        assert (
            await under_each_failure(fake_pluggy, database, "POST", "/connect_token", send)
            == EXPECTED
        )
        assert (await send()).status_code == 201


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "failing"),
    [("GET", r"/items/[^/]+"), ("GET", r"/connectors/\d+"), ("GET", "/accounts")],
    ids=["item", "connector", "accounts"],
)
async def test_a_callback_while_pluggy_fails_stores_nothing_and_can_be_repeated(
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    method: str,
    failing: str,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    pluggy_item = fake_pluggy.add_item(str(company_id))
    fake_pluggy.add_account(pluggy_item["id"])

    async def callback() -> httpx.Response:
        return await lenient_client.post(
            "/api/banking/pluggy/callback/", json={"item_id": pluggy_item["id"]}, headers=headers
        )

    assert await under_each_failure(fake_pluggy, database, method, failing, callback) == EXPECTED
    assert (await lenient_client.get("/api/banking/items/", headers=headers)).json() == []
    assert (await callback()).status_code == 200
    assert len((await lenient_client.get("/api/banking/accounts/", headers=headers)).json()) == 1


@pytest.mark.asyncio
async def test_an_mfa_answer_while_pluggy_fails_leaves_the_prompt_open(
    worker_runtime: Runtime,
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    pending = fake_pluggy.add_mfa_item(str(company_id))
    waiting = await lenient_client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )
    url = f"/api/banking/items/{waiting.json()['id']}/mfa"

    async def answer() -> httpx.Response:
        return await lenient_client.post(
            url, json={"parameters": {"token": "123456"}}, headers=headers
        )

    outcomes = await under_each_failure(fake_pluggy, database, "POST", r"/items/[^/]+/mfa", answer)

    assert outcomes == EXPECTED
    shown = await lenient_client.get(f"/api/banking/items/{waiting.json()['id']}", headers=headers)
    assert shown.json()["next_action"]["action"] == "answer_mfa"
    assert (await answer()).json()["status"] == "LOGIN_IN_PROGRESS"
    await fake_pluggy.advance(minutes=1)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    shown = await lenient_client.get(f"/api/banking/items/{waiting.json()['id']}", headers=headers)
    assert shown.json()["status"] == "UPDATED"


@pytest.mark.asyncio
async def test_deleting_a_connection_while_pluggy_fails_keeps_it_and_its_data(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item = await connect_bank(lenient_client, fake_pluggy, company_id)

    async def delete() -> httpx.Response:
        return await lenient_client.delete(f"/api/banking/items/{item['id']}", headers=headers)

    outcomes = await under_each_failure(
        fake_pluggy, database, "DELETE", r"/items/[^/]+", delete, STATUS_FAILURES
    )

    assert outcomes == {name: EXPECTED[name] for name in STATUS_FAILURES}
    shown = await lenient_client.get(f"/api/banking/items/{item['id']}", headers=headers)
    assert (shown.json()["status"], len(shown.json()["accounts"])) == ("UPDATED", 1)
    assert (await delete()).status_code == 204


@pytest.mark.asyncio
async def test_routes_that_need_pluggys_categories_while_pluggy_fails(
    worker_runtime: Runtime,
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    await connect_bank(lenient_client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 1)
    await run_queued_syncs(worker_runtime)
    [transaction] = (
        await lenient_client.get("/api/banking/transactions/", headers=headers)
    ).json()["results"]

    async def categories() -> httpx.Response:
        return await lenient_client.get("/api/banking/categories/", headers=headers)

    async def rule() -> httpx.Response:
        return await lenient_client.post(
            "/api/banking/rules/",
            json={"field": "description", "value": "pix", "category_id": "05000000"},
            headers=headers,
        )

    async def correction() -> httpx.Response:
        return await lenient_client.patch(
            f"/api/banking/transactions/{transaction['id']}",
            json={"category_id": "19000000"},
            headers=headers,
        )

    for send in (categories, rule, correction):
        assert (
            await under_each_failure(fake_pluggy, database, "GET", "/categories", send) == EXPECTED
        ), send.__name__
    assert (await rule()).status_code == 201


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failing",
    ["/payments/recipients", "/payments/requests"],
    ids=["recipient", "request"],
)
async def test_a_pix_payment_while_pluggy_fails_is_not_stored(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database, failing: str
) -> None:
    headers = token_for(uuid.uuid4())

    async def pay() -> httpx.Response:
        return await lenient_client.post(
            "/api/banking/pix/payments/",
            json={"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}},
            headers=headers,
        )

    assert await under_each_failure(fake_pluggy, database, "POST", failing, pay) == PAYMENT_EXPECTED
    listed = await lenient_client.get("/api/banking/pix/payments/", headers=headers)
    assert listed.json()["items"] == []
    assert (await pay()).status_code == 201


@pytest.mark.asyncio
async def test_automatic_pix_while_pluggy_fails(
    worker_runtime: Runtime,
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    clock: FrozenClock,
) -> None:
    headers = token_for(uuid.uuid4())
    when = (clock.now.date() + timedelta(days=5)).isoformat()

    async def new_mandate() -> httpx.Response:
        return await lenient_client.post(
            "/api/banking/pix/automatic/",
            json={
                "recipient": {"pix_key": "12345678000190"},
                "interval": "MONTHLY",
                "start_date": when,
                "fixed_amount_cents": 9990,
            },
            headers=headers,
        )

    assert (
        await under_each_failure(
            fake_pluggy, database, "POST", "/payments/requests/automatic-pix", new_mandate
        )
        == PAYMENT_EXPECTED
    )
    mandate = (await new_mandate()).json()
    [request_id] = fake_pluggy.payment_requests
    await fake_pluggy.pay(request_id)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    base = f"/api/banking/pix/automatic/{mandate['id']}"

    async def schedule() -> httpx.Response:
        return await lenient_client.post(
            f"{base}/payments/", json={"amount_cents": 9990, "date": when}, headers=headers
        )

    assert (
        await under_each_failure(
            fake_pluggy, database, "POST", r".*/automatic-pix/schedule", schedule
        )
        == PAYMENT_EXPECTED
    )
    cycle = (await schedule()).json()

    async def cancel() -> httpx.Response:
        return await lenient_client.post(f"{base}/payments/{cycle['id']}/cancel", headers=headers)

    async def revoke() -> httpx.Response:
        return await lenient_client.post(f"{base}/revoke", headers=headers)

    cancelled = await under_each_failure(
        fake_pluggy,
        database,
        "POST",
        r".*/automatic-pix/schedules/[^/]+/cancel",
        cancel,
        STATUS_FAILURES,
    )
    revoked = await under_each_failure(
        fake_pluggy, database, "POST", r".*/automatic-pix/cancel", revoke, STATUS_FAILURES
    )
    expected = {name: EXPECTED[name] for name in STATUS_FAILURES}
    assert (cancelled, revoked) == (expected, expected)
    assert (await cancel()).json()["status"] == "CANCELED"
    assert (await revoke()).json()["status"] == "canceled"
