"""A company's data export across services, with the real PostgreSQL and RabbitMQ: the owner
signs up (accepting the terms of use and the privacy policy), connects a bank through the Pluggy
stand-in, and asks billing for an export → billing asks banking on the bus → banking answers with
its files → billing assembles the zip and tells the owner, who downloads it: billing's data and
banking's, every synced transaction in the CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from .parts import pluggy_transaction_count, running_system

# A bound on waiting for what the system does next (not a speed assertion).
PATIENCE_SECONDS = 60


async def transaction_count(banking_api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """How many transactions banking lists for the company, through its cursor pages."""
    count, params = 0, {"limit": 200}
    page = await banking_api.get("/api/banking/transactions/", params=params, headers=headers)
    count += len(page.json()["results"])
    while cursor := page.json()["next_cursor"]:
        page = await banking_api.get(
            "/api/banking/transactions/", params={**params, "cursor": cursor}, headers=headers
        )
        count += len(page.json()["results"])
    return count


async def ready_export(
    billing_api: httpx.AsyncClient, headers: dict[str, str], export_id: str
) -> dict[str, Any]:
    """The export once billing shows it ready."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        while True:
            shown = await billing_api.get(f"/api/companies/me/exports/{export_id}", headers=headers)
            export: dict[str, Any] = shown.json()
            if export["status"] != "pending":
                return export
            await asyncio.sleep(0.3)


@pytest.mark.asyncio
async def test_an_owner_downloads_billings_and_bankings_data_in_one_archive() -> None:
    async with running_system() as system:
        sandbox, billing_api, banking_api = system.sandbox, system.billing, system.banking
        headers = await system.register("lia@mercearia.com.br", "Lia Rocha", "Mercearia Rocha")
        pluggy_item_id, _ = await system.connect_bank(headers, connector_id=0)
        await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})
        expected = await pluggy_transaction_count(sandbox, pluggy_item_id)
        async with asyncio.timeout(PATIENCE_SECONDS):
            while await transaction_count(banking_api, headers) < expected:
                await asyncio.sleep(0.5)

        asked = await billing_api.post("/api/companies/me/exports", headers=headers)
        assert asked.status_code == 202, asked.text
        export = await ready_export(billing_api, headers, asked.json()["id"])
        archive = await billing_api.get(export["archive_path"], headers=headers)
        me = (await billing_api.get("/api/companies/me", headers=headers)).json()
        notices = (await billing_api.get("/api/notifications/", headers=headers)).json()

    assert expected > 0
    assert export["status"] == "ready"
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        users = json.loads(zipped.read("billing/users.json"))
        consents = json.loads(zipped.read("billing/consents.json"))
        items = json.loads(zipped.read("banking/items.json"))
        accounts = json.loads(zipped.read("banking/accounts.json"))
        transactions = list(
            csv.DictReader(io.StringIO(zipped.read("banking/transactions.csv").decode()))
        )
        listed = json.loads(zipped.read("banking/transactions.json"))
    assert {
        "billing/company.json",
        "billing/subscriptions.json",
        "banking/pix_payments.json",
    } <= names
    assert set(manifest["services"]) == {"billing", "banking"}
    assert manifest["company_id"] == me["company"]["id"]
    assert [user["email"] for user in users] == ["lia@mercearia.com.br"]
    assert all("password_hash" not in user for user in users)
    assert {consent["document"] for consent in consents} == {"terms_of_use", "privacy_policy"}
    assert [item["pluggy_item_id"] for item in items] == [pluggy_item_id]
    assert all("mfa_prompt_encrypted" not in item for item in items)
    assert accounts != []
    assert len(transactions) == len(listed) == expected
    assert all(row["amount"].replace(".", "", 1).isdigit() for row in transactions)
    assert "data_export_ready" in {notice["kind"] for notice in notices["items"]}
