"""The owner's export of all the company's data: asked at billing, banking's part asked on the bus
and awaited, the archive assembled when it arrives (or the export failed when it never does),
downloaded while it is kept."""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from billing.config import get_settings
from billing.database import InboxEvent
from billing.exports.jobs import delete_expired_archives, fail_overdue_exports
from billing.notifications.service import notify
from billing.registries import privacy_events
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event, utcnow
from finhub_shared.inbox import inbox_dispatcher

from ..conftest import FrozenClock
from ..helpers import bearer, notification_kinds, published, register
from ..test_roles import acting_as

pytestmark = pytest.mark.asyncio

EXPORTS = "/api/companies/me/exports"
# A link that pays an invoice by itself: never in an archive.
LINK = "https://invoice.stripe.com/i/acct_1/live_secret"
TRANSACTIONS_CSV = (
    "id,date,account_id,account_name,description,type,amount\n"
    "t1,2026-10-20,a1,Conta,UBER,DEBIT,31.90\n"
)


def packed(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode())).decode()


def bankings_part(
    export_id: str, company_id: str, files: dict[str, str] | None = None
) -> EventEnvelope:
    """`banking.company.exported` as banking publishes it."""
    files = files or {
        "transactions.csv": TRANSACTIONS_CSV,
        "accounts.json": json.dumps([{"id": "a1", "company_id": company_id, "name": "Conta"}]),
    }
    data = {
        "export_id": export_id,
        "company_id": company_id,
        "generated_at": utcnow().isoformat(),
        "encoding": "gzip+base64",
        "files": {name: packed(text) for name, text in files.items()},
    }
    return new_event("banking", "company.exported", data, company_id=uuid.UUID(company_id))


async def deliver(runtime: Runtime, envelope: EventEnvelope) -> None:
    """Hand an event to billing's `billing.privacy` consumer, through the inbox."""
    await inbox_dispatcher(runtime, InboxEvent, "billing.privacy", privacy_events)(envelope)


