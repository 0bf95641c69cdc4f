"""Bad input to PIX payments and automatic PIX: 422, nothing stored, Pluggy never asked."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from banking.runtime import Runtime
from finhub_dev.testing import outcome, send_json
from finhub_shared.db import Database

from .conftest import FrozenClock, deliver_pluggy_event, row_counts, token_for
from .pluggy_sandbox import SandboxPluggy, error

INVALID = (422, "validation_error")
PAYMENT = {"amount_cents": 15050, "recipient": {"pix_key": "fornecedor@example.com"}}
BANK_ACCOUNT = {
    "tax_number": "12345678000190",
    "name": "Fornecedor LTDA",
    "institution_id": str(uuid.uuid4()),
    "branch": "0001",
    "account_number": "12345-6",
}
MANDATE = {
    "recipient": {"pix_key": "12345678000190"},
    "interval": "MONTHLY",
    "start_date": "2026-12-10",
    "fixed_amount_cents": 9990,
}


async def outcomes_of(
    client: httpx.AsyncClient, url: str, cases: dict[str, Any], headers: dict[str, str]
) -> dict[str, tuple[int, str | None]]:
    return {
        name: outcome(await send_json(client, "POST", url, body, headers))
        for name, body in cases.items()
    }


@pytest.mark.asyncio
async def test_a_malformed_pix_payment_is_refused_before_pluggy_is_asked(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    cases: dict[str, Any] = {
        "empty": {},
        "no amount": {"recipient": PAYMENT["recipient"]},
        "zero": {**PAYMENT, "amount_cents": 0},
        "negative": {**PAYMENT, "amount_cents": -100},
        "over R$ 100 million": {**PAYMENT, "amount_cents": 100_000_000_01},
        "past bigint": {**PAYMENT, "amount_cents": 2**63},
        "with decimals": {**PAYMENT, "amount_cents": 150.5},
        "a word": {**PAYMENT, "amount_cents": "cem"},
        "no recipient": {"amount_cents": 15050},
        "empty recipient": {**PAYMENT, "recipient": {}},
        "empty PIX key": {**PAYMENT, "recipient": {"pix_key": ""}},
        "PIX key too long": {**PAYMENT, "recipient": {"pix_key": "k" * 101}},
        "lone surrogate in PIX key": {**PAYMENT, "recipient": {"pix_key": "a\ud800@example.com"}},
        "tax number with dots": {
            **PAYMENT,
            "recipient": {**BANK_ACCOUNT, "tax_number": "12.345.678/0001-90"},
        },
        "branch a word": {**PAYMENT, "recipient": {**BANK_ACCOUNT, "branch": "centro"}},
        "unknown account type": {
            **PAYMENT,
            "recipient": {**BANK_ACCOUNT, "account_type": "PIGGY_BANK"},
        },
        "empty description": {**PAYMENT, "description": ""},
        "description too long": {**PAYMENT, "description": "d" * 141},
        "unknown schedule": {**PAYMENT, "schedule": {"type": "hourly"}},
        "single without date": {**PAYMENT, "schedule": {"type": "single"}},
        "single on 30 February": {
            **PAYMENT,
            "schedule": {"type": "single", "date": "2027-02-30"},
        },
        "one daily occurrence": {
            **PAYMENT,
            "schedule": {"type": "daily", "start_date": "2027-01-04", "occurrences": 1},
        },
        "61 weekly occurrences": {
            **PAYMENT,
            "schedule": {
                "type": "weekly",
                "start_date": "2027-01-04",
                "occurrences": 61,
                "day_of_week": "MONDAY",
            },
        },
        "unknown weekday": {
            **PAYMENT,
            "schedule": {
                "type": "weekly",
                "start_date": "2027-01-04",
                "occurrences": 2,
                "day_of_week": "FUNDAY",
            },
        },
        "day 32 of the month": {
            **PAYMENT,
            "schedule": {
                "type": "monthly",
                "start_date": "2027-01-04",
                "occurrences": 2,
                "day_of_month": 32,
            },
        },
        "a list": [PAYMENT],
    }
    headers = token_for(uuid.uuid4())
    before = await row_counts(database)

    outcomes = await outcomes_of(lenient_client, "/api/banking/pix/payments/", cases, headers)

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await row_counts(database) == before
    assert fake_pluggy.calls == []


@pytest.mark.asyncio
async def test_a_malformed_mandate_is_refused_before_pluggy_is_asked(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    ranged = {k: v for k, v in MANDATE.items() if k != "fixed_amount_cents"}
    cases: dict[str, Any] = {
        "empty": {},
        "unknown interval": {**MANDATE, "interval": "DAILY"},
        "no start": {k: v for k, v in MANDATE.items() if k != "start_date"},
        "start a word": {**MANDATE, "start_date": "soon"},
        "start in seconds since 1970": {**MANDATE, "start_date": 1796083200},
        "expires before it starts": {**MANDATE, "expires_on": "2026-12-09"},
        "neither fixed nor range": ranged,
        "fixed and range": {**MANDATE, "maximum_amount_cents": 50000},
        "range backwards": {
            **ranged,
            "minimum_amount_cents": 50000,
            "maximum_amount_cents": 100,
        },
        "zero fixed amount": {**MANDATE, "fixed_amount_cents": 0},
        "negative maximum": {**ranged, "maximum_amount_cents": -1},
        "first payment of zero": {**MANDATE, "first_payment": {"amount_cents": 0}},
        "first payment on a bad day": {
            **MANDATE,
            "first_payment": {"amount_cents": 9990, "date": "2026-12-32"},
        },
        "description too long": {**MANDATE, "description": "d" * 141},
    }
    headers = token_for(uuid.uuid4())
    before = await row_counts(database)

    outcomes = await outcomes_of(lenient_client, "/api/banking/pix/automatic/", cases, headers)

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await row_counts(database) == before
    assert fake_pluggy.calls == []


@pytest.mark.asyncio
async def test_a_malformed_cycle_payment_is_refused_before_pluggy_is_asked(
    worker_runtime: Runtime,
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    clock: FrozenClock,
) -> None:
    headers = token_for(uuid.uuid4())
    mandate = await lenient_client.post(
        "/api/banking/pix/automatic/", json=MANDATE, headers=headers
    )
    [request_id] = fake_pluggy.payment_requests
    fake_pluggy.set_payment_request_status(request_id, "AUTHORIZED")
    await deliver_pluggy_event(
        worker_runtime, "payment_request/updated", {"paymentRequestId": request_id}
    )
    when = (clock.now.date() + timedelta(days=5)).isoformat()
    cases: dict[str, Any] = {
        "empty": {},
        "no date": {"amount_cents": 9990},
        "date a word": {"amount_cents": 9990, "date": "next week"},
        "zero": {"amount_cents": 0, "date": when},
        "negative": {"amount_cents": -9990, "date": when},
        "over R$ 100 million": {"amount_cents": 100_000_000_01, "date": when},
        "description too long": {"amount_cents": 9990, "date": when, "description": "d" * 141},
    }
    before = await row_counts(database)
    calls = len(fake_pluggy.calls)

    outcomes = await outcomes_of(
        lenient_client,
        f"/api/banking/pix/automatic/{mandate.json()['id']}/payments/",
        cases,
        headers,
    )

    assert outcomes == dict.fromkeys(cases, INVALID)
    assert await row_counts(database) == before
    assert fake_pluggy.calls[calls:] == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        {**PAYMENT, "description": "aluguel\x00"},
        {**PAYMENT, "recipient": {"pix_key": "fornecedor@example.com\x00"}},
        {**MANDATE, "description": "aluguel\x00"},
    ],
    ids=["NUL in description", "NUL in PIX key", "NUL in mandate"],
)
async def test_pix_text_postgresql_cannot_store_is_422_before_pluggy_is_asked(
    lenient_client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    database: Database,
    body: dict[str, Any],
) -> None:
    url = "/api/banking/pix/payments/" if "amount_cents" in body else "/api/banking/pix/automatic/"
    before = await row_counts(database)

    response = await send_json(lenient_client, "POST", url, body, token_for(uuid.uuid4()))

    assert outcome(response) == INVALID
    assert await row_counts(database) == before
    assert fake_pluggy.calls == []


@pytest.mark.asyncio
async def test_a_pix_key_pluggy_cannot_find_is_a_422_with_pluggys_reason(
    lenient_client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, database: Database
) -> None:
    fake_pluggy.fail_next(
        "POST",
        "/payments/recipients",
        error(400, "PIX_KEY_NOT_FOUND", "Chave PIX não encontrada no DICT"),
    )
    before = await row_counts(database)

    response = await lenient_client.post(
        "/api/banking/pix/payments/",
        json={"amount_cents": 5000, "recipient": {"pix_key": "ninguem@example.com"}},
        headers=token_for(uuid.uuid4()),
    )

    assert outcome(response) == (422, "payment_refused")
    assert "Chave PIX não encontrada no DICT" in response.json()["message"]
    assert response.json()["provider_code"] == "PIX_KEY_NOT_FOUND"
    assert await row_counts(database) == before
