"""Bad input on every route: a 4xx JSON answer with a stable code, never a 500, nothing written.

Each test sends a table of bad inputs through `lenient_client` (a 500 comes back as an answer)
and compares the outcome of each to the one expected, so a failure names the inputs that broke.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio

from finhub_dev.testing import outcome, send_json
from finhub_shared.db import Database

from .conftest import Deliver, row_counts
from .helpers import STRONG_PASSWORD, accepted, bearer, register, subscription_of
from .scenario import Company, subscribed_company
from .stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

INVALID = (422, "validation_error")
BIGINT_MAX = 2**63 - 1
# Values no text field may hold: PostgreSQL refuses NUL, UTF-8 has no lone surrogate.
UNSTORABLE_TEXT = {"NUL": "Acme\x00Ltda", "lone surrogate": "Acme\ud800", "only NUL": "\x00"}
NOT_TEXT = {"a number": 5, "null": None, "a list": ["Acme"], "an object": {"a": 1}}
NOT_A_PLAN_ID = {
    "a string": "2",
    "true": True,
    "a fraction": 1.5,
    "zero": 0,
    "negative": -1,
    "past integer": 2**31,
    "past bigint": BIGINT_MAX + 1,
    "huge": 10**30,
    "null": None,
}
NOT_A_PERIOD = {
    "unknown": "weekly",
    "upper case": "MONTHLY",
    "empty": "",
    **UNSTORABLE_TEXT,
    **NOT_TEXT,
}
HISTORIES = (
    "/api/payments/payments/",
    "/api/payments/invoices/",
    "/api/payments/disputes/",
    "/api/notifications/",
)


def registration(**changes: Any) -> dict[str, Any]:
    """A valid registration body with `changes`."""
    body = {
        "email": f"owner-{uuid.uuid4().hex[:8]}@example.com",
        "password": STRONG_PASSWORD,
        "name": "Ana Souza",
        "company_name": "Acme Ltda",
        "accepted": accepted(),
    }
    body.update(changes)
    return body


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != field}


async def outcomes_of(
    client: httpx.AsyncClient,
    url: str,
    bodies: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> dict[str, tuple[int, str | None]]:
    """The outcome of POSTing each body (sent as raw JSON, so lone surrogates get through)."""
    return {
        name: outcome(await send_json(client, "POST", url, body, headers or {}))
        for name, body in bodies.items()
    }


# --- registration, log-in, refresh ---------------------------------------------------------------


async def test_registration_refuses_malformed_bodies_and_writes_nothing(
    lenient_client: httpx.AsyncClient, database: Database
) -> None:
    text_cases = {**UNSTORABLE_TEXT, **NOT_TEXT, "empty": "", "spaces": "  \t ", "201": "x" * 201}
    invalid: dict[str, Any] = {
        **{f"name {case}": registration(name=value) for case, value in text_cases.items()},
        **{
            f"company {case}": registration(company_name=value)
            for case, value in text_cases.items()
        },
        **{
            f"no {field}": without(registration(), field)
            for field in without(registration(), "accepted")
        },
        **{
            f"accepted {case}": registration(accepted=value)
            for case, value in {
                "a list": [accepted()],
                "terms huge": {**accepted(), "terms_of_use": "x" * 51},
                **{
                    f"policy {name}": {**accepted(), "privacy_policy": value}
                    for name, value in NOT_TEXT.items()
                    if value is not None
                },
            }.items()
        },
        **{
            f"email {case}": registration(email=value)
            for case, value in {
                "without @": "ana.example.com",
                "without domain": "ana@",
                "without name": "@example.com",
                "with a space": "ana souza@example.com",
                "huge": "a" * 10_000 + "@example.com",
                **UNSTORABLE_TEXT,
                **NOT_TEXT,
            }.items()
        },
        **{f"password {case}": registration(password=value) for case, value in NOT_TEXT.items()},
        "a list": [registration()],
        "a string": "register me",
        "null": None,
    }
    weak = {
        f"password {case}": registration(password=value)
        for case, value in {
            "empty": "",
            "spaces": " " * 12,
            "lone surrogate": "correct-horse-\ud800",
        }.items()
    }
    too_long = {"password huge": registration(password="Aa1-" * 10_000)}
    before = await row_counts(database)

    outcomes = await outcomes_of(
        lenient_client, "/api/auth/register", {**invalid, **weak, **too_long}
    )

    assert outcomes == {
        **dict.fromkeys(invalid, INVALID),
        **dict.fromkeys(weak, (422, "weak_password")),
        **dict.fromkeys(too_long, (422, "password_too_long")),
    }
    assert await row_counts(database) == before


async def test_a_password_with_nul_or_accents_registers_and_logs_in(
    lenient_client: httpx.AsyncClient,
) -> None:
    passwords = {"NUL": "correct\x00horse-42", "accents": "coração-batendo-42"}
    outcomes = {}
    for name, password in passwords.items():
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        body = registration(email=email, password=password)
        registered = await send_json(lenient_client, "POST", "/api/auth/register", body, {})
        login = {"email": email, "password": password}
        logged_in = await send_json(lenient_client, "POST", "/api/auth/login", login, {})
        outcomes[name] = (registered.status_code, logged_in.status_code)

    assert outcomes == dict.fromkeys(passwords, (201, 200))


async def test_log_in_refuses_malformed_bodies_and_issues_no_tokens(
    lenient_client: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    email = (await register(client))["user"]["email"]

    def login(**changes: Any) -> dict[str, Any]:
        # A new email per case, so the failures never add up to the log-in limit.
        body = {"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": STRONG_PASSWORD}
        return {**body, **changes}

    invalid = {
        "no email": without(login(), "email"),
        "no password": without(login(), "password"),
        "email not an email": login(email="ana"),
        "email with NUL": login(email="ana\x00@example.com"),
        "email with a lone surrogate": login(email="ana\ud800@example.com"),
        "email a number": login(email=5),
        "password a number": login(password=12345678901),
        "password null": login(password=None),
        "a list": [login()],
    }
    wrong = {
        "password with a lone surrogate": login(email=email, password="correct-horse-\ud800"),
        "password with NUL": login(email=email, password="correct\x00horse-42"),
        "empty password": login(email=email, password=""),
    }
    too_long = {"huge password": login(email=email, password="x" * 100_000)}
    tokens_before = (await row_counts(database))["refresh_tokens"]

    outcomes = await outcomes_of(
        lenient_client, "/api/auth/login", {**invalid, **wrong, **too_long}
    )

    assert outcomes == {
        **dict.fromkeys(invalid, INVALID),
        **dict.fromkeys(wrong, (401, "invalid_credentials")),
        **dict.fromkeys(too_long, (422, "password_too_long")),
    }
    assert (await row_counts(database))["refresh_tokens"] == tokens_before


async def test_refresh_refuses_malformed_tokens_and_issues_none(
    lenient_client: httpx.AsyncClient, client: httpx.AsyncClient, database: Database
) -> None:
    await register(client)
    invalid = {
        "no token": {},
        "empty": {"refresh_token": ""},
        "too long": {"refresh_token": "x" * 201},
        "lone surrogate": {"refresh_token": "abc\ud800"},
        **{case: {"refresh_token": value} for case, value in NOT_TEXT.items()},
        "a list": [{"refresh_token": "abc"}],
    }
    unknown = {
        "spaces": {"refresh_token": "   "},
        "NUL": {"refresh_token": "abc\x00"},
        "an access token": {"refresh_token": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"},
    }
    before = await row_counts(database)

    outcomes = await outcomes_of(lenient_client, "/api/auth/refresh", {**invalid, **unknown})

    assert outcomes == {
        **dict.fromkeys(invalid, INVALID),
        **dict.fromkeys(unknown, (401, "invalid_refresh_token")),
    }
    assert await row_counts(database) == before


# --- checkout, change of plan, cancel ------------------------------------------------------------


def plan_bodies(valid: dict[str, Any]) -> dict[str, Any]:
    """Bodies with every bad plan id and billing period, and with either field missing."""
    return {
        **{f"plan_id {case}": {**valid, "plan_id": value} for case, value in NOT_A_PLAN_ID.items()},
        **{
            f"billing_period {case}": {**valid, "billing_period": value}
            for case, value in NOT_A_PERIOD.items()
        },
        "no plan_id": without(valid, "plan_id"),
        "no billing_period": without(valid, "billing_period"),
        "empty object": {},
        "a list": [valid],
        "null": None,
    }


async def test_checkout_refuses_bad_plans_and_periods_before_calling_stripe(
    lenient_client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database
) -> None:
    headers = bearer((await register(lenient_client))["access_token"])
    invalid = plan_bodies({"plan_id": 2, "billing_period": "monthly"})
    unknown = {"plan 99": {"plan_id": 99, "billing_period": "monthly"}}
    before = await row_counts(database)

    outcomes = await outcomes_of(
        lenient_client, "/api/payments/checkout/", {**invalid, **unknown}, headers
    )

    assert outcomes == {
        **dict.fromkeys(invalid, INVALID),
        **dict.fromkeys(unknown, (400, "invalid_plan")),
    }
    assert fake_stripe.requests == []
    assert await row_counts(database) == before


@pytest_asyncio.fixture
async def company(
    lenient_client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    """A company with an active subscription."""
    return await subscribed_company(lenient_client, fake_stripe, deliver)


async def state(
    client: httpx.AsyncClient, database: Database, fake_stripe: SandboxStripe, company: Company
) -> tuple[dict[str, int], dict[str, Any], int]:
    """Every table's row count, the subscription as the company sees it, the Stripe calls made."""
    subscription = await subscription_of(client, company.access_token)
    return await row_counts(database), subscription, len(fake_stripe.requests)


