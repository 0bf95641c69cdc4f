"""Whatever JSON body or query value arrives, banking answers below 500, and a 4xx is our JSON.

Bodies mix the routes' own field names with arbitrary JSON, so some pass validation and reach
the services and the database; text includes NUL, lone surrogates, and every other code point.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from banking.runtime import Runtime
from finhub_dev.testing import send_json
from finhub_shared.db import Database

from .conftest import connect_bank, run_queued_syncs, token_for
from .pluggy_sandbox import SandboxPluggy

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Values at the edges, where bugs live, offered as often as random ones (as a fuzzer's
# dictionary does): blanks, control characters, the ends of BIGINT and of the calendar.
edge_text = st.sampled_from(["", " ", "\t\n", "\x00", "a\x00b", "%", "_", "\\", "'", "x" * 201])
edge_cents = st.sampled_from([-1, 0, 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1])
edge_dates = st.sampled_from(["0001-01-01", "0001-12-31", "9999-12-31", "1900-01-01", "2999-12-31"])
# A URL cannot carry a lone surrogate (no UTF-8 for it); a JSON body can, as "\ud800".
query_text = edge_text | st.text(max_size=40) | st.text(st.characters(categories=["Cc"]))
any_text = query_text | st.text(st.characters(categories=["Cs", "Cc"]), max_size=5)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
uuids = st.uuids().map(str)
dates = edge_dates | st.dates().map(str)
cents = edge_cents | st.integers(min_value=-(2**64), max_value=2**64)
category_ids = st.sampled_from(["19000000", "05000000", "11010000", "77777777", ""])


# Marks a field to leave out of the body.
DROP = object()


def bodies(valid: dict[str, Any], fields: dict[str, st.SearchStrategy[Any]]) -> Any:
    """Mostly `valid` with one or two fields changed (to a plausible value or any JSON) or
    dropped, so many reach the services and the database; sometimes any JSON at all."""
    change = st.sampled_from(sorted(fields)).flatmap(
        lambda name: st.tuples(st.just(name), fields[name] | json_values | st.just(DROP))
    )
    changes = st.lists(change, min_size=1, max_size=2).map(dict)
    changed = changes.map(
        lambda new: {name: value for name, value in {**valid, **new}.items() if value is not DROP}
    )
    return changed | json_values


rule_bodies = bodies(
    {"field": "description", "value": "uber", "category_id": "19000000"},
    {
        "field": st.sampled_from(["description", "merchant", "FOO"]),
        "match": st.sampled_from(["contains", "equals", "regex"]),
        "value": any_text,
        "min_amount_cents": cents,
        "max_amount_cents": cents,
        "account_id": uuids,
        "category_id": category_ids | any_text,
        "priority": st.integers(),
    },
)
correction_bodies = bodies(
    {"category_id": "19000000"},
    {
        "category_id": category_ids | any_text,
        "create_rule": st.booleans(),
        "apply_to_similar": st.booleans(),
    },
)
listing_queries = st.dictionaries(
    st.sampled_from(
        [
            "account_id",
            "date_from",
            "date_to",
            "category_id",
            "type",
            "q",
            "amount_min_cents",
            "amount_max_cents",
            "cursor",
            "limit",
        ]
    ),
    query_text | dates | uuids | cents.map(str) | st.sampled_from(["DEBIT", "CREDIT", "FOO"]),
    max_size=5,
)
period_queries = st.dictionaries(st.sampled_from(["from", "to"]), dates | query_text, max_size=2)


def assert_answered(response: httpx.Response) -> None:
    """Below 500, and an error is `{"code", "message"}`."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["code"], str)
        assert body["code"]
        assert isinstance(body["message"], str)


@pytest_asyncio.fixture
async def company(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
) -> tuple[uuid.UUID, str, str]:
    """A company with a synced transaction and a rule: it, the transaction's id and the rule's."""
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id)
    fake_pluggy.add_transactions(next(iter(fake_pluggy.accounts)), 3, merchant="Uber")
    await run_queued_syncs(worker_runtime)
    headers = token_for(company_id)
    listed = await client.get("/api/banking/transactions/", headers=headers)
    rule = await client.post(
        "/api/banking/rules/",
        json={"field": "merchant", "value": "uber", "category_id": "19000000"},
        headers=headers,
    )
    return company_id, listed.json()["results"][0]["id"], rule.json()["id"]


@pytest.mark.asyncio
@FUZZ
@given(body=rule_bodies)
async def test_any_rule_body_is_answered_below_500(
    lenient_client: httpx.AsyncClient, body: Any
) -> None:
    response = await send_json(
        lenient_client, "POST", "/api/banking/rules/", body, token_for(uuid.uuid4())
    )

    assert_answered(response)


@pytest.mark.asyncio
@FUZZ
@given(body=rule_bodies)
async def test_any_rule_change_is_answered_below_500(
    lenient_client: httpx.AsyncClient, company: tuple[uuid.UUID, str, str], body: Any
) -> None:
    company_id, _, rule_id = company

    response = await send_json(
        lenient_client, "PATCH", f"/api/banking/rules/{rule_id}", body, token_for(company_id)
    )

    assert_answered(response)


@pytest.mark.asyncio
@FUZZ
@given(body=correction_bodies)
async def test_any_category_correction_is_answered_below_500(
    lenient_client: httpx.AsyncClient, company: tuple[uuid.UUID, str, str], body: Any
) -> None:
    company_id, transaction_id, _ = company

    response = await send_json(
        lenient_client,
        "PATCH",
        f"/api/banking/transactions/{transaction_id}",
        body,
        token_for(company_id),
    )

    assert_answered(response)


@pytest.mark.asyncio
@FUZZ
@given(body=bodies({"item_id": "pluggy-item"}, {"item_id": any_text | uuids}))
async def test_any_callback_body_is_answered_below_500(
    lenient_client: httpx.AsyncClient, body: Any
) -> None:
    response = await send_json(
        lenient_client, "POST", "/api/banking/pluggy/callback/", body, token_for(uuid.uuid4())
    )

    assert_answered(response)


@pytest.mark.asyncio
@FUZZ
@given(params=listing_queries)
async def test_any_listing_query_is_answered_below_500(
    lenient_client: httpx.AsyncClient, company: tuple[uuid.UUID, str, str], params: dict[str, str]
) -> None:
    company_id, _, _ = company

    response = await lenient_client.get(
        "/api/banking/transactions/", params=params, headers=token_for(company_id)
    )

    assert_answered(response)


@pytest.mark.asyncio
@FUZZ
@given(params=period_queries)
async def test_any_dashboard_period_is_answered_below_500(
    lenient_client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await lenient_client.get(
        "/api/banking/summary/", params=params, headers=token_for(uuid.uuid4())
    )

    assert_answered(response)
