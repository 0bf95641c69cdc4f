"""Each change the audit log covers shows there once done through the API, a Pluggy event or a
job, with who made it: connections made and removed (with the data deleted), PIX payments
created, scheduled and cancelled, rules changed, a transaction's category set by hand."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from banking.items import service
from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import FrozenClock, deliver_pluggy_event, deliver_webhooks, run_queued_syncs
from ..items.test_retries import connect_outdated, next_retry
from ..pluggy_sandbox import SandboxPluggy, ids_of
from .test_endpoints import as_user

pytestmark = pytest.mark.asyncio


async def entries(
    client: httpx.AsyncClient, company_id: uuid.UUID, **params: Any
) -> list[dict[str, Any]]:
    """The company's audit entries (as its owner reads them), newest first."""
    headers = as_user(company_id, uuid.uuid4())
    response = await client.get(
        "/api/banking/audit", params={"limit": 200, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def user(user_id: uuid.UUID) -> dict[str, str]:
    return {"type": "user", "id": str(user_id)}


async def connected_with_transactions(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    company_id: uuid.UUID,
    user_id: uuid.UUID,
) -> dict[str, Any]:
    """A bank connected by the user through the widget, two accounts, three transactions synced."""
    item = fake_pluggy.add_item(str(company_id))
    first = fake_pluggy.add_account(item["id"], name="Conta 0")
    fake_pluggy.add_account(item["id"], name="Conta 1")
    fake_pluggy.add_transactions(first["id"], 3, description="Padaria")
    response = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": item["id"]},
        headers=as_user(company_id, user_id),
    )
    assert response.status_code == 200, response.text
    await run_queued_syncs(worker_runtime)
    connected: dict[str, Any] = response.json()
    return connected


async def test_a_connection_made_and_removed_by_a_user_with_the_data_it_deleted(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    connected = await connected_with_transactions(
        client, fake_pluggy, worker_runtime, company_id, user_id
    )

    removed = await client.delete(
        f"/api/banking/items/{connected['id']}", headers=as_user(company_id, user_id)
    )

    assert removed.status_code == 204
    deleted, closed, created = await entries(client, company_id)
    assert (created["action"], created["actor"], created["before"]) == (
        "connection.created",
        user(user_id),
        None,
    )
    assert created["after"]["item_id"] == connected["id"]
    assert created["after"]["connector_id"] == str(connected["connector"]["id"])
    assert (closed["action"], closed["actor"]) == ("connection.removed", user(user_id))
    assert (closed["before"]["status"], closed["after"]["status"]) == ("UPDATED", "DELETED")
    assert (deleted["action"], deleted["actor"]) == ("data.deleted", user(user_id))
    assert deleted["after"] == {
        "item_id": connected["id"],
        "account_ids": sorted(account["id"] for account in connected["accounts"]),
        "transactions": 3,
    }


async def test_pluggy_events_are_the_actor_of_what_they_change(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    connected = await connected_with_transactions(
        client, fake_pluggy, worker_runtime, company_id, user_id
    )
    account_id = next(a for a in fake_pluggy.accounts if fake_pluggy.transactions.get(a))
    gone = next(ids_of(fake_pluggy.transactions[account_id]))
    fake_pluggy.delete_transaction(account_id, gone)
    unknown = fake_pluggy.add_item(str(company_id))

    await deliver_pluggy_event(
        worker_runtime,
        "transactions/deleted",
        {"itemId": connected["pluggy_item_id"], "accountId": account_id, "transactionIds": [gone]},
        event_id="evt-transactions-deleted",
    )
    await deliver_pluggy_event(
        worker_runtime, "item/created", {"itemId": unknown["id"]}, event_id="evt-item-created"
    )
    del fake_pluggy.items[connected["pluggy_item_id"]]
    await deliver_pluggy_event(
        worker_runtime,
        "item/deleted",
        {"itemId": connected["pluggy_item_id"]},
        event_id="evt-item-deleted",
    )

    newest = await entries(client, company_id)
    assert [(e["action"], e["actor"]["type"], e["actor"]["id"]) for e in newest[:4]] == [
        ("data.deleted", "pluggy", "evt-item-deleted"),
        ("connection.removed", "pluggy", "evt-item-deleted"),
        ("connection.created", "pluggy", "evt-item-created"),
        ("data.deleted", "pluggy", "evt-transactions-deleted"),
    ]
    assert newest[3]["after"]["transactions"] == 1
    assert newest[0]["after"]["transactions"] == 2


async def test_a_consent_revoked_at_the_bank_then_given_again_by_the_user(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    connected = await connected_with_transactions(
        client, fake_pluggy, worker_runtime, company_id, user_id
    )
    pluggy_item_id = connected["pluggy_item_id"]
    fake_pluggy.add_consent(pluggy_item_id, revoked=True)
    await deliver_pluggy_event(
        worker_runtime, "consent/revoked", {"itemId": pluggy_item_id}, event_id="evt-revoked"
    )
    fake_pluggy.add_consent(pluggy_item_id)

    again = await client.post(
        "/api/banking/pluggy/callback/",
        json={"item_id": pluggy_item_id},
        headers=as_user(company_id, user_id),
    )

    assert again.status_code == 200, again.text
    newest = await entries(client, company_id)
    assert [(e["action"], e["actor"]["id"]) for e in newest[:3]] == [
        ("connection.reconnected", str(user_id)),
        ("data.deleted", "evt-revoked"),
        ("connection.consent_revoked", "evt-revoked"),
    ]
    assert newest[0]["before"]["status"] == "CONSENT_REVOKED"
    assert newest[0]["after"]["status"] == "UPDATED"
    assert newest[1]["after"]["transactions"] == 3


async def test_a_job_is_the_actor_of_what_it_changes(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item = await connect_outdated(client, fake_pluggy, company_id)
    del fake_pluggy.items[item["pluggy_item_id"]]

    await service.retry_outdated(database, worker_runtime, await next_retry(database, item))

    removed = await entries(client, company_id, kind="connection.removed")
    assert [entry["actor"] for entry in removed] == [{"type": "job", "id": "retry-outdated-items"}]
    assert removed[0]["before"]["status"] == "OUTDATED"


async def test_pix_payments_created_scheduled_and_cancelled_by_a_user(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
    clock: FrozenClock,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    headers = as_user(company_id, user_id)
    recipient = {"pix_key": "fornecedor@example.com"}
    start = clock.now.date() + timedelta(days=3)
    schedule = {"type": "daily", "start_date": start.isoformat(), "occurrences": 3}
    once = await client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 15050, "recipient": recipient},
        headers=headers,
    )
    scheduled = await client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 990, "recipient": recipient, "schedule": schedule},
        headers=headers,
    )
    assert (once.status_code, scheduled.status_code) == (201, 201), scheduled.text
    [request_id] = [
        r for r, body in fake_pluggy.payment_requests.items() if body.get("schedule") is not None
    ]
    await fake_pluggy.pay(request_id)
    await deliver_webhooks(worker_runtime, fake_pluggy)

    cancelled = await client.post(
        f"/api/banking/pix/payments/{scheduled.json()['id']}/cancel", headers=headers
    )

    assert cancelled.status_code == 200, cancelled.text
    cancel, schedule_made, payment_made = await entries(client, company_id, kind="pix")
    assert {e["actor"]["id"] for e in (cancel, schedule_made, payment_made)} == {str(user_id)}
    assert payment_made["action"] == "pix.payment_created"
    assert payment_made["after"] == {
        "payment_id": once.json()["id"],
        "recipient_name": once.json()["recipient_name"],
        "amount_cents": 15050,
        "schedule": None,
        "status": "pending",
    }
    assert schedule_made["action"] == "pix.payment_scheduled"
    assert schedule_made["after"]["schedule"]["type"] == "daily"
    assert cancel["action"] == "pix.payment_cancelled"
    assert cancel["before"]["payment_id"] == scheduled.json()["id"]
    assert {d["status"] for d in cancel["before"]["dates"]} == {"SCHEDULED"}
    assert {d["status"] for d in cancel["after"]["dates"]} == {"CANCELED"}
    assert len(cancel["after"]["dates"]) == 3
    # Neither the recipient's PIX key nor the payer's link is kept.
    assert not {"recipient_pix_key", "payment_url"} & {
        *payment_made["after"],
        *schedule_made["after"],
    }


async def test_an_automatic_pix_mandate_its_cycles_and_its_revocation(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
    clock: FrozenClock,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    headers = as_user(company_id, user_id, "admin")
    today = clock.now.date()
    mandate = await client.post(
        "/api/banking/pix/automatic/",
        json={
            "recipient": {"pix_key": "12345678000190"},
            "interval": "MONTHLY",
            "start_date": (today + timedelta(days=4)).isoformat(),
            "fixed_amount_cents": 9990,
        },
        headers=headers,
    )
    [request_id] = fake_pluggy.payment_requests
    await fake_pluggy.pay(request_id)
    await deliver_webhooks(worker_runtime, fake_pluggy)
    path = f"/api/banking/pix/automatic/{mandate.json()['id']}"
    when = (today + timedelta(days=5)).isoformat()
    cycle = await client.post(
        f"{path}/payments/", json={"amount_cents": 9990, "date": when}, headers=headers
    )

    await client.post(f"{path}/payments/{cycle.json()['id']}/cancel", headers=headers)
    await client.post(f"{path}/revoke", headers=headers)

    revoked, cycle_cancelled, cycle_made, made = await entries(client, company_id, kind="pix")
    assert [e["action"] for e in (revoked, cycle_cancelled, cycle_made, made)] == [
        "pix.mandate_revoked",
        "pix.cycle_cancelled",
        "pix.cycle_scheduled",
        "pix.mandate_created",
    ]
    assert made["after"]["fixed_amount_cents"] == 9990
    assert cycle_made["after"] == {
        "mandate_id": mandate.json()["id"],
        "payment_id": cycle.json()["id"],
        "amount_cents": 9990,
        "date": when,
        "status": cycle.json()["status"],
    }
    assert (cycle_cancelled["before"]["status"], cycle_cancelled["after"]["status"]) == (
        cycle.json()["status"],
        "CANCELED",
    )
    assert (revoked["before"]["status"], revoked["after"]["status"]) == ("authorized", "canceled")
    assert {e["actor"]["id"] for e in (revoked, cycle_cancelled, cycle_made, made)} == {
        str(user_id)
    }


async def test_rules_created_changed_and_deleted_and_a_category_set_by_hand(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    headers = as_user(company_id, user_id, "member")
    await connected_with_transactions(client, fake_pluggy, worker_runtime, company_id, user_id)
    rule = await client.post(
        "/api/banking/rules/",
        json={"field": "description", "value": "Padaria", "category_id": "19000000"},
        headers=headers,
    )
    rule_path = f"/api/banking/rules/{rule.json()['id']}"
    await client.patch(rule_path, json={"priority": 7}, headers=headers)
    applied = await client.post(f"{rule_path}/apply", headers=headers)
    await client.delete(rule_path, headers=headers)
    listed = await client.get("/api/banking/transactions/", headers=headers)
    some = listed.json()["results"][0]

    corrected = await client.patch(
        f"/api/banking/transactions/{some['id']}",
        json={"category_id": "11000000", "apply_to_similar": True},
        headers=headers,
    )

    assert corrected.status_code == 200, corrected.text
    rules = await entries(client, company_id, kind="rule")
    [category] = await entries(client, company_id, kind="transaction")
    assert [e["action"] for e in rules] == [
        "rule.deleted",
        "rule.applied",
        "rule.updated",
        "rule.created",
    ]
    deleted, past, updated, created = rules
    assert created["before"] is None
    assert created["after"]["value"] == "Padaria"
    assert created["after"]["id"] == rule.json()["id"]
    assert (updated["before"]["priority"], updated["after"]["priority"]) == (100, 7)
    assert applied.json() == {"updated": 3}
    assert (past["after"]["priority"], past["after"]["transactions_updated"]) == (7, 3)
    assert (deleted["before"]["priority"], deleted["after"]) == (7, None)
    assert category["action"] == "transaction.category_changed"
    assert category["before"] == {"transaction_id": some["id"], "category_id": some["category_id"]}
    assert category["after"] == {
        "transaction_id": some["id"],
        "category_id": "11000000",
        "similar_updated": corrected.json()["similar_updated"],
    }
    assert {e["actor"]["id"] for e in [*rules, category]} == {str(user_id)}
