"""Another company's ids answer 404 everywhere, and its data never shows in a listing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from finhub_shared.db import Database

from .conftest import connect_bank, outbox, token_for
from .pluggy_sandbox import SandboxPluggy


@pytest.mark.asyncio
async def test_another_companys_connection_is_invisible_and_untouchable(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    owner = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, owner)
    account_id = item["accounts"][0]["id"]
    [queued] = await outbox(database, "banking.sync.requested")
    stranger = token_for(uuid.uuid4())

    attempts = [
        await client.get(f"/api/banking/items/{item['id']}", headers=stranger),
        await client.delete(f"/api/banking/items/{item['id']}", headers=stranger),
        await client.post(
            f"/api/banking/items/{item['id']}/mfa",
            json={"parameters": {"token": "123456"}},
            headers=stranger,
        ),
        await client.post(f"/api/banking/items/{item['id']}/reconnect", headers=stranger),
        await client.post(
            "/api/banking/pluggy/connect-token/", json={"item_id": item["id"]}, headers=stranger
        ),
        await client.post(f"/api/banking/accounts/{account_id}/sync/", headers=stranger),
        await client.get(f"/api/banking/sync-jobs/{queued['data']['job_id']}", headers=stranger),
    ]

    assert [a.status_code for a in attempts] == [404] * len(attempts)
    assert (await client.get("/api/banking/items/", headers=stranger)).json() == []
    assert (await client.get("/api/banking/accounts/", headers=stranger)).json() == []
    assert item["pluggy_item_id"] in fake_pluggy.items
    shown = await client.get(f"/api/banking/items/{item['id']}", headers=token_for(owner))
    assert shown.json()["status"] == "UPDATED"


@pytest.mark.asyncio
async def test_every_route_needs_an_access_token(client: httpx.AsyncClient) -> None:
    some_id = uuid.uuid4()
    routes = [
        ("POST", "/api/banking/pluggy/connect-token/"),
        ("POST", "/api/banking/pluggy/callback/"),
        ("GET", "/api/banking/items/"),
        ("GET", f"/api/banking/items/{some_id}"),
        ("GET", "/api/banking/connectors/"),
        ("GET", "/api/banking/accounts/"),
        ("POST", f"/api/banking/accounts/{some_id}/sync/"),
        ("GET", "/api/banking/transactions/"),
        ("GET", "/api/banking/categories/"),
        ("GET", "/api/banking/rules/"),
        ("GET", "/api/banking/summary/"),
        ("GET", "/api/banking/usage/"),
        ("GET", "/api/banking/pix/payments/"),
        ("GET", "/api/banking/pix/automatic/"),
    ]

    for method, path in routes:
        response = await client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "token_missing"
