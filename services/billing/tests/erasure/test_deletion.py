"""The owner deletes the company: every log-in ends, Stripe's subscription is cancelled and its
customer deleted once the subscription has ended, billing erases all but the anonymous fiscal
records, and the deletion completes once banking and the gateway confirm."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
import stripe
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner, Result

from billing.accounts.models import Company
from billing.audit.models import AuditEntry
from billing.cli import app
from billing.commands import deletion_state
from billing.config import get_settings
from billing.database import InboxEvent
from billing.erasure.jobs import continue_deletions
from billing.invoices.models import Invoice
from billing.payments.models import Payment
from billing.registries import privacy_events
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, Source, new_event
from finhub_shared.inbox import inbox_dispatcher

from ..conftest import Deliver, row_counts
from ..helpers import STRONG_PASSWORD, bearer, published, register
from ..paid_company import paid_company
from ..scenario import T0, checked_out_company
from ..stripe_objects import event
from ..stripe_sandbox import SandboxStripe
from ..test_roles import acting_as

pytestmark = pytest.mark.asyncio

DELETION = "/api/companies/me/deletion"
# What stays of a deleted company: fiscal records, the tombstone and the deletion's own rows
# (and what went through the inbox and the outbox, which their own jobs prune).
KEPT = {
    "companies",
    "company_deletions",
    "audit_log",
    "invoices",
    "payments",
    "plans",
    "inbox_events",
    "outbox_messages",
}


async def delete(
    client: httpx.AsyncClient, token: str, company_name: str = "Acme Ltda"
) -> httpx.Response:
    return await client.post(DELETION, json={"company_name": company_name}, headers=bearer(token))


async def log_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": STRONG_PASSWORD})


def erased_event(source: Source, deletion: dict[str, Any], **data: Any) -> EventEnvelope:
    body = {"deletion_id": deletion["id"], "company_id": deletion["company_id"], **data}
    company_id = uuid.UUID(deletion["company_id"])
    return new_event(source, "company.erased", body, company_id=company_id)


async def confirm(
    database: Database, stripe_client: stripe.StripeClient, envelope: EventEnvelope
) -> None:
    """Deliver a service's confirmation as billing's worker does (queue billing.privacy)."""
    runtime = Runtime(settings=get_settings(), database=database, stripe=stripe_client)
    await inbox_dispatcher(runtime, InboxEvent, "billing.privacy", privacy_events)(envelope)


async def audit_actions(database: Database, company_id: str) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.company_id == uuid.UUID(company_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
async def test_only_the_owner_deletes_the_company(
    app: FastAPI, client: httpx.AsyncClient, database: Database, role: str
) -> None:
    registered = await register(client)

    response = await client.post(
        DELETION, json={"company_name": "Acme Ltda"}, headers=acting_as(app, registered, role)
    )

    assert (response.status_code, response.json()["code"]) == (403, "forbidden_role")
    assert (await row_counts(database))["company_deletions"] == 0


@pytest.mark.parametrize("typed", ["Acme", "", "Acme Ltda!"])
async def test_a_deletion_not_confirmed_by_the_companys_name_changes_nothing(
    client: httpx.AsyncClient, database: Database, typed: str
) -> None:
    registered = await register(client)

    response = await delete(client, registered["access_token"], typed)

    assert (response.status_code, response.json()["code"]) == (422, "deletion_not_confirmed")
    assert (await row_counts(database))["company_deletions"] == 0
    assert (await log_in(client, registered["user"]["email"])).status_code == 200
    assert await published(database, "billing.company.deletion_requested") == []


async def test_a_company_on_trial_is_erased_at_once_and_no_one_logs_in_again(
    client: httpx.AsyncClient, database: Database, fake_stripe: SandboxStripe
) -> None:
    registered = await register(client)
    company_id = registered["company"]["id"]
    other = await register(client, company_name="Other Ltda")

    response = await delete(client, registered["access_token"], " acme ltda ")

    assert response.status_code == 202, response.text
    deletion = response.json()
    assert (deletion["status"], deletion["company_id"]) == ("requested", company_id)
    assert deletion["billing_erased_at"] is not None
    assert fake_stripe.requests == []  # no customer, no subscription at Stripe
    [requested] = await published(database, "billing.company.deletion_requested")
    assert requested["data"]["deletion_id"] == deletion["id"]
    assert requested["data"]["stripe_customer_id"] is None
    assert (await log_in(client, registered["user"]["email"])).json()["code"] == (
        "invalid_credentials"
    )
    me = await client.get("/api/companies/me", headers=bearer(registered["access_token"]))
    assert (me.status_code, me.json()["code"]) == (401, "session_revoked")
    async with database.sessions() as session:
        company = await session.get(Company, uuid.UUID(company_id))
        assert company is not None
        assert (company.name, company.status) == ("", "erased")
    assert (await log_in(client, other["user"]["email"])).status_code == 200


async def test_a_paying_company_loses_its_stripe_customer_only_after_its_subscription_ended(
    client: httpx.AsyncClient,
    database: Database,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    cancel = ("DELETE", f"/v1/subscriptions/{company.subscription_id}")
    fake_stripe.disconnect(*cancel)

    response = await delete(client, company.access_token)

    assert response.status_code == 202, response.text
    deletion = response.json()
    assert (deletion["subscription_ended_at"], deletion["billing_erased_at"]) == (None, None)
    assert fake_stripe.calls("DELETE", f"/v1/customers/{company.customer_id}") == []
    [requested] = await published(database, "billing.company.deletion_requested")
    assert requested["data"]["stripe_customer_id"] == company.customer_id
    assert fake_stripe.subscriptions[company.subscription_id]["status"] == "active"

    await continue_deletions(database, stripe_client)

    async with database.sessions() as session:
        found = await session.get(Company, uuid.UUID(company.company_id))
        assert found is not None
        assert found.status == "deleting"
        state = await deletion_state(session, found)
    assert state is not None
    assert (state["attempts"], state["stripe_customer_deleted_at"]) == (1, None)
    assert "could not be reached" in state["last_error"]

    fake_stripe.recover()
    await continue_deletions(database, stripe_client)

    assert fake_stripe.subscriptions[company.subscription_id]["status"] == "canceled"
    stripe_calls = [(m, p) for m, p, _ in fake_stripe.requests if m == "DELETE"]
    assert stripe_calls[-2:] == [cancel, ("DELETE", f"/v1/customers/{company.customer_id}")]
    counts = await row_counts(database)
    assert {table for table, rows in counts.items() if rows} <= KEPT
    async with database.sessions() as session:
        [invoice] = (await session.scalars(select(Invoice))).all()
        [payment] = (await session.scalars(select(Payment))).all()
    assert invoice.stripe_invoice_id == company.first_invoice
    assert (invoice.hosted_invoice_url, invoice.invoice_pdf_url) == (None, None)
    assert payment.amount_cents > 0
    assert await audit_actions(database, company.company_id) == [
        "company_deletion_requested",
        "company_erased_in_billing",
    ]


async def test_a_subscription_stripe_ends_later_keeps_the_customer_until_its_event_comes(
    client: httpx.AsyncClient,
    database: Database,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    # Stripe takes the cancellation but answers with the subscription not ended yet.
    still_active = company.subscription(cancel_at_period_end=True)
    cancel = ("DELETE", f"/v1/subscriptions/{company.subscription_id}")
    fake_stripe.break_down(*cancel, httpx.Response(200, json=still_active))

    deletion = (await delete(client, company.access_token)).json()
    await continue_deletions(database, stripe_client)

    assert (deletion["subscription_ended_at"], deletion["billing_erased_at"]) == (None, None)
    assert fake_stripe.calls("DELETE", f"/v1/customers/{company.customer_id}") == []

    fake_stripe.recover()
    ended = company.subscription(status="canceled", canceled_at=T0 + 10)
    await deliver(event("customer.subscription.deleted", ended, created=T0 + 10))
    await continue_deletions(database, stripe_client)

    assert len(fake_stripe.calls(*cancel)) == 2
    assert len(fake_stripe.calls("DELETE", f"/v1/customers/{company.customer_id}")) == 1
    assert await audit_actions(database, company.company_id) == [
        "company_deletion_requested",
        "company_erased_in_billing",
    ]


async def test_a_checkout_left_open_is_expired_at_stripe_before_the_customer_goes(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    company = await checked_out_company(client, fake_stripe)

    response = await delete(client, company.access_token)

    assert response.json()["billing_erased_at"] is not None
    assert fake_stripe.checkout_sessions[company.checkout_session_id]["status"] == "expired"
    stripe_calls = [(m, p) for m, p, _ in fake_stripe.requests if m in ("POST", "DELETE")]
    assert stripe_calls[-2:] == [
        ("POST", f"/v1/checkout/sessions/{company.checkout_session_id}/expire"),
        ("DELETE", f"/v1/customers/{company.customer_id}"),
    ]


async def test_the_deletion_completes_once_banking_and_the_gateway_confirm(
    client: httpx.AsyncClient,
    database: Database,
    fake_stripe: SandboxStripe,
    stripe_client: stripe.StripeClient,
) -> None:
    registered = await register(client)
    deletion = (await delete(client, registered["access_token"])).json()
    banking = erased_event("banking", deletion, pluggy_item_ids=["a", "b"])
    gateway = erased_event("gateway", deletion, purged=4)

    await confirm(database, stripe_client, banking)
    await confirm(database, stripe_client, banking)
    async with database.sessions() as session:
        company = await session.get(Company, uuid.UUID(deletion["company_id"]))
        assert company is not None
        halfway = await deletion_state(session, company)
    await confirm(database, stripe_client, gateway)

    async with database.sessions() as session:
        done = await deletion_state(session, company)
    assert halfway is not None
    assert done is not None
    assert (halfway["status"], halfway["gateway_erased_at"]) == ("requested", None)
    assert (done["status"], done["completed_at"] is not None) == ("completed", True)
    assert await audit_actions(database, deletion["company_id"]) == [
        "company_deletion_requested",
        "company_erased_in_billing",
        "company_erased_in_banking",
        "company_erased_in_gateway",
        "company_deletion_completed",
    ]
    async with database.sessions() as session:
        entries = (
            await session.scalars(
                select(AuditEntry.after).where(
                    AuditEntry.company_id == uuid.UUID(deletion["company_id"]),
                    AuditEntry.action == "company_erased_in_banking",
                )
            )
        ).all()
    assert entries == [{"deletion_id": deletion["id"], "pluggy_item_ids": 2}]


async def test_while_a_deletion_waits_for_stripe_no_one_logs_in_and_tokens_are_refused(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    fake_stripe.disconnect("DELETE", f"/v1/subscriptions/{company.subscription_id}")
    me = await client.get("/api/companies/me", headers=company.headers)
    email = me.json()["user"]["email"]

    assert (await delete(client, company.access_token)).status_code == 202

    login = await log_in(client, email)
    assert (login.status_code, login.json()["code"]) == (403, "company_deleted")
    again = await delete(client, company.access_token)
    assert (again.status_code, again.json()["code"]) == (401, "session_revoked")


async def run_cli(*arguments: str) -> Result:
    # The command runs its own event loop, so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


async def test_operators_see_a_deletion_with_the_cli_and_none_for_a_company_not_deleted(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    registered = await register(client)
    deletion = (await delete(client, registered["access_token"])).json()
    kept = await register(client, company_name="Kept Ltda")

    shown = await run_cli("deletion-status", deletion["company_id"])
    none = await run_cli("deletion-status", kept["company"]["id"])

    assert shown.exit_code == 0, shown.output
    state = json.loads(shown.output)
    assert (state["id"], state["status"]) == (deletion["id"], "requested")
    assert state["billing_erased_at"] is not None
    assert none.exit_code == 1
