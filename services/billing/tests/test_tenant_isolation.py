"""Another company's records answer 404, exactly like ones that do not exist."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .conftest import Deliver
from .helpers import bearer, listed, register
from .paid_company import paid_company
from .scenario import T0
from .stripe_objects import dispute, event
from .stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

HISTORIES = ("payments", "invoices", "disputes")


async def test_one_company_cannot_see_or_touch_anothers_records(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    owner = await paid_company(client, fake_stripe, deliver)
    opened = dispute("dp_iso", owner.first_charge, owner.first_intent, created=T0 + 10)
    await deliver(event("charge.dispute.created", opened, created=T0 + 10))
    ids = {
        history: (await listed(client, owner.access_token, f"/api/payments/{history}/"))[0]["id"]
        for history in HISTORIES
    }
    notification = (await listed(client, owner.access_token, "/api/notifications/"))[0]["id"]
    intruder_token = (await register(client))["access_token"]
    intruder = bearer(intruder_token)

    for history, record_id in ids.items():
        theirs = await client.get(f"/api/payments/{history}/{record_id}", headers=intruder)
        missing = await client.get(f"/api/payments/{history}/{uuid.uuid4()}", headers=intruder)
        mine = await client.get(f"/api/payments/{history}/{record_id}", headers=owner.headers)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
        assert mine.status_code == 200
        listing = await client.get(f"/api/payments/{history}/", headers=intruder)
        assert listing.json()["items"] == []
    read = await client.post(f"/api/notifications/{notification}/read", headers=intruder)
    assert read.status_code == 404
    assert await listed(client, intruder_token, "/api/notifications/") == []
