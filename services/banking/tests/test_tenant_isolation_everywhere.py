"""Another company's id answers 404 on every route that takes an id, and changes nothing.

The routes come from banking's OpenAPI, so a new route with an id is tried as soon as it exists;
`IDS` must then say which of the owner's ids its path parameters take.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from banking.insights import service as insights
from banking.insights.findings import Finding
from banking.runtime import Runtime
from finhub_dev.testing import outcome
from finhub_shared.db import Database

from .conftest import (
    FrozenClock,
    connect_bank,
    deliver_pluggy_event,
    outbox,
    row_counts,
    run_queued_syncs,
    token_for,
)
from .pluggy_sandbox import SandboxPluggy

# Which of the owner's ids fills each path parameter, by the path's start (longest first).
IDS: dict[str, dict[str, str]] = {
    "/api/banking/pix/automatic/{mandate_id}/payments/{payment_id}": {
        "mandate_id": "mandate",
        "payment_id": "cycle",
    },
    "/api/banking/pix/payments/{payment_id}/schedules/{schedule_id}": {
        "payment_id": "payment",
        "schedule_id": "schedule",
    },
    "/api/banking/pix/automatic/{mandate_id}": {"mandate_id": "mandate"},
    "/api/banking/pix/payments/{payment_id}": {"payment_id": "payment"},
    "/api/banking/items/{item_id}": {"item_id": "item"},
    "/api/banking/accounts/{account_id}": {"account_id": "account"},
    "/api/banking/sync-jobs/{job_id}": {"job_id": "job"},
    "/api/banking/transactions/{transaction_id}": {"transaction_id": "transaction"},
    "/api/banking/rules/{rule_id}": {"rule_id": "rule"},
    "/api/banking/insights/{insight_id}": {"insight_id": "insight"},
}


def cycle_date(clock: FrozenClock) -> str:
    """A day Pluggy takes for a cycle payment: five days after the clock's."""
    return (clock.now.date() + timedelta(days=5)).isoformat()


def valid_bodies(clock: FrozenClock) -> dict[tuple[str, str], Any]:
    """A valid body for the routes that need one, so only ownership can refuse them."""
    return {
        ("POST", "/api/banking/items/{item_id}/mfa"): {"parameters": {"token": "123456"}},
        ("PATCH", "/api/banking/transactions/{transaction_id}"): {"category_id": "01000000"},
        ("POST", "/api/banking/transactions/{transaction_id}/similar/apply"): {
            "transaction_ids": [str(uuid.uuid4())]
        },
        ("PATCH", "/api/banking/rules/{rule_id}"): {"value": "hijacked"},
        ("POST", "/api/banking/pix/automatic/{mandate_id}/payments"): {
            "amount_cents": 9990,
            "date": cycle_date(clock),
        },
    }


@pytest_asyncio.fixture
async def owner(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    clock: FrozenClock,
) -> tuple[uuid.UUID, dict[str, str]]:
    """A company with one of everything that has an id; returns it and those ids."""
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item = await connect_bank(client, fake_pluggy, company_id)
    [queued] = await outbox(database, "banking.sync.requested")
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 1)
    await run_queued_syncs(worker_runtime)
    transactions = await client.get("/api/banking/transactions/", headers=headers)
    rule = await client.post(
        "/api/banking/rules/",
        json={"field": "description", "value": "pix", "category_id": "05000000"},
        headers=headers,
    )
    payment = await client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}},
        headers=headers,
    )
    mandate = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": cycle_date(clock),
            "fixed_amount_cents": 9990,
        },
        headers=headers,
    )
    request_id = list(fake_pluggy.payment_requests)[-1]  # the mandate's
    fake_pluggy.set_payment_request_status(request_id, "AUTHORIZED")
    await deliver_pluggy_event(
        worker_runtime, "payment_request/updated", {"paymentRequestId": request_id}
    )
    cycle = await client.post(
        f"/api/banking/pix/automatic/{mandate.json()['id']}/payments/",
        json={"amount_cents": 9990, "date": cycle_date(clock)},
        headers=headers,
    )
    assert cycle.status_code == 201, cycle.text
    async with database.transaction() as session:
        found = Finding("made_up", "standard", "info", "Título", "Mensagem.", {}, key="made_up")
        detected = insights.Detected((("made_up", found),), frozenset(), frozenset({"made_up"}))
        [insight] = (await insights.store(session, company_id, detected, clock.now)).new
    return company_id, {
        "item": item["id"],
        "account": item["accounts"][0]["id"],
        "job": queued["data"]["job_id"],
        "transaction": transactions.json()["results"][0]["id"],
        "rule": rule.json()["id"],
        "payment": payment.json()["id"],
        "schedule": str(uuid.uuid4()),
        "mandate": mandate.json()["id"],
        "cycle": cycle.json()["id"],
        "insight": str(insight.id),
    }