async def test_change_plan_refuses_bad_plans_and_periods_and_changes_nothing(
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    database: Database,
    company: Company,
) -> None:
    invalid = plan_bodies({"plan_id": 3, "billing_period": "monthly"})
    refused = {
        "plan 99": ({"plan_id": 99, "billing_period": "monthly"}, (400, "invalid_plan")),
        "the same plan": ({"plan_id": 2, "billing_period": "monthly"}, (409, "plan_unchanged")),
    }
    before = await state(lenient_client, database, fake_stripe, company)

    outcomes = await outcomes_of(
        lenient_client,
        "/api/payments/subscription/change-plan/",
        {**invalid, **{case: body for case, (body, _) in refused.items()}},
        company.headers,
    )

    assert outcomes == {
        **dict.fromkeys(invalid, INVALID),
        **{case: expected for case, (_, expected) in refused.items()},
    }
    assert await state(lenient_client, database, fake_stripe, company) == before


async def test_cancel_refuses_malformed_bodies_and_cancels_nothing(
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    database: Database,
    company: Company,
) -> None:
    bodies = {
        **{f"when {case}": {"when": value} for case, value in NOT_A_PERIOD.items()},
        "when later": {"when": "later"},
        "a list": [{"when": "now"}],
        "a string": "now",
    }
    before = await state(lenient_client, database, fake_stripe, company)

    outcomes = await outcomes_of(
        lenient_client, "/api/payments/subscription/cancel/", bodies, company.headers
    )
    not_json = await lenient_client.post(
        "/api/payments/subscription/cancel/",
        content=b"{when: now",
        headers={**company.headers, "Content-Type": "application/json"},
    )

    assert outcomes == dict.fromkeys(bodies, INVALID)
    assert outcome(not_json) == INVALID
    assert await state(lenient_client, database, fake_stripe, company) == before


