"""Categories from Pluggy, and a company's own rules: CRUD, applied on sync and to the past."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import connect_bank, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy


async def transactions_of(client: httpx.AsyncClient, company_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/banking/transactions/", params={"limit": 200}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def create_rule(
    client: httpx.AsyncClient, company_id: uuid.UUID, **body: Any
) -> httpx.Response:
    return await client.post("/api/banking/rules/", json=body, headers=token_for(company_id))


@pytest.mark.asyncio
async def test_categories_come_from_pluggy_once(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    headers = token_for(uuid.uuid4())

    first = await client.get("/api/banking/categories/", headers=headers)
    second = await client.get("/api/banking/categories/", headers=headers)

    assert first.json() == second.json()
    eating_out = next(c for c in first.json() if c["id"] == "11010000")
    assert eating_out == {
        "id": "11010000",
        "description": "Eating out",
        "description_translated": "Restaurantes",
        "parent_id": "11000000",
        "name": "Restaurantes",
    }
    assert fake_pluggy.calls_to("GET", "/categories") == 1


@pytest.mark.asyncio
async def test_rules_are_created_listed_changed_and_deleted(client: httpx.AsyncClient) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)

    created = await create_rule(
        client, company_id, field="description", value="uber", category_id="19000000"
    )
    assert created.status_code == 201
    rule_id = created.json()["id"]
    changed = await client.patch(
        f"/api/banking/rules/{rule_id}",
        json={"match": "equals", "max_amount_cents": 5000},
        headers=headers,
    )
    listed = await client.get("/api/banking/rules/", headers=headers)
    deleted = await client.delete(f"/api/banking/rules/{rule_id}", headers=headers)

    assert changed.json()["match"] == "equals"
    assert changed.json()["max_amount_cents"] == 5000
    assert [r["id"] for r in listed.json()] == [rule_id]
    assert deleted.status_code == 204
    assert (await client.get("/api/banking/rules/", headers=headers)).json() == []


@pytest.mark.asyncio
async def test_bad_rules_are_refused_with_a_clear_code(client: httpx.AsyncClient) -> None:
    company_id = uuid.uuid4()

    unknown = await create_rule(
        client, company_id, field="description", value="uber", category_id="77777777"
    )
    backwards = await create_rule(
        client,
        company_id,
        field="description",
        value="uber",
        category_id="19000000",
        min_amount_cents=500,
        max_amount_cents=100,
    )
    foreign_account = await create_rule(
        client,
        company_id,
        field="merchant",
        value="uber",
        category_id="19000000",
        account_id=str(uuid.uuid4()),
    )

    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_category")
    assert (backwards.status_code, backwards.json()["code"]) == (422, "validation_error")
    assert foreign_account.status_code == 404


@pytest.mark.asyncio
async def test_another_companys_rule_is_404(client: httpx.AsyncClient) -> None:
    owner = uuid.uuid4()
    rule = await create_rule(client, owner, field="description", value="x", category_id="19000000")
    stranger = token_for(uuid.uuid4())

    for response in (
        await client.patch(f"/api/banking/rules/{rule.json()['id']}", json={}, headers=stranger),
        await client.delete(f"/api/banking/rules/{rule.json()['id']}", headers=stranger),
        await client.post(f"/api/banking/rules/{rule.json()['id']}/apply", headers=stranger),
    ):
        assert response.status_code == 404
    assert (await client.get("/api/banking/rules/", headers=stranger)).json() == []


@pytest.mark.asyncio
async def test_a_rule_categorises_synced_transactions_over_pluggys_category(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await create_rule(
        client,
        company_id,
        field="merchant",
        match="contains",
        value="UBER",
        category_id="19000000",
        max_amount_cents=10_000,
    )
    await connect_bank(client, fake_pluggy, company_id)
    account_id = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(account_id, 1, merchant="Uber do Brasil", amount="23.50")
    fake_pluggy.add_transactions(account_id, 1, merchant="Uber do Brasil", amount="250.00")
    fake_pluggy.add_transactions(account_id, 1, merchant="Padaria", amount="9.00")

    await run_queued_syncs(worker_runtime)

    categories = {
        (t["merchant_name"], t["amount_cents"]): (t["category_id"], t["category_source"])
        for t in await transactions_of(client, company_id)
    }
    assert categories == {
        ("Uber do Brasil", 2350): ("19000000", "rule"),
        ("Uber do Brasil", 25000): ("05000000", "pluggy"),
        ("Padaria", 900): ("05000000", "pluggy"),
    }


@pytest.mark.asyncio
async def test_applying_a_rule_recategorises_the_past_but_not_hand_picked_ones(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    await connect_bank(client, fake_pluggy, company_id)
    account_id = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(account_id, 3, description="IFOOD  pedido")
    await run_queued_syncs(worker_runtime)
    picked = (await transactions_of(client, company_id))[0]
    await client.patch(
        f"/api/banking/transactions/{picked['id']}",
        json={"category_id": "01000000"},
        headers=headers,
    )
    rule = await create_rule(
        client, company_id, field="description", value="ifood pedido", category_id="11010000"
    )

    applied = await client.post(f"/api/banking/rules/{rule.json()['id']}/apply", headers=headers)

    assert applied.json() == {"updated": 2}
    by_id = {t["id"]: t for t in await transactions_of(client, company_id)}
    assert by_id[picked["id"]]["category_id"] == "01000000"
    others = [t for t in by_id.values() if t["id"] != picked["id"]]
    assert {(t["category_id"], t["category_name"]) for t in others} == {
        ("11010000", "Restaurantes")
    }