def fill(path: str, ids: dict[str, str]) -> str:
    """The path with the owner's ids in its parameters."""
    for start, parameters in IDS.items():
        if path.startswith(start):
            filled = start.format(**{name: ids[which] for name, which in parameters.items()})
            return filled + path.removeprefix(start)
    raise AssertionError(f"say in IDS which ids {path} takes")


async def snapshot(client: httpx.AsyncClient, company_id: uuid.UUID) -> dict[str, Any]:
    """Everything the owner can read, to compare after the stranger's attempts."""
    headers = token_for(company_id)
    paths = [
        "/api/banking/items/",
        "/api/banking/accounts/",
        "/api/banking/transactions/",
        "/api/banking/rules/",
        "/api/banking/pix/payments/",
        "/api/banking/pix/automatic/",
    ]
    return {path: (await client.get(path, headers=headers)).json() for path in paths}


@pytest.mark.asyncio
async def test_another_companys_ids_are_404_on_every_route_and_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    owner: tuple[uuid.UUID, dict[str, str]],
    clock: FrozenClock,
) -> None:
    company_id, ids = owner
    bodies = valid_bodies(clock)
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{" in path
        for method in operations
    ]
    stranger = token_for(uuid.uuid4())
    before = (await row_counts(database), await snapshot(client, company_id))
    pluggy_calls = len(fake_pluggy.calls)

    outcomes = {
        (method, path): outcome(
            await lenient_client.request(
                method,
                fill(path, ids),
                json=bodies.get((method, path)),
                headers=stranger,
            )
        )
        for method, path in routes
    }

    assert len(routes) >= 18
    assert {route: status for route, (status, _) in outcomes.items()} == dict.fromkeys(routes, 404)
    assert (await row_counts(database), await snapshot(client, company_id)) == before
    assert fake_pluggy.calls[pluggy_calls:] == []


@pytest.mark.asyncio
async def test_another_companys_account_cannot_be_named_in_a_rule_or_a_filter(
    client: httpx.AsyncClient,
    database: Database,
    owner: tuple[uuid.UUID, dict[str, str]],
) -> None:
    _, ids = owner
    stranger_id = uuid.uuid4()
    stranger = token_for(stranger_id)
    own_rule = await client.post(
        "/api/banking/rules/",
        json={"field": "merchant", "value": "uber", "category_id": "19000000"},
        headers=stranger,
    )
    before = await row_counts(database)

    created = await client.post(
        "/api/banking/rules/",
        json={
            "field": "merchant",
            "value": "uber",
            "category_id": "19000000",
            "account_id": ids["account"],
        },
        headers=stranger,
    )
    changed = await client.patch(
        f"/api/banking/rules/{own_rule.json()['id']}",
        json={"account_id": ids["account"]},
        headers=stranger,
    )
    filtered = await client.get(
        "/api/banking/transactions/", params={"account_id": ids["account"]}, headers=stranger
    )

    assert outcome(created) == outcome(changed) == (404, "not_found")
    assert filtered.json()["results"] == []
    assert await row_counts(database) == before
    assert (await client.get("/api/banking/rules/", headers=stranger)).json() == [own_rule.json()]