async def ask(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(EXPORTS, headers=bearer(token))
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def status_of(client: httpx.AsyncClient, token: str, export_id: str) -> dict[str, Any]:
    response = await client.get(f"{EXPORTS}/{export_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def download(client: httpx.AsyncClient, token: str, export_id: str) -> httpx.Response:
    return await client.get(f"{EXPORTS}/{export_id}/archive", headers=bearer(token))


async def test_the_owner_asks_and_banking_is_asked_through_the_outbox(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    registered = await register(client)
    token, company_id = registered["access_token"], registered["company"]["id"]

    export = await ask(client, token)

    assert export["status"] == "pending"
    assert export["requested_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert export["archive_path"] is None
    [request] = await published(database, "billing.company.export_requested")
    assert request["data"] == {"export_id": export["id"], "company_id": company_id}
    assert request["company_id"] == company_id
    assert (await status_of(client, token, export["id"]))["status"] == "pending"
    not_ready = await download(client, token, export["id"])
    assert (not_ready.status_code, not_ready.json()["code"]) == (409, "export_not_ready")


async def test_one_export_at_a_time(client: httpx.AsyncClient, database: Database) -> None:
    token = (await register(client))["access_token"]
    first = await ask(client, token)

    again = await client.post(EXPORTS, headers=bearer(token))

    assert again.status_code == 409
    assert again.json()["code"] == "export_in_progress"
    assert again.json()["export_id"] == first["id"]
    assert len(await published(database, "billing.company.export_requested")) == 1


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
async def test_only_the_owner_may_export(
    app: FastAPI, client: httpx.AsyncClient, database: Database, role: str
) -> None:
    registered = await register(client)
    export = await ask(client, registered["access_token"])
    headers = acting_as(app, registered, role)

    answers = [
        await client.post(EXPORTS, headers=headers),
        await client.get(f"{EXPORTS}/{export['id']}", headers=headers),
        await client.get(f"{EXPORTS}/{export['id']}/archive", headers=headers),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(403, "forbidden_role")] * 3
    assert len(await published(database, "billing.company.export_requested")) == 1


async def test_bankings_part_completes_the_archive_and_the_owner_is_told(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    registered = await register(client)
    token, company_id = registered["access_token"], registered["company"]["id"]
    async with database.transaction() as session:
        await notify(
            session, uuid.UUID(company_id), "payment_failed", "T", "M", {"hosted_invoice_url": LINK}
        )
    export = await ask(client, token)

    await deliver(worker_runtime, bankings_part(export["id"], company_id))

    ready = await status_of(client, token, export["id"])
    archive = await download(client, token, export["id"])
    assert ready["status"] == "ready"
    assert ready["archive_path"] == f"{EXPORTS}/{export['id']}/archive"
    assert ready["archive_size"] == len(archive.content)
    retention = timedelta(days=get_settings().export_retention_days)
    finished_at = datetime.fromisoformat(ready["finished_at"])
    assert datetime.fromisoformat(ready["expires_at"]) - finished_at == retention
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    assert "attachment" in archive.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        users = json.loads(zipped.read("billing/users.json"))
        company = json.loads(zipped.read("billing/company.json"))
        consents = json.loads(zipped.read("billing/consents.json"))
        subscriptions = json.loads(zipped.read("billing/subscriptions.json"))
        audit = json.loads(zipped.read("billing/audit_log.json"))
        transactions = zipped.read("banking/transactions.csv").decode()
        notifications = json.loads(zipped.read("billing/notifications.json"))
        everything = b"".join(zipped.read(name) for name in zipped.namelist())
    assert {
        "manifest.json",
        "billing/company.json",
        "billing/users.json",
        "billing/consents.json",
        "billing/subscriptions.json",
        "billing/invoices.json",
        "billing/payments.json",
        "billing/disputes.json",
        "billing/notifications.json",
        "billing/audit_log.json",
        "banking/transactions.csv",
        "banking/accounts.json",
    } <= names
    assert manifest["export_id"] == export["id"]
    assert manifest["company_id"] == company_id
    assert set(manifest["services"]) == {"billing", "banking"}
    assert manifest["services"]["banking"]["files"] == ["accounts.json", "transactions.csv"]
    assert company["id"] == company_id
    assert [user["email"] for user in users] == [registered["user"]["email"]]
    assert all("password_hash" not in user for user in users)
    assert "$argon2" not in json.dumps(users)
    assert {consent["document"] for consent in consents} == {"terms_of_use", "privacy_policy"}
    assert [s["status"] for s in subscriptions] == ["trial"]
    assert audit != []
    assert transactions == TRANSACTIONS_CSV
    [failed] = [n for n in notifications if n["kind"] == "payment_failed"]
    assert failed["data"] == {"hosted_invoice_url": "[redacted]"}
    assert LINK.encode() not in everything
    assert "data_export_ready" in await notification_kinds(client, token)
    [shown] = [
        e["data"]
        for e in await published(database, "billing.notification.created")
        if e["data"]["kind"] == "data_export_ready"
    ]
    assert shown["link"] == ready["archive_path"]


async def test_a_part_for_another_company_or_a_finished_export_is_ignored(
    client: httpx.AsyncClient, worker_runtime: Runtime
) -> None:
    ours = await register(client)
    theirs = await register(client)
    export = await ask(client, ours["access_token"])

    await deliver(worker_runtime, bankings_part(export["id"], theirs["company"]["id"]))
    await deliver(worker_runtime, bankings_part(str(uuid.uuid4()), ours["company"]["id"]))

    assert (await status_of(client, ours["access_token"], export["id"]))["status"] == "pending"


async def test_an_export_banking_never_answers_fails_and_may_be_asked_again(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime, clock: FrozenClock
) -> None:
    registered = await register(client)
    token, company_id = registered["access_token"], registered["company"]["id"]
    export = await ask(client, token)
    timeout = get_settings().export_timeout_seconds

    early = await fail_overdue_exports(
        database, timeout, clock.now + timedelta(seconds=timeout - 1)
    )
    late = await fail_overdue_exports(database, timeout, clock.now + timedelta(seconds=timeout))
    await deliver(worker_runtime, bankings_part(export["id"], company_id))

    failed = await status_of(client, token, export["id"])
    assert (early, late) == (0, 1)
    assert (failed["status"], failed["failure_reason"]) == ("failed", "banking_did_not_answer")
    assert "data_export_failed" in await notification_kinds(client, token)
    gone = await download(client, token, export["id"])
    assert (gone.status_code, gone.json()["code"]) == (409, "export_failed")
    assert (await ask(client, token))["status"] == "pending"


async def test_an_archive_is_deleted_once_expired(
    client: httpx.AsyncClient, database: Database, worker_runtime: Runtime
) -> None:
    registered = await register(client)
    token, company_id = registered["access_token"], registered["company"]["id"]
    export = await ask(client, token)
    await deliver(worker_runtime, bankings_part(export["id"], company_id))
    expires_at = (await status_of(client, token, export["id"]))["expires_at"]
    when = datetime.fromisoformat(expires_at)
    kept = await delete_expired_archives(database, when - timedelta(seconds=1))
    deleted = await delete_expired_archives(database, when)

    assert (kept, deleted) == (0, 1)
    assert (await status_of(client, token, export["id"]))["status"] == "expired"
    gone = await download(client, token, export["id"])
    assert (gone.status_code, gone.json()["code"]) == (410, "export_expired")


async def test_a_part_naming_a_path_instead_of_a_file_is_refused(
    client: httpx.AsyncClient, worker_runtime: Runtime
) -> None:
    registered = await register(client)
    export = await ask(client, registered["access_token"])
    part = bankings_part(export["id"], registered["company"]["id"], {"../../etc/passwd.csv": "x"})

    with pytest.raises(ValueError, match="plain file name"):
        await deliver(worker_runtime, part)

    shown = await status_of(client, registered["access_token"], export["id"])
    assert shown["status"] == "pending"


async def test_the_owner_lists_the_companys_exports_newest_first(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    registered = await register(client)
    token = registered["access_token"]
    first = await ask(client, token)
    timeout = get_settings().export_timeout_seconds
    await fail_overdue_exports(database, timeout, clock.now + timedelta(seconds=timeout))
    clock.advance(seconds=1)
    second = await ask(client, token)
    other = await register(client)
    await ask(client, other["access_token"])

    listed = await client.get(EXPORTS, headers=bearer(token))

    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert [(e["id"], e["status"]) for e in body["items"]] == [
        (second["id"], "pending"),
        (first["id"], "failed"),
    ]


async def test_two_requests_at_once_make_one_export(
    client: httpx.AsyncClient, database: Database
) -> None:
    token = (await register(client))["access_token"]

    answers = await asyncio.gather(*(client.post(EXPORTS, headers=bearer(token)) for _ in range(2)))

    assert sorted(answer.status_code for answer in answers) == [202, 409]
    assert len(await published(database, "billing.company.export_requested")) == 1
