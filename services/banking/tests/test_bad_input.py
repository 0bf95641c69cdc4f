"""Bad input on every route: a 4xx JSON answer with a stable code, never a 500, nothing written.

Each test sends a table of bad inputs through `lenient_client` (a 500 comes back as an answer)
and compares the outcome of each to the one expected, so a failure names the inputs that broke.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from banking.runtime import Runtime
from finhub_dev.testing import outcome, send_json
from finhub_shared.db import Database

from .conftest import connect_bank, row_counts, run_queued_syncs, token_for
from .pluggy_sandbox import MFA_TOKEN, SandboxPluggy

# The largest value a BIGINT column holds.
BIGINT_MAX = 2**63 - 1
INVALID = (422, "validation_error")


def cursor_of(payload: Any) -> str:
    """A cursor as the listing encodes one, around any payload."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest_asyncio.fixture
async def company(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """A company with a bank and five synced transactions; returns it and its item."""
    company_id = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, company_id)
    pluggy_account = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(pluggy_account, 3, description="Tarifa")
    fake_pluggy.add_transactions(
        pluggy_account, 2, description="Salário", transaction_type="CREDIT", amount="900.00"
    )
    await run_queued_syncs(worker_runtime)
    return company_id, item


async def first_transaction(client: httpx.AsyncClient, company_id: uuid.UUID) -> dict[str, Any]:
    listed = await client.get("/api/banking/transactions/", headers=token_for(company_id))
    transaction: dict[str, Any] = listed.json()["results"][0]
    return transaction


async def rules_of(client: httpx.AsyncClient, company_id: uuid.UUID) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = (
        await client.get("/api/banking/rules/", headers=token_for(company_id))
    ).json()
    return rules


# --- the transaction listing ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_listing_refuses_malformed_filters(lenient_client: httpx.AsyncClient) -> None:
    cases: dict[str, dict[str, str]] = {
        "account not a uuid": {"account_id": "not-a-uuid"},
        "month 13": {"date_from": "2026-13-01"},
        "date a word": {"date_to": "yesterday"},
        "date empty": {"date_from": ""},
        "dates backwards": {"date_from": "2026-10-10", "date_to": "2026-10-01"},
        "day 1 of year 1": {"date_from": "0001-01-01"},
        "last day of 9999": {"date_to": "9999-12-31"},
        "unknown type": {"type": "FOO"},
        "type in lower case": {"type": "debit"},
        "negative amount": {"amount_min_cents": "-1"},
        "amount with decimals": {"amount_max_cents": "12.50"},
        "amount a word": {"amount_min_cents": "ten"},
        "amount past bigint": {"amount_min_cents": str(BIGINT_MAX + 1)},
        "huge amount": {"amount_max_cents": str(10**30)},
        "amounts backwards": {"amount_min_cents": "500", "amount_max_cents": "100"},
        "empty text": {"q": ""},
        "text too long": {"q": "x" * 101},
        "NUL in text": {"q": "tarifa\x00"},
        "category too long": {"category_id": "1" * 21},
        "NUL in category": {"category_id": "\x00"},
        "limit 0": {"limit": "0"},
        "limit 201": {"limit": "201"},
        "negative limit": {"limit": "-5"},
        "limit a word": {"limit": "ten"},
        "cursor too long": {"cursor": "x" * 501},
    }
    headers = token_for(uuid.uuid4())

    outcomes = {
        name: outcome(
            await lenient_client.get("/api/banking/transactions/", params=params, headers=headers)
        )
        for name, params in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, INVALID)


@pytest.mark.asyncio
async def test_a_tampered_cursor_is_refused_as_invalid_cursor(
    lenient_client: httpx.AsyncClient,
) -> None:
    some_id = str(uuid.uuid4())
    cases = {
        "garbage": "not-a-cursor",
        "not json": base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
        "a list": cursor_of(["2026-10-01T12:00:00+00:00", some_id]),
        "a string": cursor_of("a string"),
        "no id": cursor_of({"date": "2026-10-01T12:00:00+00:00"}),
        "id a number": cursor_of({"date": "2026-10-01T12:00:00+00:00", "id": 12}),
        "id a list": cursor_of({"date": "2026-10-01T12:00:00+00:00", "id": ["a"]}),
        "date a word": cursor_of({"date": "last tuesday", "id": some_id}),
        "date without zone": cursor_of({"date": "2026-10-01T12:00:00", "id": some_id}),
        "before year 1 in UTC": cursor_of({"date": "0001-01-01T00:00:00+14:00", "id": some_id}),
        "after 9999 in UTC": cursor_of({"date": "9999-12-31T23:59:59-14:00", "id": some_id}),
    }
    headers = token_for(uuid.uuid4())

    outcomes = {
        name: outcome(
            await lenient_client.get(
                "/api/banking/transactions/", params={"cursor": cursor}, headers=headers
            )
        )
        for name, cursor in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, (400, "invalid_cursor"))


