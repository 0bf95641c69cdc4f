"""Viewers only read: every banking route that changes data refuses them with 403
`forbidden_role`. Money out and bank connections need a manager (owner, admin); day-to-day
data (rules, categories, syncs, MFA answers, reconnections) a member too."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from finhub_shared.db import Database

from .conftest import row_counts, token_for

MANAGERS = "managers"
WRITERS = "writers"

# Every route that changes data, and who may call it.
WRITE_ROUTES = [
    ("POST", "/api/banking/pluggy/connect-token", MANAGERS),
    ("POST", "/api/banking/pluggy/callback", MANAGERS),
    ("DELETE", "/api/banking/items/{item_id}", MANAGERS),
    ("POST", "/api/banking/items/{item_id}/mfa", WRITERS),
    ("POST", "/api/banking/items/{item_id}/reconnect", WRITERS),
    ("POST", "/api/banking/accounts/{account_id}/sync", WRITERS),
    ("PATCH", "/api/banking/transactions/{transaction_id}", WRITERS),
    ("POST", "/api/banking/transactions/{transaction_id}/similar/apply", WRITERS),
    ("PUT", "/api/banking/categories/learning", MANAGERS),
    ("POST", "/api/banking/rules", WRITERS),
    ("PATCH", "/api/banking/rules/{rule_id}", WRITERS),
    ("DELETE", "/api/banking/rules/{rule_id}", WRITERS),
    ("POST", "/api/banking/rules/{rule_id}/apply", WRITERS),
    ("POST", "/api/banking/pix/payments", MANAGERS),
    ("POST", "/api/banking/pix/payments/{payment_id}/cancel", MANAGERS),
    ("POST", "/api/banking/pix/payments/{payment_id}/schedules/{schedule_id}/cancel", MANAGERS),
    ("POST", "/api/banking/pix/automatic", MANAGERS),
    ("POST", "/api/banking/pix/automatic/{mandate_id}/payments", MANAGERS),
    ("POST", "/api/banking/pix/automatic/{mandate_id}/payments/{payment_id}/cancel", MANAGERS),
    ("POST", "/api/banking/pix/automatic/{mandate_id}/revoke", MANAGERS),
    ("PUT", "/api/banking/insights/settings", MANAGERS),
]


def filled(path: str) -> str:
    """The path with each id a fresh UUID."""
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def call(client: httpx.AsyncClient, method: str, path: str, role: str) -> httpx.Response:
    headers = token_for(uuid.uuid4(), role=role)
    body: dict[str, str] | None = None if method == "DELETE" else {}
    return await client.request(method, filled(path), json=body, headers=headers)


def test_every_route_that_changes_data_is_listed(app: FastAPI) -> None:
    writing = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/banking/")
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }

    assert writing == {(method, path) for method, path, _ in WRITE_ROUTES}


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "who"), WRITE_ROUTES)
async def test_a_viewer_is_refused_with_forbidden_role(
    client: httpx.AsyncClient, database: Database, method: str, path: str, who: str
) -> None:
    before = await row_counts(database)

    response = await call(client, method, path, "viewer")

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden_role"
    assert await row_counts(database) == before


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path", "who"), [route for route in WRITE_ROUTES if route[2] == MANAGERS]
)
async def test_a_member_is_refused_money_out_and_bank_connections(
    client: httpx.AsyncClient, method: str, path: str, who: str
) -> None:
    response = await call(client, method, path, "member")

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden_role"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path", "who"), [route for route in WRITE_ROUTES if route[2] == WRITERS]
)
async def test_a_member_gets_past_the_role_check_on_day_to_day_data(
    client: httpx.AsyncClient, method: str, path: str, who: str
) -> None:
    response = await call(client, method, path, "member")

    # The ids are unknown or the body empty: past the role check, the route answers that.
    assert response.status_code in (404, 422), response.text
