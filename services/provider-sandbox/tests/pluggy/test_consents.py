"""Consents: given on connection for a year, revoked by the user, renewed by reconnecting."""

from __future__ import annotations

from datetime import datetime

import pytest

from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _consents(pluggy: Pluggy, item_id: str) -> list[dict[str, object]]:
    response = await pluggy.http.get("/consents", params={"itemId": item_id})
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


async def test_connected_item_has_a_consent_for_a_year(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    (consent,) = await _consents(pluggy, item["id"])

    assert consent["itemId"] == item["id"]
    assert consent["revokedAt"] is None
    assert item["consentExpiresAt"] == consent["expiresAt"]
    lasts = _when(str(consent["expiresAt"])) - _when(str(consent["createdAt"]))
    assert lasts.days == 365
    single = await pluggy.http.get(f"/consents/{consent['id']}")
    assert single.json() == consent


async def test_revoked_consent_stops_the_item_until_it_reconnects(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    (consent,) = await _consents(pluggy, item["id"])

    revoked = await pluggy.http.post(f"/_sandbox/consents/{consent['id']}/revoke")
    stopped = await pluggy.item(item["id"])
    await pluggy.http.patch(f"/items/{item['id']}", json={})
    await pluggy.advance(minutes=1)
    retried = await pluggy.item(item["id"])

    assert revoked.json()["revokedAt"] is not None
    assert (stopped["status"], stopped["error"]["code"]) == (
        "LOGIN_ERROR",
        "USER_AUTHORIZATION_NOT_GRANTED",
    )
    assert stopped["nextAutoSyncAt"] is None
    errors = [e for e in await pluggy.events() if e["event"] == "item/error"]
    assert [e["error"]["code"] for e in errors] == ["USER_AUTHORIZATION_NOT_GRANTED"] * 2
    assert retried["status"] == "LOGIN_ERROR"

    await pluggy.http.patch(
        f"/items/{item['id']}", json={"parameters": {"user": "user-ok", "password": "password-ok"}}
    )
    await pluggy.advance(minutes=1)

    assert (await pluggy.item(item["id"]))["status"] == "UPDATED"
    old, new = await _consents(pluggy, item["id"])
    assert old["revokedAt"] is not None
    assert new["revokedAt"] is None


async def test_consents_need_an_existing_item(pluggy: Pluggy) -> None:
    missing = await pluggy.http.get(
        "/consents", params={"itemId": "00000000-0000-4000-8000-000000000000"}
    )

    assert missing.status_code == 404
    assert missing.json()["codeDescription"] == "ITEM_NOT_FOUND"
