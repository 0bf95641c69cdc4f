"""Banking's part of a company's data export: asked by billing on `banking.exports`, answered with
`banking.company.exported` holding exactly the company's rows, no secret, and a CSV of its
transactions with amounts in reais."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from banking.exports.service import BATCH, TRANSACTIONS_CSV_HEADER, reais
from banking.items.models import Item
from banking.registries import export_events
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event

from ..conftest import deliver, outbox, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy

MFA_PROMPT = b"encrypted-mfa-prompt-never-exported"


async def company_with_history(
    worker_runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, label: str
) -> uuid.UUID:
    """A company with a connected bank, two accounts and a few transactions synced."""
    company_id = uuid.uuid4()
    item = fake_pluggy.add_item(str(company_id))
    accounts = [fake_pluggy.add_account(item["id"], name=f"Conta {n}") for n in range(2)]
    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    fake_pluggy.add_transactions(
        accounts[0]["id"],
        2,
        when=datetime(2026, 10, 20, 12, tzinfo=UTC),
        description=f"UBER *TRIP {label}",
        amount="31.90",
    )
    fake_pluggy.add_transactions(
        accounts[1]["id"],
        1,
        when=datetime(2026, 9, 1, 12, tzinfo=UTC),
        description=f"Salário {label}",
        transaction_type="CREDIT",
        amount="8500.00",
    )
    await run_queued_syncs(worker_runtime)
    return company_id


@pytest_asyncio.fixture
async def companies(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> tuple[uuid.UUID, uuid.UUID]:
    """Ours and another company, each with a history; ours has an MFA prompt pending."""
    ours = await company_with_history(worker_runtime, client, fake_pluggy, "ours")
    theirs = await company_with_history(worker_runtime, client, fake_pluggy, "theirs")
    paid = await client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}},
        headers=token_for(ours),
    )
    assert paid.status_code == 201, paid.text
    async with database.transaction() as session:
        await session.execute(
            update(Item).where(Item.company_id == ours).values(mfa_prompt_encrypted=MFA_PROMPT)
        )
    return ours, theirs


def export_requested(company_id: uuid.UUID, export_id: uuid.UUID | None = None) -> EventEnvelope:
    data = {"export_id": str(export_id or uuid.uuid4()), "company_id": str(company_id)}
    return new_event("billing", "company.export_requested", data, company_id=company_id)


async def exported(database: Database) -> list[dict[str, Any]]:
    """The data of each `banking.company.exported` queued, oldest first."""
    return [envelope["data"] for envelope in await outbox(database, "banking.company.exported")]


def unpacked(data: dict[str, Any]) -> dict[str, str]:
    assert data["encoding"] == "gzip+base64"
    return {
        name: gzip.decompress(base64.b64decode(content)).decode()
        for name, content in data["files"].items()
    }


@pytest.mark.asyncio
async def test_the_export_holds_exactly_the_companys_rows_and_no_secret(
    worker_runtime: Runtime,
    database: Database,
    fake_pluggy: SandboxPluggy,
    companies: tuple[uuid.UUID, uuid.UUID],
) -> None:
    ours, theirs = companies
    export_id = uuid.uuid4()

    await deliver(
        worker_runtime, export_requested(ours, export_id), "banking.exports", export_events
    )

    [answer] = await exported(database)
    files = unpacked(answer)
    async with database.sessions() as session:
        our_transactions = set(
            map(
                str,
                await session.scalars(select(Transaction.id).where(Transaction.company_id == ours)),
            )
        )
    assert (answer["export_id"], answer["company_id"]) == (str(export_id), str(ours))
    assert set(files) == {
        "items.json",
        "accounts.json",
        "transactions.json",
        "transactions.csv",
        "category_rules.json",
        "pix_payments.json",
        "pix_scheduled_payments.json",
        "pix_mandates.json",
        "pix_mandate_payments.json",
        "monthly_usage.json",
        "audit_log.json",
    }
    tables = {name: json.loads(text) for name, text in files.items() if name.endswith(".json")}
    assert {row["id"] for row in tables["transactions.json"]} == our_transactions
    assert len(tables["accounts.json"]) == 2
    [payment] = tables["pix_payments.json"]
    assert payment["amount_cents"] == 15050
    assert "payment_url" not in payment
    assert tables["audit_log.json"] != []
    assert [item["connector_name"] for item in tables["items.json"]] != []
    for name, rows in tables.items():
        assert {row["company_id"] for row in rows} <= {str(ours)}, name
    everything = "\n".join(files.values())
    assert str(theirs) not in everything
    assert "theirs" not in everything
    assert "mfa_prompt" not in everything
    assert "paymentUrl" not in everything
    assert all(
        request["paymentUrl"] not in everything for request in fake_pluggy.payment_requests.values()
    )
    assert base64.b64encode(MFA_PROMPT).decode() not in everything
    assert MFA_PROMPT.decode() not in everything
    assert os.environ["PLUGGY_CLIENT_SECRET"] not in everything
    assert os.environ["MFA_ENCRYPTION_KEY"] not in everything


@pytest.mark.asyncio
async def test_the_transactions_csv_has_a_header_and_amounts_in_reais(
    worker_runtime: Runtime, database: Database, companies: tuple[uuid.UUID, uuid.UUID]
) -> None:
    ours, _ = companies

    await deliver(worker_runtime, export_requested(ours), "banking.exports", export_events)

    [answer] = await exported(database)
    lines = unpacked(answer)["transactions.csv"]
    rows = list(csv.reader(io.StringIO(lines)))
    assert tuple(rows[0]) == TRANSACTIONS_CSV_HEADER
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["type"], r["amount"], r["description"][:10]) for r in records] == [
        ("CREDIT", "8500.00", "Salário ou"),
        ("DEBIT", "31.90", "UBER *TRIP"),
        ("DEBIT", "31.90", "UBER *TRIP"),
    ]
    assert {r["account_name"] for r in records} == {"Conta 0", "Conta 1"}
    assert records[0]["date"].startswith("2026-09-01T12:00:00")


@pytest.mark.asyncio
async def test_a_company_without_bank_data_gets_empty_files(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()

    await deliver(worker_runtime, export_requested(company_id), "banking.exports", export_events)

    [answer] = await exported(database)
    files = unpacked(answer)
    assert files["transactions.csv"] == ",".join(TRANSACTIONS_CSV_HEADER) + "\n"
    assert all(json.loads(text) == [] for name, text in files.items() if name.endswith(".json"))


@pytest.mark.asyncio
async def test_a_redelivered_request_is_answered_once(
    worker_runtime: Runtime, database: Database
) -> None:
    request = export_requested(uuid.uuid4())

    for _ in range(2):
        await deliver(worker_runtime, request, "banking.exports", export_events)

    assert len(await exported(database)) == 1


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "0.00"), (5, "0.05"), (3190, "31.90"), (850000, "8500.00"), (123456789, "1234567.89")],
)
def test_amounts_are_written_in_reais(cents: int, shown: str) -> None:
    assert reais(cents) == shown


@pytest.mark.asyncio
async def test_a_long_history_is_streamed_in_batches_and_exported_whole(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item = fake_pluggy.add_item(str(company_id))
    account = fake_pluggy.add_account(item["id"])
    fake_pluggy.add_transactions(account["id"], BATCH * 2 + 500, amount="19.90")
    connected = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert connected.status_code == 200, connected.text
    await run_queued_syncs(worker_runtime)

    await deliver(worker_runtime, export_requested(company_id), "banking.exports", export_events)

    [answer] = await exported(database)
    files = unpacked(answer)
    listed = json.loads(files["transactions.json"])
    rows = list(csv.DictReader(io.StringIO(files["transactions.csv"])))
    assert len(listed) == len(rows) == BATCH * 2 + 500
    assert len({row["id"] for row in rows}) == len(rows)
    assert [row["date"] for row in listed] == sorted(row["date"] for row in listed)
    assert {row["amount"] for row in rows} == {"19.90"}
    assert len(answer["files"]["transactions.csv"]) < len(files["transactions.csv"]) / 4


@pytest.mark.asyncio
async def test_a_description_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    item = fake_pluggy.add_item(str(company_id))
    account = fake_pluggy.add_account(item["id"], name="=Conta")
    response = await client.post(
        "/api/banking/pluggy/callback/", json={"item_id": item["id"]}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    formula = '=HYPERLINK("http://evil.example","PIX")'
    fake_pluggy.add_transactions(
        account["id"], 1, when=datetime(2026, 10, 20, 12, tzinfo=UTC), description=formula
    )
    await run_queued_syncs(worker_runtime)

    await deliver(worker_runtime, export_requested(company_id), "banking.exports", export_events)

    [answer] = await exported(database)
    [record] = list(csv.DictReader(io.StringIO(unpacked(answer)["transactions.csv"])))
    assert record["description"] == "'" + formula
    assert record["account_name"] == "'=Conta"
