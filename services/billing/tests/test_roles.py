"""Every route that changes data checks the caller's role: owners and admins manage billing,
members also change day-to-day data, viewers only read (403 forbidden_role)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from billing.notifications.service import notify
from finhub_shared.auth import TokenIssuer, TokenVerifier
from finhub_shared.db import Database

from .helpers import bearer, register

pytestmark = pytest.mark.asyncio

# Each route that changes company data, with a body it would accept.
PLAN = {"plan_id": 1, "billing_period": "monthly"}
WRITES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", "/api/payments/checkout"): PLAN,
    ("POST", "/api/payments/portal"): None,
    ("POST", "/api/payments/subscription/cancel"): {"when": "now"},
    ("POST", "/api/payments/subscription/change-plan"): PLAN,
    ("POST", "/api/notifications/{notification_id}/read"): None,
    ("POST", "/api/payments/disputes/{dispute_id}/evidence"): {"customer_name": "Ana Souza"},
    ("POST", "/api/payments/disputes/{dispute_id}/evidence/files"): None,
    ("POST", "/api/companies/me/exports"): None,
    ("POST", "/api/companies/me/deletion"): {"company_name": "Acme Ltda"},
}
# What only the owner may do (the company's whole data).
OWNER_ONLY = {"/api/companies/me/exports", "/api/companies/me/deletion"}
# What acts on the caller's own credentials only, whatever their role.
OWN_CREDENTIALS = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/logout-everywhere"),
    ("POST", "/api/companies/me/consents"),
}


def acting_as(app: FastAPI, registered: dict[str, Any], role: str) -> dict[str, str]:
    """Headers with a token of billing's own issuer for the registered user and their session,
    carrying `role` instead of their own."""
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


async def test_every_route_that_changes_data_is_listed_here(app: FastAPI) -> None:
    writes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }

    assert writes - OWN_CREDENTIALS == set(WRITES)


@pytest.mark.parametrize(("method", "path"), sorted(WRITES))
async def test_a_viewer_may_not_change_data(
    app: FastAPI, client: httpx.AsyncClient, database: Database, method: str, path: str
) -> None:
    registered = await register(client)
    async with database.transaction() as session:
        notification = await notify(session, UUID(registered["company"]["id"]), "test", "T", "M")

    response = await client.request(
        method,
        path.format(notification_id=notification.id, dispute_id=uuid4()),
        json=WRITES[(method, path)],
        headers=acting_as(app, registered, "viewer"),
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden_role",
        "message": "This action needs one of the roles: "
        + (
            "owner."
            if path in OWNER_ONLY
            else "owner, admin, member."
            if "notifications" in path
            else "owner, admin."
        ),
    }


async def test_a_viewer_still_reads(app: FastAPI, client: httpx.AsyncClient) -> None:
    viewer = acting_as(app, await register(client), "viewer")

    for path in ("/api/companies/me", "/api/notifications/", "/api/payments/subscription/"):
        assert (await client.get(path, headers=viewer)).status_code == 200


async def test_a_member_marks_notifications_read_but_does_not_manage_billing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    registered = await register(client)
    member = acting_as(app, registered, "member")
    async with database.transaction() as session:
        notification = await notify(session, UUID(registered["company"]["id"]), "test", "T", "M")

    read = await client.post(f"/api/notifications/{notification.id}/read", headers=member)
    cancel = await client.post("/api/payments/subscription/cancel/", json={}, headers=member)

    assert read.status_code == 200
    assert (cancel.status_code, cancel.json()["code"]) == (403, "forbidden_role")