@pytest.mark.asyncio
async def test_a_cursor_from_another_filter_set_only_marks_where_the_new_listing_starts(
    client: httpx.AsyncClient, company: tuple[uuid.UUID, dict[str, Any]]
) -> None:
    company_id, _ = company
    headers = token_for(company_id)
    debits = await client.get(
        "/api/banking/transactions/", params={"type": "DEBIT", "limit": 1}, headers=headers
    )
    cursor = debits.json()["next_cursor"]
    newest_debit = debits.json()["results"][0]

    credits = await client.get(
        "/api/banking/transactions/", params={"type": "CREDIT", "cursor": cursor}, headers=headers
    )

    assert credits.status_code == 200
    results = credits.json()["results"]
    assert results
    assert {t["type"] for t in results} == {"CREDIT"}
    assert all(t["date"] <= newest_debit["date"] for t in results)


# --- ids in paths ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_id_that_is_not_a_uuid_is_422_on_every_route(
    app: FastAPI, lenient_client: httpx.AsyncClient, database: Database
) -> None:
    routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "not-a-uuid", path))
        for path, operations in app.openapi()["paths"].items()
        if "{" in path
        for method in operations
    ]
    headers = token_for(uuid.uuid4())
    before = await row_counts(database)

    outcomes = {
        (method, path): outcome(
            await lenient_client.request(method, path, json={}, headers=headers)
        )
        for method, path in routes
    }

    assert len(routes) >= 15
    assert outcomes == dict.fromkeys(routes, INVALID)
    assert await row_counts(database) == before


# --- corrections of a transaction's category --------------------------------------------------


