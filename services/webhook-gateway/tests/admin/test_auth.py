"""Only `Authorization: Bearer <ADMIN_TOKEN>` opens the admin API, and the token is never echoed."""

from __future__ import annotations

import os

import httpx
import pytest

from finhub_shared.db import Database

from ..stored import outbox_envelopes, stored_events
from .test_admin_events import admin, deliver

ROUTES = [
    ("GET", "/admin/events"),
    ("GET", "/admin/events/5f1d7c1e-0000-4000-8000-000000000000"),
    ("POST", "/admin/events/5f1d7c1e-0000-4000-8000-000000000000/replay"),
    ("POST", "/admin/events/replay"),
    ("GET", "/admin/dead-letters"),
    ("GET", "/admin/dead-letters/billing.stripe"),
    ("POST", "/admin/dead-letters/billing.stripe/replay"),
    ("POST", "/admin/dead-letters/billing.stripe/drop"),
]


def wrong_credentials() -> dict[str, dict[str, str]]:
    token = os.environ["ADMIN_TOKEN"]
    return {
        "none": {},
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "empty token": {"Authorization": "Bearer "},
        "wrong": {"Authorization": "Bearer wrong"},
        "a prefix": {"Authorization": f"Bearer {token[:-1]}"},
        "one character more": {"Authorization": f"Bearer {token}x"},
        "twice": {"Authorization": f"Bearer {token}{token}"},
        "other case": {"Authorization": f"Bearer {token.swapcase()}"},
        "not ASCII": {"Authorization": "Bearer tōken"},
        "no scheme": {"Authorization": token},
        "basic": {"Authorization": f"Basic {token}"},
        "token scheme": {"Authorization": f"Token {token}"},
        "other header": {"X-Admin-Token": token},
        "bearer in another header": {"X-Authorization": f"Bearer {token}"},
        "as a cookie": {"Cookie": f"admin_token={token}"},
    }


@pytest.mark.asyncio
async def test_every_wrong_credential_gets_a_401_on_every_route(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")
    [event] = await stored_events(database)
    routes = [*ROUTES, ("POST", f"/admin/events/{event.id}/replay")]
    expected = {
        (name, method, path): (401, "unauthorized", "Bearer")
        for name in wrong_credentials()
        for method, path in routes
    }

    answers = {}
    for name, headers in wrong_credentials().items():
        for method, path in routes:
            raw_headers = [(key.encode(), value.encode()) for key, value in headers.items()]
            response = await client.request(method, path, headers=raw_headers, json={})
            answers[name, method, path] = (
                response.status_code,
                response.json()["code"],
                response.headers.get("WWW-Authenticate"),
            )

    assert answers == expected
    assert len(await outbox_envelopes(database)) == 1  # no replay got through


@pytest.mark.asyncio
async def test_the_token_is_also_refused_in_the_query_string(client: httpx.AsyncClient) -> None:
    token = os.environ["ADMIN_TOKEN"]
    for query in (f"token={token}", f"access_token={token}", f"admin_token={token}"):
        response = await client.get(f"/admin/events?{query}")
        assert response.status_code == 401, query


@pytest.mark.asyncio
async def test_the_scheme_is_case_insensitive_as_http_says(client: httpx.AsyncClient) -> None:
    token = os.environ["ADMIN_TOKEN"]

    response = await client.get("/admin/events", headers={"Authorization": f"bearer {token}"})

    assert response.status_code == 200


@pytest.mark.asyncio
async def test_without_the_token_bad_input_is_a_401_not_a_validation_error(
    webhooks: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await deliver(webhooks, "invoice.paid")

    listed = await client.get("/admin/events?type=%00&limit=0&cursor=x")
    detail = await client.get("/admin/events/not-a-uuid")
    replayed = await client.post("/admin/events/replay", content=b"{not json")

    assert [r.status_code for r in (listed, detail, replayed)] == [401, 401, 401]
    assert len(await outbox_envelopes(database)) == 1


@pytest.mark.asyncio
async def test_the_token_never_reaches_the_logs_or_an_answer(
    capfd: pytest.CaptureFixture[str],
    client: httpx.AsyncClient,  # capture first, then start
) -> None:
    token = os.environ["ADMIN_TOKEN"]
    requests = [
        ("GET", f"/admin/events?type={token}", admin()),  # found nothing
        ("GET", f"/admin/events?cursor={token}", admin()),  # 400
        ("GET", f"/admin/events/{token}", admin()),  # 422
        ("POST", "/admin/events/replay", admin()),  # 422: the body below is no filter
        ("GET", "/admin/events", {"Authorization": f"Bearer {token}x"}),  # 401
        ("GET", "/admin/events", {"Authorization": f"Basic {token}"}),  # 401
        ("GET", f"/admin/events?token={token}", {}),  # 401
    ]

    bodies = [
        (await client.request(method, path, headers=headers, json={"token": token})).text
        for method, path, headers in requests
    ]

    output = capfd.readouterr()
    # The test's own client (httpx) logs the URLs it was given; the gateway's lines are the rest.
    gateway_logs = [
        line for line in (output.out + output.err).splitlines() if '"logger": "httpx"' not in line
    ]
    assert [body for body in bodies if token in body] == []
    assert [line for line in gateway_logs if token in line] == []
