"""Every route with an id in its path answers another company's id exactly like a missing one
(404 `not_found`), and changes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from finhub_dev.testing import outcome
from finhub_shared.db import Database

from .conftest import Deliver, row_counts
from .helpers import bearer, listed, register
from .paid_company import paid_company
from .scenario import T0
from .stripe_objects import dispute, event
from .stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_every_route_with_an_id_hides_other_companies_records(
    app: FastAPI,
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
) -> None:
    owner = await paid_company(lenient_client, fake_stripe, deliver)
    await deliver(
        event(
            "charge.dispute.created",
            dispute("dp_other", owner.first_charge, owner.first_intent, created=T0 + 10),
            created=T0 + 10,
        )
    )
    token = owner.access_token
    export = await lenient_client.post("/api/companies/me/exports", headers=bearer(token))
    theirs = {
        "payment_id": (await listed(lenient_client, token, "/api/payments/payments/"))[0]["id"],
        "invoice_id": (await listed(lenient_client, token, "/api/payments/invoices/"))[0]["id"],
        "dispute_id": (await listed(lenient_client, token, "/api/payments/disputes/"))[0]["id"],
        "notification_id": (await listed(lenient_client, token, "/api/notifications/"))[0]["id"],
        "export_id": export.json()["id"],
    }
    missing = {name: str(uuid.uuid4()) for name in theirs} | {"notification_id": 2**62}
    routes_with_ids = [
        (method.upper(), path, path[path.index("{") + 1 : path.index("}")])
        for path, operations in app.openapi()["paths"].items()
        if "{" in path
        for method in operations
    ]
    intruder = bearer((await register(lenient_client))["access_token"])
    before = await row_counts(database)

    answers = {
        (method, path): (
            outcome(await lenient_client.request(method, path.format(**theirs), headers=intruder)),
            outcome(await lenient_client.request(method, path.format(**missing), headers=intruder)),
        )
        for method, path, _ in routes_with_ids
    }

    assert {name for _, _, name in routes_with_ids} == set(theirs)
    assert answers == dict.fromkeys(answers, ((404, "not_found"),) * 2)
    assert await row_counts(database) == before
    notifications = await listed(lenient_client, token, "/api/notifications/")
    assert [n["read_at"] for n in notifications] == [None] * len(notifications)