@pytest.mark.asyncio
async def test_a_malformed_correction_changes_nothing(
    lenient_client: httpx.AsyncClient,
    database: Database,
    company: tuple[uuid.UUID, dict[str, Any]],
) -> None:
    company_id, _ = company
    transaction = await first_transaction(lenient_client, company_id)
    url = f"/api/banking/transactions/{transaction['id']}"
    headers = token_for(company_id)
    cases: dict[str, Any] = {
        "empty": {},
        "empty category": {"category_id": ""},
        "category too long": {"category_id": "1" * 21},
        "category a number": {"category_id": 19000000},
        "category null": {"category_id": None},
        "NUL in category": {"category_id": "1900\x00"},
        "create_rule a word": {"category_id": "19000000", "create_rule": "maybe"},
        "apply_to_similar a list": {"category_id": "19000000", "apply_to_similar": [True]},
        "a list": ["19000000"],
        "a string": "19000000",
    }
    before = await row_counts(database)

    outcomes = {
        name: outcome(await send_json(lenient_client, "PATCH", url, body, headers))
        for name, body in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await first_transaction(lenient_client, company_id) == transaction
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_a_correction_to_an_unknown_category_changes_nothing(
    client: httpx.AsyncClient, database: Database, company: tuple[uuid.UUID, dict[str, Any]]
) -> None:
    company_id, _ = company
    transaction = await first_transaction(client, company_id)
    before = await row_counts(database)

    outcomes = [
        outcome(
            await client.patch(
                f"/api/banking/transactions/{transaction['id']}",
                json={"category_id": "77777777", "create_rule": rule, "apply_to_similar": True},
                headers=token_for(company_id),
            )
        )
        for rule in (False, True)
    ]

    assert outcomes == [(422, "unknown_category")] * 2
    assert await first_transaction(client, company_id) == transaction
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    headers = {**token_for(uuid.uuid4()), "Content-Type": "application/json"}

    outcomes = [
        outcome(
            await client.patch(
                f"/api/banking/transactions/{uuid.uuid4()}", content=b"{nope", headers=headers
            )
        ),
        outcome(await client.post("/api/banking/rules/", content=b"\xff\xfe", headers=headers)),
        outcome(await client.post("/api/banking/pluggy/callback/", content=b"", headers=headers)),
    ]

    assert outcomes == [INVALID] * 3


# --- rules -----------------------------------------------------------------------------------

GOOD_RULE = {"field": "description", "value": "uber", "category_id": "19000000"}


@pytest.mark.asyncio
async def test_a_malformed_rule_is_refused_and_not_stored(
    lenient_client: httpx.AsyncClient, database: Database
) -> None:
    cases: dict[str, Any] = {
        "empty": {},
        "no field": {"value": "uber", "category_id": "19000000"},
        "no value (no condition at all)": {"field": "description", "category_id": "19000000"},
        "no category": {"field": "description", "value": "uber"},
        "unknown field": {**GOOD_RULE, "field": "FOO"},
        "unknown match": {**GOOD_RULE, "match": "regex"},
        "empty value": {**GOOD_RULE, "value": ""},
        "value of only spaces": {**GOOD_RULE, "value": "   "},
        "value of only whitespace": {**GOOD_RULE, "value": "\t\n"},
        "value too long": {**GOOD_RULE, "value": "x" * 201},
        "value a number": {**GOOD_RULE, "value": 42},
        "NUL in value": {**GOOD_RULE, "value": "uber\x00"},
        "lone surrogate in value": {**GOOD_RULE, "value": "uber\ud800"},
        "empty category": {**GOOD_RULE, "category_id": ""},
        "negative minimum": {**GOOD_RULE, "min_amount_cents": -1},
        "maximum with decimals": {**GOOD_RULE, "max_amount_cents": 10.5},
        "minimum past bigint": {**GOOD_RULE, "min_amount_cents": BIGINT_MAX + 1},
        "huge maximum": {**GOOD_RULE, "max_amount_cents": 10**30},
        "range backwards": {**GOOD_RULE, "min_amount_cents": 500, "max_amount_cents": 100},
        "negative priority": {**GOOD_RULE, "priority": -1},
        "priority too high": {**GOOD_RULE, "priority": 10_001},
        "account not a uuid": {**GOOD_RULE, "account_id": "not-a-uuid"},
        "a list": [GOOD_RULE],
        "null": None,
    }
    headers = token_for(uuid.uuid4())
    before = await row_counts(database)

    outcomes = {
        name: outcome(await send_json(lenient_client, "POST", "/api/banking/rules/", body, headers))
        for name, body in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_a_malformed_rule_change_leaves_the_rule_as_it_was(
    lenient_client: httpx.AsyncClient,
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    created = await lenient_client.post(
        "/api/banking/rules/", json={**GOOD_RULE, "max_amount_cents": 300}, headers=headers
    )
    url = f"/api/banking/rules/{created.json()['id']}"
    cases: dict[str, tuple[Any, tuple[int, str]]] = {
        "empty value": ({"value": ""}, INVALID),
        "value of only spaces": ({"value": "   "}, INVALID),
        "NUL in value": ({"value": "a\x00b"}, INVALID),
        "unknown field": ({"field": "FOO"}, INVALID),
        "priority too high": ({"priority": 10_001}, INVALID),
        "maximum past bigint": ({"max_amount_cents": BIGINT_MAX + 1}, INVALID),
        "a list": ([], INVALID),
        "field cleared": ({"field": None}, (422, "invalid_rule")),
        "value cleared": ({"value": None}, (422, "invalid_rule")),
        "category cleared": ({"category_id": None}, (422, "invalid_rule")),
        "range backwards": (
            {"min_amount_cents": 500, "max_amount_cents": 100},
            (422, "invalid_rule"),
        ),
        "minimum above the stored maximum": ({"min_amount_cents": 500}, (422, "invalid_rule")),
        "unknown category": ({"category_id": "77777777"}, (422, "unknown_category")),
        "another company's account": ({"account_id": str(uuid.uuid4())}, (404, "not_found")),
    }

    outcomes = {
        name: outcome(await send_json(lenient_client, "PATCH", url, body, headers))
        for name, (body, _) in cases.items()
    }

    assert outcomes == {name: expected for name, (_, expected) in cases.items()}
    assert await rules_of(lenient_client, company_id) == [created.json()]


# --- the dashboard ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_bad_dashboard_period_is_refused(lenient_client: httpx.AsyncClient) -> None:
    cases: dict[str, tuple[dict[str, str], tuple[int, str]]] = {
        "30 February": ({"from": "2026-02-30"}, INVALID),
        "a word": ({"to": "today"}, INVALID),
        "a number": ({"from": "1.9e-86"}, INVALID),
        "seconds since 1970": ({"to": "1796083200"}, INVALID),
        "empty": ({"from": ""}, INVALID),
        "the end of the calendar": ({"from": "9999-12-01", "to": "9999-12-31"}, INVALID),
        "twelve months before year 1": ({"to": "0001-01-31"}, INVALID),
        "backwards": ({"from": "2026-10-01", "to": "2026-09-30"}, (422, "invalid_period")),
        "over three years": ({"from": "2020-01-01", "to": "2026-01-01"}, (422, "invalid_period")),
    }
    headers = token_for(uuid.uuid4())

    outcomes = {
        name: outcome(
            await lenient_client.get("/api/banking/summary/", params=params, headers=headers)
        )
        for name, (params, _) in cases.items()
    }

    assert outcomes == {name: expected for name, (_, expected) in cases.items()}


# --- connections -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_malformed_callback_stores_nothing_and_asks_pluggy_nothing(
    lenient_client: httpx.AsyncClient, database: Database, fake_pluggy: SandboxPluggy
) -> None:
    cases: dict[str, Any] = {
        "empty": {},
        "empty id": {"item_id": ""},
        "id too long": {"item_id": "x" * 65},
        "id a number": {"item_id": 12345},
        "id null": {"item_id": None},
        "lone surrogate in id": {"item_id": "abc\ud800"},
        "NUL in id": {"item_id": "abc\x00"},
    }
    headers = token_for(uuid.uuid4())
    before = await row_counts(database)

    outcomes = {
        name: outcome(
            await send_json(lenient_client, "POST", "/api/banking/pluggy/callback/", body, headers)
        )
        for name, body in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await row_counts(database) == before
    assert fake_pluggy.calls == []


@pytest.mark.asyncio
async def test_a_connect_token_for_a_malformed_or_unknown_item_is_refused(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    headers = token_for(uuid.uuid4())

    malformed = await client.post(
        "/api/banking/pluggy/connect-token/", json={"item_id": "abc"}, headers=headers
    )
    unknown = await client.post(
        "/api/banking/pluggy/connect-token/", json={"item_id": str(uuid.uuid4())}, headers=headers
    )

    assert outcome(malformed) == INVALID
    assert outcome(unknown) == (404, "not_found")
    assert fake_pluggy.calls_to("POST", "/connect_token") == 0


@pytest.mark.asyncio
async def test_a_malformed_mfa_answer_is_refused_and_not_sent(
    lenient_client: httpx.AsyncClient, database: Database, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    pending = fake_pluggy.add_mfa_item(str(company_id))
    waiting = await lenient_client.post(
        "/api/banking/pluggy/callback/", json={"item_id": pending["id"]}, headers=headers
    )
    url = f"/api/banking/items/{waiting.json()['id']}/mfa"
    cases: dict[str, Any] = {
        "empty": {},
        "no answer": {"parameters": {}},
        "answer a string": {"parameters": "123456"},
        "answer a number": {"parameters": {"token": 123456}},
        "answer too long": {"parameters": {"token": "1" * 1001}},
        "name too long": {"parameters": {"x" * 101: "1"}},
        "eleven answers": {"parameters": {f"p{n}": "1" for n in range(11)}},
        "lone surrogate": {"parameters": {"token": "12\ud800"}},
        "NUL": {"parameters": {"token": "12\x00"}},
    }
    before = await row_counts(database)

    outcomes = {
        name: outcome(await send_json(lenient_client, "POST", url, body, headers))
        for name, body in cases.items()
    }

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert fake_pluggy.calls_to("POST", r"/items/[^/]+/mfa") == 0
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_an_mfa_answer_to_a_connection_not_waiting_for_one_is_409(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> None:
    company_id = uuid.uuid4()
    item = await connect_bank(client, fake_pluggy, company_id)

    response = await client.post(
        f"/api/banking/items/{item['id']}/mfa",
        json={"parameters": {"token": MFA_TOKEN}},
        headers=token_for(company_id),
    )

    assert outcome(response) == (409, "mfa_not_pending")
    assert fake_pluggy.calls_to("POST", r"/items/[^/]+/mfa") == 0


@pytest.mark.asyncio
async def test_a_deleted_connection_can_be_neither_reconnected_nor_synced(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    company_id = uuid.uuid4()
    headers = token_for(company_id)
    item = await connect_bank(client, fake_pluggy, company_id)
    assert (await client.delete(f"/api/banking/items/{item['id']}", headers=headers)).is_success
    before = await row_counts(database)

    again = await client.delete(f"/api/banking/items/{item['id']}", headers=headers)
    reconnect = await client.post(f"/api/banking/items/{item['id']}/reconnect", headers=headers)
    token = await client.post(
        "/api/banking/pluggy/connect-token/", json={"item_id": item["id"]}, headers=headers
    )
    sync = await client.post(
        f"/api/banking/accounts/{item['accounts'][0]['id']}/sync/", headers=headers
    )

    assert again.status_code == 204
    assert outcome(reconnect) == outcome(token) == (409, "item_closed")
    assert outcome(sync) == (404, "not_found")
    assert await row_counts(database) == before
