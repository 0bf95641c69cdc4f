"""PIX payments to completion, on a schedule, timed out; automatic PIX mandates."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from banking.pix.jobs import time_out_unauthorised_payments
from banking.pix.models import PixPayment
from banking.runtime import Runtime
from finhub_shared.db import Database
from provider_sandbox.pluggy.payments.models import INSTITUTIONS

from ..conftest import (
    MONTH_END_EVE,
    FrozenClock,
    deliver_pluggy_event,
    deliver_webhooks,
    stop_clocks_at,
    token_for,
)
from ..pluggy_sandbox import SandboxPluggy


async def pay(client: httpx.AsyncClient, company_id: uuid.UUID, **body: Any) -> httpx.Response:
    body = {"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}, **body}
    return await client.post("/api/banking/pix/payments/", json=body, headers=token_for(company_id))


async def payment(client: httpx.AsyncClient, company_id: uuid.UUID, payment_id: str) -> Any:
    response = await client.get(
        f"/api/banking/pix/payments/{payment_id}", headers=token_for(company_id)
    )
    assert response.status_code == 200
    return response.json()


@pytest.mark.asyncio
async def test_a_pix_payment_to_completion(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()

    created = await pay(client, company_id, description="Fornecedor novembro")

    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "pending"
    [(_, _, recipient)] = [r for r in fake_pluggy.received if r[1] == "/payments/recipients"]
    assert recipient == {"pixKey": "fornecedor@example.com"}
    [request_id] = fake_pluggy.payment_requests
    assert body["payment_url"] == fake_pluggy.payment_requests[request_id]["paymentUrl"]
    sent = next(b for m, p, b in fake_pluggy.received if p == "/payments/requests")
    assert sent["amount"] == 150.5
    assert sent["clientPaymentId"] == body["id"]

    await fake_pluggy.pay(request_id)
    await fake_pluggy.advance(minutes=5)
    await deliver_webhooks(worker_runtime, fake_pluggy)

    done = await payment(client, company_id, body["id"])
    assert (done["status"], done["request_status"], done["intent_status"]) == (
        "completed",
        "COMPLETED",
        "PAYMENT_COMPLETED",
    )
    listed = await client.get("/api/banking/pix/payments/", headers=token_for(company_id))
    assert [p["id"] for p in listed.json()["items"]] == [body["id"]]


@pytest.mark.asyncio
async def test_a_late_older_event_does_not_undo_a_completed_payment(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    created = (await pay(client, company_id)).json()
    [request_id] = fake_pluggy.payment_requests
    before_paying = fake_pluggy.payment_requests[request_id]
    await fake_pluggy.pay(request_id)
    await fake_pluggy.advance(minutes=5)
    sent = await fake_pluggy.webhooks()
    [late] = [webhook for webhook in sent if webhook["event"] == "payment_intent/created"]
    for webhook in sent:
        if webhook is not late:
            await deliver_pluggy_event(
                worker_runtime, webhook["event"], webhook, event_id=webhook["eventId"]
            )
    # The late event is answered from a lagging read: the request as it was before the payment.
    fake_pluggy.fail_next(
        "GET", f"/payments/requests/{request_id}", httpx.Response(200, json=before_paying)
    )

    await deliver_pluggy_event(worker_runtime, late["event"], late, event_id=late["eventId"])

    assert (await payment(client, company_id, created["id"]))["status"] == "completed"


@pytest.mark.asyncio
async def test_a_payment_nobody_authorises_in_30_minutes_times_out(
    worker_runtime: Runtime, client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    company_id = uuid.uuid4()
    fresh = (await pay(client, company_id)).json()
    old = (await pay(client, company_id)).json()
    async with database.transaction() as session:
        for created, minutes_ago in ((fresh, 29), (old, 31)):
            await session.execute(
                update(PixPayment)
                .where(PixPayment.id == uuid.UUID(created["id"]))
                .values(created_at=clock.now - timedelta(minutes=minutes_ago))
            )

    await time_out_unauthorised_payments(worker_runtime, clock)

    assert (await payment(client, company_id, old["id"]))["status"] == "timed_out"
    assert (await payment(client, company_id, fresh["id"]))["status"] == "pending"


@pytest.mark.asyncio
async def test_a_scheduled_payment_to_a_bank_account(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, clock: FrozenClock
) -> None:
    company_id = uuid.uuid4()
    recipient = {
        "tax_number": "12345678000190",
        "name": "Fornecedor LTDA",
        "institution_id": next(iter(INSTITUTIONS)),
        "branch": "0001",
        "account_number": "12345-6",
    }
    fifth_of_next_month = (clock.now.date().replace(day=1) + timedelta(days=32)).replace(day=5)
    schedule = {
        "type": "monthly",
        "start_date": fifth_of_next_month.isoformat(),
        "occurrences": 6,
        "day_of_month": 5,
    }

    created = await pay(client, company_id, recipient=recipient, schedule=schedule)

    assert created.status_code == 201
    sent = next(b for m, p, b in fake_pluggy.received if p == "/payments/requests")
    assert sent["schedule"] == {
        "type": "MONTHLY",
        "startDate": fifth_of_next_month.isoformat(),
        "occurrences": 6,
        "dayOfMonth": 5,
    }
    sent_recipient = next(b for m, p, b in fake_pluggy.received if p == "/payments/recipients")
    assert sent_recipient["account"] == {
        "branch": "0001",
        "number": "12345-6",
        "type": "CHECKING_ACCOUNT",
    }


@pytest.mark.asyncio
async def test_a_daily_schedule_goes_on_across_the_months_end(
    worker_runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, app: FastAPI
) -> None:
    await stop_clocks_at(app, fake_pluggy, MONTH_END_EVE)
    company_id = uuid.uuid4()
    schedule = {"type": "daily", "start_date": "2026-03-31", "occurrences": 3}

    created = await pay(client, company_id, schedule=schedule)
    [request_id] = fake_pluggy.payment_requests
    await fake_pluggy.pay(request_id)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    await fake_pluggy.advance(days=2)
    await deliver_webhooks(worker_runtime, fake_pluggy)

    assert created.status_code == 201, created.text
    dates = (await payment(client, company_id, created.json()["id"]))["schedules"]
    assert [(d["scheduled_date"], d["status"]) for d in dates] == [
        ("2026-03-31", "COMPLETED"),
        ("2026-04-01", "COMPLETED"),
        ("2026-04-02", "SCHEDULED"),
    ]


@pytest.mark.asyncio
async def test_bad_payments_are_422(client: httpx.AsyncClient) -> None:
    company_id = uuid.uuid4()

    zero = await pay(client, company_id, amount_cents=0)
    no_recipient = await pay(client, company_id, recipient={})
    bad_schedule = await pay(client, company_id, schedule={"type": "hourly"})

    assert zero.status_code == no_recipient.status_code == bad_schedule.status_code == 422


@pytest.mark.asyncio
async def test_another_companys_payments_are_invisible(client: httpx.AsyncClient) -> None:
    created = (await pay(client, uuid.uuid4())).json()
    stranger = token_for(uuid.uuid4())

    assert (await client.get("/api/banking/pix/payments/", headers=stranger)).json()["items"] == []
    shown = await client.get(f"/api/banking/pix/payments/{created['id']}", headers=stranger)
    assert shown.status_code == 404


@pytest.mark.asyncio
async def test_an_automatic_pix_mandate_from_authorisation_to_revocation(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    clock: FrozenClock,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    today = clock.now.date()
    created = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": (today + timedelta(days=4)).isoformat(),
            "fixed_amount_cents": 9990,
            "description": "Aluguel",
        },
        headers=headers,
    )
    assert created.status_code == 201
    mandate = created.json()
    assert mandate["status"] == "pending_authorization"
    [request_id] = fake_pluggy.payment_requests
    when = (today + timedelta(days=5)).isoformat()
    early = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/",
        json={"amount_cents": 9990, "date": when},
        headers=headers,
    )
    assert (early.status_code, early.json()["code"]) == (409, "mandate_not_authorized")

    await fake_pluggy.pay(request_id)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    cycle = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/",
        json={"amount_cents": 9990, "date": when},
        headers=headers,
    )
    assert cycle.status_code == 201
    await fake_pluggy.advance(days=6)
    assert "automatic_pix_payment/completed" in await deliver_webhooks(worker_runtime, fake_pluggy)
    next_cycle = (today + timedelta(days=6 + 5)).isoformat()
    second = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/",
        json={"amount_cents": 9990, "date": next_cycle},
        headers=headers,
    )
    cancelled = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/{second.json()['id']}/cancel",
        headers=headers,
    )
    revoked = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/revoke", headers=headers
    )

    detail = (
        await client.get(f"/api/banking/pix/automatic/{mandate['id']}", headers=headers)
    ).json()
    assert cancelled.json()["status"] == "CANCELED"
    assert revoked.json()["status"] == "canceled"
    assert detail["status"] == "canceled"
    assert [p["status"] for p in detail["payments"]] == ["COMPLETED", "CANCELED"]
    assert fake_pluggy.payment_requests[request_id]["status"] == "CANCELED"
    after = await client.post(
        f"/api/banking/pix/automatic/{mandate['id']}/payments/",
        json={"amount_cents": 9990, "date": next_cycle},
        headers=headers,
    )
    assert after.status_code == 409


@pytest.mark.asyncio
async def test_a_mandate_needs_a_fixed_amount_or_a_range(client: httpx.AsyncClient) -> None:
    base = {
        "recipient": {"pix_key": "12345678000190"},
        "interval": "MONTHLY",
        "start_date": "2026-12-10",
    }
    headers = token_for(uuid.uuid4())

    neither = await client.post("/api/banking/pix/automatic/", json=base, headers=headers)
    both = await client.post(
        "/api/banking/pix/automatic/",
        json={**base, "fixed_amount_cents": 100, "maximum_amount_cents": 500},
        headers=headers,
    )

    assert neither.status_code == both.status_code == 422
