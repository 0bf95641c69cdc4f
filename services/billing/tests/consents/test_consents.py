"""Consent at sign-up: the terms of use and the privacy policy in force must be accepted; billing
keeps which versions, when and from which address, and shows them to the user."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from billing.config import get_settings
from billing.consents import service
from finhub_shared.db import Database

from ..conftest import FrozenClock, row_counts
from ..helpers import STRONG_PASSWORD, accepted, bearer

pytestmark = pytest.mark.asyncio

CLIENT_ADDRESS = "203.0.113.7"


def sign_up(**changes: Any) -> dict[str, Any]:
    body = {
        "email": f"owner-{uuid.uuid4().hex[:8]}@example.com",
        "password": STRONG_PASSWORD,
        "name": "Ana Souza",
        "company_name": "Padaria Boa",
        "accepted": accepted(),
    }
    return {**body, **changes}


async def test_the_versions_in_force_are_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/legal-documents")

    assert response.status_code == 200
    assert response.json() == accepted()


async def test_a_sign_up_keeps_the_versions_accepted_when_and_from_where(
    app: FastAPI, clock: FrozenClock
) -> None:
    transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        registered = await client.post("/api/auth/register", json=sign_up())
        assert registered.status_code == 201, registered.text
        shown = await client.get(
            "/api/companies/me/consents", headers=bearer(registered.json()["access_token"])
        )

    assert shown.status_code == 200
    body = shown.json()
    assert body["current"] == accepted()
    assert body["up_to_date"] is True
    assert sorted(
        (c["document"], c["version"], c["client_address"]) for c in body["consents"]
    ) == sorted((document, version, CLIENT_ADDRESS) for document, version in accepted().items())
    assert {c["accepted_at"] for c in body["consents"]} == {
        clock.now.isoformat().replace("+00:00", "Z")
    }


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"accepted": None}, ["terms_of_use", "privacy_policy"]),
        ({"accepted": {}}, ["terms_of_use", "privacy_policy"]),
        ({"accepted": {"terms_of_use": get_settings().terms_version}}, ["privacy_policy"]),
        ({"accepted": {**accepted(), "terms_of_use": "  "}}, ["terms_of_use"]),
    ],
    ids=["no acceptance", "empty", "no privacy policy", "blank terms"],
)
async def test_a_sign_up_without_acceptance_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, database: Database, changes: dict[str, Any], missing: list[str]
) -> None:
    before = await row_counts(database)

    response = await client.post("/api/auth/register", json=sign_up(**changes))

    assert response.status_code == 422
    assert response.json()["code"] == "consent_required"
    assert response.json()["missing"] == missing
    assert response.json()["current"] == accepted()
    assert await row_counts(database) == before


async def test_a_sign_up_without_the_field_at_all_is_refused(client: httpx.AsyncClient) -> None:
    body = {name: value for name, value in sign_up().items() if name != "accepted"}

    response = await client.post("/api/auth/register", json=body)

    assert (response.status_code, response.json()["code"]) == (422, "consent_required")


@pytest.mark.parametrize("document", ["terms_of_use", "privacy_policy"])
async def test_accepting_an_older_version_is_refused(
    client: httpx.AsyncClient, database: Database, document: str
) -> None:
    before = await row_counts(database)

    response = await client.post(
        "/api/auth/register", json=sign_up(accepted={**accepted(), document: "2020-01-01"})
    )

    assert response.status_code == 422
    assert response.json()["code"] == "consent_outdated"
    assert response.json()["outdated"] == [document]
    assert await row_counts(database) == before


async def test_consents_of_an_older_version_are_shown_as_not_up_to_date(
    client: httpx.AsyncClient, database: Database
) -> None:
    registered = (await client.post("/api/auth/register", json=sign_up())).json()
    newer = get_settings().model_copy(update={"privacy_policy_version": "2027-01-01"})

    async with database.sessions() as session:
        shown = await service.of_user(session, uuid.UUID(registered["user"]["id"]), newer)

    assert shown.up_to_date is False
    assert shown.current.privacy_policy == "2027-01-01"
    assert len(shown.consents) == 2


async def test_consents_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/companies/me/consents")

    assert (response.status_code, response.json()["code"]) == (401, "token_missing")


async def test_a_user_accepts_a_new_version_once(app: FastAPI, clock: FrozenClock) -> None:
    transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        registered = (await client.post("/api/auth/register", json=sign_up())).json()
        headers = bearer(registered["access_token"])
        app.state.settings = get_settings().model_copy(
            update={"privacy_policy_version": "2027-01-01"}
        )
        clock.advance(days=30)
        before = (await client.get("/api/companies/me/consents", headers=headers)).json()
        older = await client.post("/api/companies/me/consents", json=accepted(), headers=headers)
        newer = {**accepted(), "privacy_policy": "2027-01-01"}
        answers = [
            await client.post("/api/companies/me/consents", json=newer, headers=headers)
            for _ in range(2)
        ]

    assert before["up_to_date"] is False
    assert (older.status_code, older.json()["code"]) == (422, "consent_outdated")
    assert [answer.status_code for answer in answers] == [200, 200]
    shown = answers[-1].json()
    assert shown["up_to_date"] is True
    assert len(shown["consents"]) == 3
    assert (shown["consents"][-1]["document"], shown["consents"][-1]["version"]) == (
        "privacy_policy",
        "2027-01-01",
    )
    assert shown["consents"][-1]["accepted_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert shown["consents"][-1]["client_address"] == CLIENT_ADDRESS
