"""The transaction listing (filters, cursor pages, stable order) and category corrections."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import connect_bank, deliver_pluggy_event, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy

SAME_MOMENT = datetime(2026, 10, 5, 15, tzinfo=UTC)


async def listing(
    client: httpx.AsyncClient, company_id: uuid.UUID, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        "/api/banking/transactions/", params=params, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def all_pages(client: httpx.AsyncClient, company_id: uuid.UUID, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await listing(
            client, company_id, limit=7, **({"cursor": cursor} if cursor else {}), **params
        )
        ids += [t["id"] for t in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest_asyncio.fixture
async def company_with_history(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> tuple[uuid.UUID, dict[str, str]]:
    """A company with two accounts and a varied history; returns it and its account ids."""
    company_id = uuid.uuid4()
    connected = await connect_bank(client, fake_pluggy, company_id, accounts=2)
    ours = {a["name"]: a["id"] for a in connected["accounts"]}
    theirs = {a["name"]: a["id"] for a in fake_pluggy.accounts.values()}
    first, second = theirs["Conta 0"], theirs["Conta 1"]
    # Ten at the very same moment, so the order must break ties by id.
    fake_pluggy.add_transactions(first, 10, when=SAME_MOMENT, description="Tarifa")
    fake_pluggy.add_transactions(
        first,
        1,
        when=datetime(2026, 10, 20, 12, tzinfo=UTC),
        description="UBER *TRIP",
        merchant="Uber",
        amount="31.90",
        category=("Transportation", "19000000"),
    )
    fake_pluggy.add_transactions(
        second,
        1,
        when=datetime(2026, 9, 1, 12, tzinfo=UTC),
        description="Salário",
        transaction_type="CREDIT",
        amount="8500.00",
        category=("Income", "01000000"),
    )
    fake_pluggy.add_transactions(
        second,
        1,
        when=datetime(2026, 11, 3, 2, tzinfo=UTC),
        description="50% off_promo",
        amount="100.00",
    )
    await run_queued_syncs(worker_runtime)
    return company_id, ours


@pytest.mark.asyncio
async def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(
    client: httpx.AsyncClient, company_with_history: tuple[uuid.UUID, dict[str, str]]
) -> None:
    company_id, _ = company_with_history

    paged = await all_pages(client, company_id)

    everything = (await listing(client, company_id, limit=200))["results"]
    assert paged == [t["id"] for t in everything]
    assert len(paged) == 13
    dates = [t["date"] for t in everything]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.asyncio
async def test_each_filter_narrows_the_listing(
    client: httpx.AsyncClient, company_with_history: tuple[uuid.UUID, dict[str, str]]
) -> None:
    company_id, accounts = company_with_history

    async def descriptions(**params: Any) -> set[str]:
        page = await listing(client, company_id, limit=200, **params)
        return {t["description"].split(" ")[0] for t in page["results"]}

    assert await descriptions(account_id=accounts["Conta 1"]) == {"Salário", "50%"}
    assert await descriptions(type="CREDIT") == {"Salário"}
    assert await descriptions(category_id="19000000") == {"UBER"}
    assert await descriptions(q="uber") == {"UBER"}
    assert await descriptions(q="%") == {"50%"}
    assert await descriptions(amount_min_cents=3000, amount_max_cents=20000) == {"UBER", "50%"}
    assert await descriptions(date_from="2026-10-06", date_to="2026-10-31") == {"UBER"}
    # 02:00 UTC on 3 November is still 2 November in Brazil.
    assert await descriptions(date_from="2026-11-02", date_to="2026-11-02") == {"50%"}


@pytest.mark.asyncio
async def test_bad_listing_parameters_are_4xx(
    client: httpx.AsyncClient, company_with_history: tuple[uuid.UUID, dict[str, str]]
) -> None:
    company_id, _ = company_with_history
    headers = token_for(company_id)

    bad_cursor = await client.get(
        "/api/banking/transactions/", params={"cursor": "not-a-cursor"}, headers=headers
    )
    backwards = await client.get(
        "/api/banking/transactions/",
        params={"date_from": "2026-10-10", "date_to": "2026-10-01"},
        headers=headers,
    )

    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (400, "invalid_cursor")
    assert backwards.status_code == 422


@pytest.mark.asyncio
async def test_a_correction_survives_later_syncs_and_can_become_a_rule_for_similar_ones(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    company_with_history: tuple[uuid.UUID, dict[str, str]],
) -> None:
    company_id, _ = company_with_history
    headers = token_for(company_id)
    fee = next(
        t
        for t in (await listing(client, company_id, limit=200))["results"]
        if t["description"] == "Tarifa 3"
    )

    corrected = await client.patch(
        f"/api/banking/transactions/{fee['id']}",
        json={"category_id": "11010000", "create_rule": True, "apply_to_similar": True},
        headers=headers,
    )

    assert corrected.status_code == 200
    assert corrected.json()["transaction"]["category_source"] == "user"
    assert corrected.json()["rule"]["value"] == "Tarifa 3"
    assert corrected.json()["similar_updated"] == 0
    pluggy_account = next(iter(fake_pluggy.accounts))
    pluggy_fee = next(
        t for t in fake_pluggy.transactions[pluggy_account] if t["description"] == "Tarifa 3"
    )
    fake_pluggy.update_transaction(pluggy_account, pluggy_fee["id"], amount=-15.0)
    await deliver_pluggy_event(
        worker_runtime,
        "transactions/updated",
        {"accountId": pluggy_account, "transactionIds": [pluggy_fee["id"]]},
    )
    fake_pluggy.add_transactions(
        pluggy_account,
        1,
        description="TARIFA   3",
        created_at=datetime.now(UTC) + timedelta(hours=2),
    )
    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": next(iter(fake_pluggy.items))}
    )
    await run_queued_syncs(worker_runtime)

    again = (await client.get(f"/api/banking/transactions/{fee['id']}", headers=headers)).json()
    assert (again["amount_cents"], again["category_id"]) == (1500, "11010000")
    newcomer = (await listing(client, company_id, q="TARIFA   3"))["results"]
    assert [(t["category_id"], t["category_source"]) for t in newcomer] == [("11010000", "rule")]


@pytest.mark.asyncio
async def test_a_one_off_correction_of_similar_ones_makes_no_rule(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    company_with_history: tuple[uuid.UUID, dict[str, str]],
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id, _ = company_with_history
    pluggy_account = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(
        pluggy_account,
        2,
        description="Padaria Pão Quente",
        merchant="Padaria Pão Quente",
        created_at=datetime.now(UTC) + timedelta(hours=3),
    )
    await deliver_pluggy_event(
        worker_runtime, "item/updated", {"itemId": next(iter(fake_pluggy.items))}
    )
    await run_queued_syncs(worker_runtime)
    one, other = (await listing(client, company_id, q="padaria"))["results"]

    corrected = await client.patch(
        f"/api/banking/transactions/{one['id']}",
        json={"category_id": "11000000", "apply_to_similar": True},
        headers=token_for(company_id),
    )

    assert corrected.json()["rule"] is None
    assert corrected.json()["similar_updated"] == 1
    updated = (
        await client.get(f"/api/banking/transactions/{other['id']}", headers=token_for(company_id))
    ).json()
    assert (updated["category_id"], updated["category_source"]) == ("11000000", "user")
    assert (await client.get("/api/banking/rules/", headers=token_for(company_id))).json() == []


@pytest.mark.asyncio
async def test_another_companys_transactions_are_invisible(
    client: httpx.AsyncClient, company_with_history: tuple[uuid.UUID, dict[str, str]]
) -> None:
    owner, accounts = company_with_history
    some = (await listing(client, owner))["results"][0]
    stranger = uuid.uuid4()
    headers = token_for(stranger)

    assert (await listing(client, stranger))["results"] == []
    assert (await listing(client, stranger, account_id=accounts["Conta 0"]))["results"] == []
    for response in (
        await client.get(f"/api/banking/transactions/{some['id']}", headers=headers),
        await client.patch(
            f"/api/banking/transactions/{some['id']}",
            json={"category_id": "01000000"},
            headers=headers,
        ),
        await client.post(f"/api/banking/accounts/{accounts['Conta 0']}/sync/", headers=headers),
    ):
        assert response.status_code == 404


@pytest.mark.asyncio
async def test_categories_are_named_in_portuguese_where_pluggys_tree_translates_them(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    await connect_bank(client, fake_pluggy, company_id)
    account_id = next(iter(fake_pluggy.accounts))
    named = {
        "UBER *TRIP": ("Transportation", "19000000"),
        "ALUGUEL SALA": ("Rent", "17010000"),
        # A name that is not Pluggy's English one for its id, and an id the tree lacks.
        "COWORKING": ("Escritório compartilhado", "17010000"),
        "PETSHOP": ("Pet care", "22010000"),
    }
    for description, category in named.items():
        fake_pluggy.add_transactions(account_id, 1, description=description, category=category)
    fake_pluggy.add_transactions(account_id, 1, description="SEM CATEGORIA", category=None)
    await run_queued_syncs(worker_runtime)
    assert (await client.get("/api/banking/categories", headers=headers)).status_code == 200

    results = (await listing(client, company_id, limit=200))["results"]

    assert {t["description"]: (t["category_id"], t["category_name"]) for t in results} == {
        "UBER *TRIP": ("19000000", "Transporte"),
        "ALUGUEL SALA": ("17010000", "Aluguel"),
        "COWORKING": ("17010000", "Escritório compartilhado"),
        "PETSHOP": ("22010000", "Pet care"),
        "SEM CATEGORIA": (None, None),
    }
    uber = next(t for t in results if t["description"] == "UBER *TRIP")
    one = await client.get(f"/api/banking/transactions/{uber['id']}", headers=headers)
    assert one.json()["category_name"] == "Transporte"
    corrected = await client.patch(
        f"/api/banking/transactions/{uber['id']}", json={"category_id": "11010000"}, headers=headers
    )
    assert corrected.json()["transaction"]["category_name"] == "Restaurantes"
    relisted = (await listing(client, company_id, category_id="11010000"))["results"]
    assert [(t["id"], t["category_name"]) for t in relisted] == [(uber["id"], "Restaurantes")]
