"""What the live stream is told of PIX payments: each status change once, with the one before,
and nothing when a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from banking.pix.jobs import time_out_unauthorised_payments
from banking.pix.models import PixPayment
from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import FrozenClock, deliver_pluggy_event, outbox, shown, token_for
from ..pluggy_sandbox import SandboxPluggy

STATUS_CHANGED = "banking.pix.payment_status_changed"


async def pay(client: httpx.AsyncClient, company_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    body = {"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}, **body}
    response = await client.post(
        "/api/banking/pix/payments/", json=body, headers=token_for(company_id)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.asyncio
async def test_a_payment_completed_is_shown_once_with_its_previous_status(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    created = await pay(client, company_id, description="Fornecedor novembro")
    [request_id] = fake_pluggy.payment_requests

    fake_pluggy.set_payment_request_status(request_id, "COMPLETED")
    event = {"paymentRequestId": request_id}
    await deliver_pluggy_event(worker_runtime, "payment_request/updated", event)
    await deliver_pluggy_event(worker_runtime, "payment_request/updated", event)

    [first, completed] = await shown(database, STATUS_CHANGED)
    assert (first["payment_id"], first["kind"]) == (created["id"], "immediate")
    assert (first["status"], first["previous_status"]) == (created["status"], None)
    assert completed == {
        "payment_id": created["id"],
        "kind": "immediate",
        "status": "completed",
        "previous_status": created["status"],
        "amount_cents": 15050,
        "description": "Fornecedor novembro",
        "scheduled_for": None,
        "message": "The payment was made.",
    }
    [envelope, *_] = await outbox(database, STATUS_CHANGED)
    assert envelope["company_id"] == str(company_id)


@pytest.mark.asyncio
async def test_a_scheduled_payment_is_shown_with_its_first_date(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    on = (clock.now.date() + timedelta(days=3)).isoformat()

    created = await pay(client, uuid.uuid4(), schedule={"type": "single", "date": on})

    [first] = await shown(database, STATUS_CHANGED)
    assert (first["payment_id"], first["kind"]) == (created["id"], "scheduled")
    assert first["scheduled_for"] == on


@pytest.mark.asyncio
async def test_a_payment_timed_out_is_shown_once(
    worker_runtime: Runtime, client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    company_id = uuid.uuid4()
    old = await pay(client, company_id)
    async with database.transaction() as session:
        await session.execute(
            update(PixPayment)
            .where(PixPayment.id == uuid.UUID(old["id"]))
            .values(created_at=clock.now - timedelta(minutes=31))
        )

    await time_out_unauthorised_payments(worker_runtime, clock)
    await time_out_unauthorised_payments(worker_runtime, clock)

    [_, timed_out] = await shown(database, STATUS_CHANGED)
    assert (timed_out["status"], timed_out["previous_status"]) == ("timed_out", old["status"])
    assert timed_out["message"] == "Nobody authorised the payment in time."


@pytest.mark.asyncio
async def test_an_automatic_payment_scheduled_then_cancelled_is_shown_at_each_step(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    clock: FrozenClock,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    today = clock.now.date()
    mandate = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": (today + timedelta(days=1)).isoformat(),
            "fixed_amount_cents": 9990,
            "description": "Aluguel",
        },
        headers=headers,
    )
    assert mandate.status_code == 201, mandate.text
    mandate_id = mandate.json()["id"]
    [request_id] = fake_pluggy.payment_requests
    fake_pluggy.set_payment_request_status(request_id, "AUTHORIZED")
    await deliver_pluggy_event(
        worker_runtime, "payment_request/updated", {"paymentRequestId": request_id}
    )
    when = today + timedelta(days=5)
    cycle = await client.post(
        f"/api/banking/pix/automatic/{mandate_id}/payments/",
        json={"amount_cents": 9990, "date": when.isoformat(), "description": "Dezembro"},
        headers=headers,
    )
    assert cycle.status_code == 201, cycle.text
    [pluggy_payment_id] = fake_pluggy.automatic_pix_payments
    redelivered = {"paymentRequestId": request_id, "automaticPixPaymentId": pluggy_payment_id}
    await deliver_pluggy_event(worker_runtime, "automatic_pix_payment/created", redelivered)

    cancelled = await client.post(
        f"/api/banking/pix/automatic/{mandate_id}/payments/{cycle.json()['id']}/cancel",
        headers=headers,
    )

    assert cancelled.status_code == 200, cancelled.text
    [scheduled, ended] = await shown(database, STATUS_CHANGED)
    assert scheduled == {
        "payment_id": cycle.json()["id"],
        "kind": "automatic",
        "status": cycle.json()["status"],
        "previous_status": None,
        "amount_cents": 9990,
        "description": "Dezembro",
        "scheduled_for": when.isoformat(),
        "message": "The automatic payment is scheduled.",
    }
    assert (ended["status"], ended["previous_status"]) == ("CANCELED", cycle.json()["status"])
