"""GET /api/banking/audit: owners and admins read their company's audit log, newest first,
filtered by time (`from` included, `to` excluded for an instant, included for a day) and by kind
(an action, or its family before a dot), in pages; nobody else reads it, nor another company's.
The filters are finhub_shared.audit's, tested in full with billing's audit log."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from banking.audit.models import AuditEntry
from finhub_shared.audit import job_actor
from finhub_shared.auth import TokenIssuer
from finhub_shared.db import Database

from ..conftest import token_for

pytestmark = pytest.mark.asyncio

AUDIT = "/api/banking/audit"
NOON = datetime(2026, 11, 10, 12, tzinfo=UTC)


def as_user(company_id: uuid.UUID, user_id: uuid.UUID, role: str = "owner") -> dict[str, str]:
    """Headers with an access token of this user of `company_id`."""
    issuer = TokenIssuer(
        os.environ["JWT_PRIVATE_KEY"],
        os.environ.get("JWT_ISSUER", "finhub-billing"),
        os.environ.get("JWT_AUDIENCE", "finhub"),
    )
    token = issuer.issue(user_id=user_id, company_id=company_id, role=role).token
    return {"Authorization": f"Bearer {token}"}


async def add_entries(
    database: Database, company_id: uuid.UUID, *entries: tuple[str, datetime]
) -> None:
    """Audit entries of the company, each an (action, time), written by a job."""
    async with database.transaction() as session:
        session.add_all(
            AuditEntry(company_id=company_id, actor=job_actor("test"), action=action, created_at=at)
            for action, at in entries
        )


async def actions(client: httpx.AsyncClient, company_id: uuid.UUID, **params: Any) -> list[str]:
    """The actions the owner reads with these filters (one page of 200), newest first."""
    response = await client.get(
        AUDIT, params={"limit": 200, **params}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()["items"]]


async def test_owners_and_admins_read_it_members_and_viewers_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = uuid.uuid4()
    await add_entries(database, company_id, ("rule.created", NOON))

    read = {
        role: await client.get(AUDIT, headers=token_for(company_id, role))
        for role in ("owner", "admin", "member", "viewer")
    }

    for role in ("owner", "admin"):
        assert read[role].status_code == 200
        [entry] = read[role].json()["items"]
        assert (entry["action"], entry["actor"]) == ("rule.created", {"type": "job", "id": "test"})
    for role in ("member", "viewer"):
        assert read[role].status_code == 403
        assert read[role].json()["code"] == "forbidden_role"


async def test_another_companys_entries_are_never_listed(
    client: httpx.AsyncClient, database: Database
) -> None:
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    await add_entries(database, ours, ("rule.created", NOON))
    await add_entries(database, theirs, ("rule.deleted", NOON), ("data.deleted", NOON))

    assert await actions(client, ours) == ["rule.created"]
    assert await actions(client, ours, kind="data") == []
    assert await actions(client, uuid.uuid4()) == []


async def test_filters_by_time_and_kind_and_pages_newest_first(
    client: httpx.AsyncClient, database: Database
) -> None:
    company_id = uuid.uuid4()
    await add_entries(
        database,
        company_id,
        ("connection.created", NOON - timedelta(days=1)),
        ("pix.payment_created", NOON),
        ("pix.payment_cancelled", NOON + timedelta(hours=1)),
        ("connection.removed", NOON + timedelta(days=1)),
        ("pixel.unrelated", NOON + timedelta(hours=2)),
    )

    assert await actions(client, company_id, kind="pix") == [
        "pix.payment_cancelled",
        "pix.payment_created",
    ]
    assert await actions(client, company_id, kind="connection.removed") == ["connection.removed"]
    assert await actions(client, company_id, **{"from": "2026-11-10", "to": "2026-11-10"}) == [
        "pixel.unrelated",
        "pix.payment_cancelled",
        "pix.payment_created",
    ]
    assert await actions(
        client, company_id, **{"from": "2026-11-10T09:00:00-03:00", "to": "2026-11-10T13:00:00Z"}
    ) == ["pix.payment_created"]
    first = await client.get(AUDIT, params={"limit": 3}, headers=token_for(company_id))
    second = await client.get(
        AUDIT,
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=token_for(company_id),
    )
    assert [e["action"] for e in first.json()["items"] + second.json()["items"]] == [
        "connection.removed",
        "pixel.unrelated",
        "pix.payment_cancelled",
        "pix.payment_created",
        "connection.created",
    ]
    assert second.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-11-11", "to": "2026-11-10"},
        {"from": "2026-11-10T12:00:00"},
        {"to": "tomorrow"},
        {"kind": "pix payment"},
        {"kind": "pix.*"},
    ],
    ids=["from after to", "no zone", "a word", "a space", "a wildcard"],
)
async def test_a_bad_filter_is_422_validation_error(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(AUDIT, params=params, headers=token_for(uuid.uuid4()))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_cursor_it_did_not_write_is_400_invalid_cursor(client: httpx.AsyncClient) -> None:
    response = await client.get(
        AUDIT, params={"cursor": "not-a-cursor"}, headers=token_for(uuid.uuid4())
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
