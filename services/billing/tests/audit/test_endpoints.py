"""GET /api/payments/audit: owners and admins read their company's audit log, newest first,
filtered by time (`from` included, `to` excluded for an instant, included for a day) and by kind
(an action, or its family before a dot), in pages; nobody else reads it."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from billing.audit.models import AuditEntry
from billing.audit.service import job_actor
from finhub_shared.auth import TokenIssuer, TokenVerifier
from finhub_shared.db import Database

from ..helpers import bearer, register

pytestmark = pytest.mark.asyncio

AUDIT = "/api/payments/audit"
NOON = datetime(2026, 11, 10, 12, tzinfo=UTC)


def acting_as(app: FastAPI, registered: dict[str, Any], role: str) -> dict[str, str]:
    """Headers with a token for the registered user and their session, carrying `role`."""
    verifier: TokenVerifier = app.state.token_verifier
    issuer: TokenIssuer = app.state.token_issuer
    principal = verifier.verify(registered["access_token"])
    token = issuer.issue(
        user_id=principal.user_id,
        company_id=principal.company_id,
        role=role,
        session_id=principal.session_id,
    )
    return bearer(token.token)


async def add_entries(database: Database, company_id: str, *entries: tuple[str, datetime]) -> None:
    """Audit entries of the company, each an (action, time), written by a job."""
    async with database.transaction() as session:
        session.add_all(
            AuditEntry(
                company_id=uuid.UUID(company_id),
                actor=job_actor("test"),
                action=action,
                after={"n": index},
                created_at=at,
            )
            for index, (action, at) in enumerate(entries)
        )


async def audit(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(AUDIT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def actions(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    """The actions of the entries the filters select (one page of 200), newest first."""
    body = await audit(client, headers, limit=200, **params)
    return [entry["action"] for entry in body["items"]]


async def test_the_owner_reads_the_trial_they_started_with_themselves_as_actor(
    client: httpx.AsyncClient,
) -> None:
    owner = await register(client)

    body = await audit(client, bearer(owner["access_token"]))

    [entry] = body["items"]
    assert entry["action"] == "trial_started"
    assert entry["actor"] == {"type": "user", "id": owner["user"]["id"]}
    assert entry["before"] is None
    assert entry["after"]["status"] == "trial"
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    assert body["next_cursor"] is None


async def test_an_admin_reads_it_and_a_member_or_viewer_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await register(client)

    admin = await client.get(AUDIT, headers=acting_as(app, owner, "admin"))
    refused = {
        role: await client.get(AUDIT, headers=acting_as(app, owner, role))
        for role in ("member", "viewer")
    }

    assert admin.status_code == 200
    assert [entry["action"] for entry in admin.json()["items"]] == ["trial_started"]
    for answer in refused.values():
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden_role"


async def test_another_companys_entries_are_never_listed(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    other = await register(client)
    await add_entries(database, other["company"]["id"], ("subscription.updated", NOON))

    listed = await audit(client, bearer(owner["access_token"]), limit=200)

    assert [entry["action"] for entry in listed["items"]] == ["trial_started"]
    theirs = await actions(client, bearer(other["access_token"]), kind="subscription")
    assert theirs == ["subscription.updated"]


async def test_from_is_included_and_to_excluded_for_instants_while_a_to_day_is_included(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    headers = bearer(owner["access_token"])
    await add_entries(
        database,
        owner["company"]["id"],
        ("a.before", NOON - timedelta(microseconds=1)),
        ("a.at_noon", NOON),
        ("a.last_of_the_day", datetime(2026, 11, 10, 23, 59, 59, 999999, tzinfo=UTC)),
        ("a.next_day", datetime(2026, 11, 11, tzinfo=UTC)),
    )

    from_noon = await actions(client, headers, kind="a", **{"from": "2026-11-10T12:00:00Z"})
    to_noon = await actions(client, headers, kind="a", to="2026-11-10T09:00:00-03:00")
    one_day = await actions(client, headers, kind="a", **{"from": "2026-11-10", "to": "2026-11-10"})
    mixed = await actions(
        client, headers, kind="a", **{"from": "2026-11-10T12:00:00+00:00", "to": "2026-11-11"}
    )

    assert from_noon == ["a.next_day", "a.last_of_the_day", "a.at_noon"]
    assert to_noon == ["a.before"]
    assert one_day == ["a.last_of_the_day", "a.at_noon", "a.before"]
    assert mixed == ["a.next_day", "a.last_of_the_day", "a.at_noon"]


async def test_kind_is_an_action_or_the_family_before_a_dot(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    headers = bearer(owner["access_token"])
    await add_entries(
        database,
        owner["company"]["id"],
        ("charge.refunded", NOON),
        ("charge.dispute.created", NOON + timedelta(seconds=1)),
        ("charge.dispute.closed", NOON + timedelta(seconds=2)),
        ("charges_reviewed", NOON + timedelta(seconds=3)),
        ("trialxstarted", NOON + timedelta(seconds=4)),
    )

    assert await actions(client, headers, kind="charge") == [
        "charge.dispute.closed",
        "charge.dispute.created",
        "charge.refunded",
    ]
    assert await actions(client, headers, kind="charge.dispute") == [
        "charge.dispute.closed",
        "charge.dispute.created",
    ]
    assert await actions(client, headers, kind="charge.refunded") == ["charge.refunded"]
    # `_` is a letter of the action, not a wildcard.
    assert await actions(client, headers, kind="trial_started") == ["trial_started"]
    assert await actions(client, headers, kind="dispute") == []


async def test_pages_walk_every_entry_once_newest_first_through_ties(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    headers = bearer(owner["access_token"])
    # Seven entries at three instants: ties on the time are broken by the id.
    times = [NOON + timedelta(minutes=number % 3) for number in range(7)]
    numbered = ((f"p.n{number}", at) for number, at in enumerate(times))
    await add_entries(database, owner["company"]["id"], *numbered)

    walked: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"kind": "p", "limit": 3} | ({"cursor": cursor} if cursor else {})
        body = await audit(client, headers, **params)
        walked += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len({entry["id"] for entry in walked}) == 7
    order = [(datetime.fromisoformat(entry["at"]), entry["id"]) for entry in walked]
    assert order == sorted(order, reverse=True)


def cursor_of(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


BAD_FILTERS: dict[str, dict[str, Any]] = {
    "from after to": {"from": "2026-11-11", "to": "2026-11-10"},
    "an empty window": {"from": "2026-11-10T12:00:00Z", "to": "2026-11-10T12:00:00Z"},
    "an instant without its zone": {"from": "2026-11-10T12:00:00"},
    "a word for a day": {"to": "yesterday"},
    "a number for a time": {"from": "1700000000"},
    "no such day": {"from": "2026-02-30"},
    "an instant outside UTC's years": {"from": "0001-01-01T00:00:00+05:00"},
    "a day with no next midnight": {"to": "9999-12-31"},
    "a kind in capitals": {"kind": "Charge"},
    "a kind with a wildcard": {"kind": "charge%"},
    "a kind ending in a dot": {"kind": "charge."},
    "a kind too long": {"kind": "a" * 101},
    "no limit": {"limit": 0},
    "too large a limit": {"limit": 201},
}


@pytest.mark.parametrize("params", BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
async def test_a_bad_filter_is_422_validation_error(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    owner = await register(client)

    response = await client.get(AUDIT, params=params, headers=bearer(owner["access_token"]))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


BAD_CURSORS = {
    "garbage": "not-a-cursor",
    "another listing's (a uuid id)": cursor_of(
        {"date": "2026-11-10T12:00:00+00:00", "id": str(uuid.uuid4())}
    ),
    "an id as text": cursor_of({"date": "2026-11-10T12:00:00+00:00", "id": "12"}),
    "an id past a BIGINT": cursor_of({"date": "2026-11-10T12:00:00+00:00", "id": 2**63}),
    "a date without zone": cursor_of({"date": "2026-11-10T12:00:00", "id": 12}),
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
async def test_a_cursor_it_did_not_write_is_400_invalid_cursor(
    client: httpx.AsyncClient, cursor: str
) -> None:
    owner = await register(client)

    response = await client.get(
        AUDIT, params={"cursor": cursor}, headers=bearer(owner["access_token"])
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_cursor"


async def test_links_and_credentials_an_entry_holds_are_never_shown(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await register(client)
    async with database.transaction() as session:
        session.add(
            AuditEntry(
                company_id=uuid.UUID(owner["company"]["id"]),
                actor="stripe:evt_1",
                action="payment_action_required",
                before={"action_required": None},
                after={
                    "status": "past_due",
                    "action_required": {
                        "invoice_id": "in_1",
                        "hosted_invoice_url": "https://invoice.stripe.com/i/secret-link",
                    },
                    "events": [{"client_secret": "pi_1_secret_2", "id": "pi_1"}],
                },
            )
        )

    [entry] = (await audit(client, bearer(owner["access_token"]), kind="payment_action_required"))[
        "items"
    ]

    assert entry["actor"] == {"type": "stripe", "id": "evt_1"}
    assert entry["before"] == {"action_required": None}
    assert entry["after"] == {
        "status": "past_due",
        "action_required": {"invoice_id": "in_1", "hosted_invoice_url": "[redacted]"},
        "events": [{"client_secret": "[redacted]", "id": "pi_1"}],
    }
