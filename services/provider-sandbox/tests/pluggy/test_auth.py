"""POST /auth and POST /connect_token: keys that expire, Pluggy's error shapes, token scope."""

from __future__ import annotations

import re

import jwt
import pytest

from provider_sandbox.config import get_settings
from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio


def _credentials(secret: str | None = None) -> dict[str, str]:
    settings = get_settings()
    return {
        "clientId": settings.pluggy_client_id,
        "clientSecret": secret or settings.pluggy_client_secret.get_secret_value(),
    }


async def test_wrong_client_secret_is_refused_with_pluggys_401(pluggy: Pluggy) -> None:
    response = await pluggy.http.post("/auth", json=_credentials("not-the-secret"))

    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "codeDescription": "CLIENT_KEYS_UNAUTHORIZED",
        "message": "Client keys are invalid",
    }


async def test_api_key_is_a_jwt_that_works_for_two_hours_then_is_refused(pluggy: Pluggy) -> None:
    api_key = (await pluggy.http.post("/auth", json=_credentials())).json()["apiKey"]
    headers = {"X-API-KEY": api_key}
    claims = jwt.decode(api_key, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 2 * 3600

    await pluggy.advance(minutes=119)
    assert (await pluggy.http.get("/connectors", headers=headers)).status_code == 200

    await pluggy.advance(minutes=1)
    expired = await pluggy.http.get("/connectors", headers=headers)
    assert expired.status_code == 403
    assert expired.json()["code"] == 403
    assert expired.json()["message"]


async def test_unknown_or_missing_api_key_is_refused(pluggy: Pluggy) -> None:
    unknown = await pluggy.http.get("/connectors", headers={"X-API-KEY": "made-up"})
    missing = await pluggy.http.get("/items/x", headers={"X-API-KEY": ""})

    assert unknown.status_code == 403
    assert missing.status_code == 403


def _api_routes(pluggy: Pluggy) -> list[tuple[str, str]]:
    """Every (method, path) of the Pluggy API but `POST /auth`, path parameters filled in."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path.removeprefix("/pluggy")))
        for path, operations in pluggy.app.openapi()["paths"].items()
        if path.startswith("/pluggy/") and not path.startswith(("/pluggy/_sandbox", "/pluggy/auth"))
        for method in operations
    ]


async def test_every_route_but_auth_refuses_a_missing_key(pluggy: Pluggy) -> None:
    routes = _api_routes(pluggy)
    refused = [
        (await pluggy.http.request(method, path, json={}, headers={"X-API-KEY": ""})).status_code
        for method, path in routes
    ]

    assert len(routes) > 40
    assert set(refused) == {403}


async def test_a_connect_token_reaches_only_the_widgets_routes(pluggy: Pluggy) -> None:
    token = (await pluggy.http.post("/connect_token", json={})).json()["accessToken"]
    widget = {"X-API-KEY": token}
    widgets_routes = {
        ("GET", "/connectors"),
        ("GET", "/connectors/1"),
        ("POST", "/items"),
        ("GET", "/accounts"),
        ("POST", "/payments/intents"),
        ("GET", "/payments/intents/1"),
    }

    answers = {
        (method, path): await pluggy.http.request(method, path, json={}, headers=widget)
        for method, path in _api_routes(pluggy)
    }
    refused = {route for route, answer in answers.items() if answer.status_code == 403}

    # Item 1 is not the token's own: its routes refuse it too.
    assert refused == set(answers) - widgets_routes


async def test_missing_auth_fields_are_a_400_in_pluggys_shape(pluggy: Pluggy) -> None:
    response = await pluggy.http.post("/auth", json={"clientId": "only-the-id"})

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert "clientSecret" in response.json()["message"]


async def test_connect_token_reaches_only_the_items_it_creates(pluggy: Pluggy) -> None:
    other_item = await pluggy.create_item()
    token = (
        await pluggy.http.post("/connect_token", json={"options": {"clientUserId": "user-42"}})
    ).json()["accessToken"]
    widget = {"X-API-KEY": token}

    created = await pluggy.http.post(
        "/items",
        json={"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}},
        headers=widget,
    )
    own_item = created.json()["id"]

    assert created.status_code == 200
    assert created.json()["clientUserId"] == "user-42"
    assert (await pluggy.http.get(f"/items/{own_item}", headers=widget)).status_code == 200
    assert (await pluggy.http.get(f"/items/{other_item}", headers=widget)).status_code == 403
    assert (await pluggy.http.get("/webhooks", headers=widget)).status_code == 403


async def test_connect_token_expires_after_thirty_minutes(pluggy: Pluggy) -> None:
    item_id = await pluggy.create_item()
    token = (await pluggy.http.post("/connect_token", json={"itemId": item_id})).json()
    widget = {"X-API-KEY": token["accessToken"]}

    await pluggy.advance(minutes=29)
    assert (await pluggy.http.get(f"/items/{item_id}", headers=widget)).status_code == 200
    await pluggy.advance(minutes=1)
    assert (await pluggy.http.get(f"/items/{item_id}", headers=widget)).status_code == 403


async def test_connect_token_for_an_unknown_item_is_pluggys_404(pluggy: Pluggy) -> None:
    response = await pluggy.http.post(
        "/connect_token", json={"itemId": "00000000-0000-4000-8000-000000000000"}
    )

    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "codeDescription": "ITEM_NOT_FOUND",
        "message": "item not found",
    }