# --- histories, ids in paths, the stream ---------------------------------------------------------


async def test_histories_refuse_pages_out_of_range(lenient_client: httpx.AsyncClient) -> None:
    headers = bearer((await register(lenient_client))["access_token"])
    queries = {
        "page 0": {"page": "0"},
        "negative page": {"page": "-1"},
        "page a word": {"page": "first"},
        "page a fraction": {"page": "1.5"},
        "page empty": {"page": ""},
        "page_size 0": {"page_size": "0"},
        "page_size 101": {"page_size": "101"},
        "page_size past bigint": {"page_size": str(BIGINT_MAX + 1)},
        "page_size a word": {"page_size": "all"},
    }

    outcomes = {
        (path, case): outcome(await lenient_client.get(path, params=query, headers=headers))
        for path in HISTORIES
        for case, query in queries.items()
    }

    assert outcomes == {(path, case): INVALID for path in HISTORIES for case in queries}


async def test_histories_refuse_a_page_past_what_postgresql_can_skip(
    lenient_client: httpx.AsyncClient,
) -> None:
    headers = bearer((await register(lenient_client))["access_token"])
    pages = {"2**62": 2**62, "past bigint": BIGINT_MAX + 1, "huge": 10**30}

    outcomes = {
        (path, case): outcome(
            await lenient_client.get(path, params={"page": page}, headers=headers)
        )
        for path in HISTORIES
        for case, page in pages.items()
    }

    assert outcomes == {(path, case): INVALID for path in HISTORIES for case in pages}


async def test_malformed_ids_in_paths_are_refused(
    lenient_client: httpx.AsyncClient, database: Database
) -> None:
    headers = bearer((await register(lenient_client))["access_token"])
    bad_uuids = {"a word": "abc", "a number": "12", "NUL": "%00", "huge": "a" * 5000}
    bad_ints = {
        "a word": "abc",
        "zero": "0",
        "negative": "-1",
        "a fraction": "1.5",
        "past bigint": str(BIGINT_MAX + 1),
        "huge": "9" * 40,
    }
    requests = {
        **{
            (path, case): ("GET", f"{path}{value}")
            for path in HISTORIES[:3]
            for case, value in bad_uuids.items()
        },
        **{
            ("notification read", case): ("POST", f"/api/notifications/{value}/read")
            for case, value in bad_ints.items()
        },
    }
    before = await row_counts(database)

    outcomes = {
        name: outcome(await lenient_client.request(method, url, headers=headers))
        for name, (method, url) in requests.items()
    }

    assert outcomes == dict.fromkeys(requests, INVALID)
    assert await row_counts(database) == before


async def test_notification_filters_are_checked(lenient_client: httpx.AsyncClient) -> None:
    headers = bearer((await register(lenient_client))["access_token"])

    unread_only = await lenient_client.get(
        "/api/notifications/", params={"unread_only": "maybe"}, headers=headers
    )

    assert outcome(unread_only) == INVALID
