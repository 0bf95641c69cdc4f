"""A company's deletion across services, with the real PostgreSQL and RabbitMQ: the owner signs
up, pays through the Stripe stand-in, connects a bank through the Pluggy stand-in, then deletes
the company → billing cancels the subscription and deletes the customer at Stripe, erases its own
rows and asks on the bus → banking deletes the connection at Pluggy and erases its rows, the
gateway purges the webhooks naming the company → each confirms, and billing completes the
deletion, keeping only the anonymous fiscal records."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, or_, select

from banking import tables as banking_tables
from billing import commands
from billing.accounts.models import Company
from billing.invoices.models import Invoice
from finhub_shared.db import Database
from webhook_gateway.config import get_settings as gateway_settings
from webhook_gateway.erasure.jobs import purge_late_webhooks
from webhook_gateway.runtime import Runtime as GatewayRuntime
from webhook_gateway.webhooks.models import WebhookEvent

from .parts import PASSWORD, pluggy_transaction_count, running_system, sandbox_api_key
from .test_end_to_end import wait_for_subscription
from .test_privacy_export import transaction_count

# A bound on waiting for what the system does next (not a speed assertion).
PATIENCE_SECONDS = 60
EMAIL = "rui@oficina.com.br"
COMPANY_NAME = "Oficina do Rui"


async def completed_deletion(billing_db: Database, company_id: uuid.UUID) -> dict[str, Any]:
    """The deletion as the operator's `finhub-billing deletion-status` shows it, once completed."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        while True:
            async with billing_db.sessions() as session:
                company = await session.get(Company, company_id)
                assert company is not None
                state = await commands.deletion_state(session, company)
            if state is not None and state["status"] == "completed":
                return state
            await asyncio.sleep(0.3)


async def stripe_get(sandbox: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {os.environ['STRIPE_API_KEY']}"}
    answer = await sandbox.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def banking_rows(database: Database, company_id: uuid.UUID) -> dict[str, int]:
    """The tables of banking holding rows of the company, and how many."""
    counts = {}
    async with database.sessions() as session:
        for table in banking_tables.metadata.sorted_tables:
            if "company_id" in table.c:
                statement = select(func.count()).where(table.c.company_id == company_id)
                counts[table.name] = int(await session.scalar(statement) or 0)
    return {name: count for name, count in counts.items() if count}


async def webhooks_naming(
    database: Database, company_id: uuid.UUID, ids: list[str]
) -> dict[str, int]:
    """How many stored webhooks name the company (by its id or one of `ids`), by status."""
    naming = or_(
        WebhookEvent.company_id == company_id,
        *(WebhookEvent.raw_body.op("LIKE", is_comparison=True)(f'%"{i}"%'.encode()) for i in ids),
    )
    statement = (
        select(WebhookEvent.status, func.count()).where(naming).group_by(WebhookEvent.status)
    )
    async with database.sessions() as session:
        rows = (await session.execute(statement)).all()
    return {str(row[0]): int(row[1]) for row in rows}


@pytest.mark.asyncio
async def test_an_owner_deletes_the_company_and_every_service_erases_it() -> None:
    billing_db = Database(os.environ["BILLING_DATABASE_URL"], application_name="e2e-check")
    banking_db = Database(os.environ["BANKING_DATABASE_URL"], application_name="e2e-check")
    gateway_db = Database(os.environ["GATEWAY_DATABASE_URL"], application_name="e2e-check")
    try:
        async with running_system() as system:
            sandbox, billing_api, banking_api = system.sandbox, system.billing, system.banking
            headers = await system.register(EMAIL, "Rui Lopes", COMPANY_NAME)
            token = headers["Authorization"].removeprefix("Bearer ")
            me = (await billing_api.get("/api/companies/me", headers=headers)).json()
            company_id = uuid.UUID(me["company"]["id"])
            plans = (await billing_api.get("/api/payments/plans/")).json()
            professional = next(plan for plan in plans if plan["slug"] == "professional")
            await system.pay_checkout(headers, professional["id"])
            await wait_for_subscription(billing_api, token, "active")
            [customer] = (await stripe_get(sandbox, "/v1/customers", email=EMAIL))["data"]
            pluggy_item_id, _ = await system.connect_bank(headers, connector_id=0)
            await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})
            expected = await pluggy_transaction_count(sandbox, pluggy_item_id)
            async with asyncio.timeout(PATIENCE_SECONDS):
                while await transaction_count(banking_api, headers) < expected:
                    await asyncio.sleep(0.5)
            before = await webhooks_naming(gateway_db, company_id, [customer["id"]])

            refused = await billing_api.post(
                "/api/companies/me/deletion", json={"company_name": "Oficina"}, headers=headers
            )
            deleted = await billing_api.post(
                "/api/companies/me/deletion", json={"company_name": COMPANY_NAME}, headers=headers
            )
            deletion = await completed_deletion(billing_db, company_id)
            # What Stripe sent after the purge (the customer's deletion) goes with the next run.
            await purge_late_webhooks(GatewayRuntime(gateway_settings(), gateway_db))

            at_stripe = await stripe_get(sandbox, f"/v1/customers/{customer['id']}")
            subscriptions = await stripe_get(
                sandbox, "/v1/subscriptions", customer=customer["id"], status="all"
            )
            key = await sandbox_api_key(sandbox)
            at_pluggy = await sandbox.get(
                f"/pluggy/items/{pluggy_item_id}", headers={"X-API-KEY": key}
            )
            login = await billing_api.post(
                "/api/auth/login", json={"email": EMAIL, "password": PASSWORD}
            )
            items = await banking_api.get("/api/banking/items/", headers=headers)
        after = await webhooks_naming(gateway_db, company_id, [customer["id"], pluggy_item_id])
        left_in_banking = await banking_rows(banking_db, company_id)
        async with billing_db.sessions() as session:
            company = await session.get(Company, company_id)
            invoices = (
                await session.scalars(select(Invoice).where(Invoice.company_id == company_id))
            ).all()
    finally:
        for database in (billing_db, banking_db, gateway_db):
            await database.dispose()

    assert expected > 0
    assert (refused.status_code, refused.json()["code"]) == (422, "deletion_not_confirmed")
    assert deleted.status_code == 202, deleted.text
    assert deletion["banking_erased_at"] is not None
    assert deletion["gateway_erased_at"] is not None
    assert deletion["stripe_customer_deleted_at"] >= deletion["subscription_ended_at"]
    assert at_stripe["deleted"] is True
    assert {each["status"] for each in subscriptions["data"]} == {"canceled"}
    assert at_pluggy.status_code == 404
    assert (login.status_code, login.json()["code"]) == (401, "invalid_credentials")
    assert (items.status_code, items.json()) == (200, [])
    assert left_in_banking == {"company_entitlements": 1}
    assert before.get("routed", 0) > 0
    assert set(after) == {"erased"}
    assert company is not None
    assert (company.name, company.status) == ("", "erased")
    assert invoices != []
    assert all(invoice.hosted_invoice_url is None for invoice in invoices)
