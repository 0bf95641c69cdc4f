"""The sandbox answers as Pluggy documents: every request here is checked against the response
schema Pluggy's OpenAPI document (`pluggy-oas3.json`, a copy of https://api.pluggy.ai/oas3.json)
gives for its operation and status, so the stand-in cannot drift from the real API.

Two readings of that document, each on Pluggy's own evidence:
- An optional field may be `null`: the schemas type most optional fields strictly, while Pluggy's
  examples in the same document answer `null` for them (`revokedAt`, `paymentData`, `providerId`).
  Required fields get no such leeway.
- Where a schema contradicts the document's own examples and descriptions, those win:
  `GET /categories` answers a page of categories (its schema says a bare array), and Automatic
  PIX dates are days, "YYYY-MM-DD" (their schema says date-time).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from provider_sandbox.config import get_settings
from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio

DOCUMENT = Path(__file__).with_name("pluggy-oas3.json")
PAYER = {"cpf": "529.982.247-25", "name": "Ana Beatriz Oliveira"}
Json = dict[str, Any]


def _optional_fields_may_be_null(node: Any) -> None:
    if isinstance(node, list):
        for child in node:
            _optional_fields_may_be_null(child)
        return
    if not isinstance(node, dict):
        return
    for child in node.values():
        _optional_fields_may_be_null(child)
    properties = node.get("properties")
    if isinstance(properties, dict):
        required = set(node.get("required", []))
        for name, field in properties.items():
            if name not in required and isinstance(field, dict):
                properties[name] = {"anyOf": [field, {"type": "null"}]}


@cache
def _raw_document() -> Json:
    document: Json = json.loads(DOCUMENT.read_text())
    return document


# (schema, field) typed date-time whose description and examples are "YYYY-MM-DD".
DAYS = (
    ("AutomaticPix", "startDate"),
    ("AutomaticPix", "expiresAt"),
    ("AutomaticPixFirstPayment", "date"),
)


@cache
def _schema() -> OpenApiSchema:
    document = copy.deepcopy(_raw_document())
    schemas = document["components"]["schemas"]
    for name, field in DAYS:
        schemas[name]["properties"][field]["format"] = "date"
    _optional_fields_may_be_null(document["components"])
    _optional_fields_may_be_null(document["paths"])
    categories = document["paths"]["/categories"]["get"]["responses"]["200"]["content"]
    categories["application/json"]["schema"] = {
        "type": "object",
        "required": ["page", "total", "totalPages", "results"],
        "properties": {
            "page": {"type": "number"},
            "total": {"type": "number"},
            "totalPages": {"type": "number"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
        },
    }
    schema: OpenApiSchema = schemathesis.openapi.from_dict(document)
    return schema


class Contract:
    """Calls the sandbox's Pluggy API and checks each answer against Pluggy's document."""

    def __init__(self, pluggy: Pluggy) -> None:
        self.http = pluggy.http

    async def call(
        self, method: str, operation: str, status: int = 200, /, path: str = "", **kwargs: Any
    ) -> httpx.Response:
        """`method path` (the operation's path when none is given), which must answer `status`
        with the body Pluggy documents for `operation` and that status."""
        response = await self.http.request(method, path or operation, **kwargs)
        assert response.status_code == status, f"{method} {path or operation}: {response.text}"
        documented = _raw_document()["paths"][operation][method.lower()]["responses"]
        assert str(status) in documented, f"Pluggy documents no {status} for {method} {operation}"
        _schema()[operation][method].validate_response(response)
        return response

    async def json(
        self, method: str, operation: str, status: int = 200, /, path: str = "", **kwargs: Any
    ) -> Json:
        """`call`, then the answer's JSON object."""
        body: Json = (await self.call(method, operation, status, path=path, **kwargs)).json()
        return body


@pytest.fixture
def contract(pluggy: Pluggy) -> Contract:
    return Contract(pluggy)


async def _today(pluggy: Pluggy) -> date:
    now = (await pluggy.http.get("/_sandbox/clock")).json()["now"]
    return date.fromisoformat(now[:10])


async def test_every_sandbox_route_is_a_documented_pluggy_operation(pluggy: Pluggy) -> None:
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    documented = {
        (method, shape(path))
        for path, operations in _raw_document()["paths"].items()
        for method in operations
    }
    served = {
        (method, shape(path.removeprefix("/pluggy")))
        for path, operations in pluggy.app.openapi()["paths"].items()
        if path.startswith("/pluggy/") and not path.startswith("/pluggy/_sandbox")
        for method in operations
    }

    assert served - documented == set()


async def test_auth_connectors_and_the_widgets_item(pluggy: Pluggy, contract: Contract) -> None:
    token = await contract.json("POST", "/connect_token", json={"options": {"clientUserId": "u"}})
    widget = {"X-API-KEY": token["accessToken"]}
    connectors = await contract.json("GET", "/connectors", params={"sandbox": "true"})
    await contract.call("GET", "/connectors/{id}", path="/connectors/0")
    credentials = {"user": "user-ok", "password": "password-ok"}
    item = await contract.json(
        "POST", "/items", json={"connectorId": 0, "parameters": credentials}, headers=widget
    )
    await pluggy.advance(minutes=1)
    await contract.call("GET", "/items/{id}", path=f"/items/{item['id']}", headers=widget)
    await contract.call("GET", "/accounts", params={"itemId": item["id"]}, headers=widget)

    assert connectors["results"]


async def test_an_item_its_accounts_transactions_and_consents(
    pluggy: Pluggy, contract: Contract
) -> None:
    item = await pluggy.connect()
    item_path = f"/items/{item['id']}"
    accounts = await contract.json("GET", "/accounts", params={"itemId": item["id"]})
    account_id = accounts["results"][0]["id"]
    await contract.call("GET", "/accounts/{id}", path=f"/accounts/{account_id}")
    await pluggy.http.post(f"/_sandbox/items/{item['id']}/transactions", json={"count": 3})
    page = await contract.json("GET", "/v2/transactions", params={"accountId": account_id})
    transaction_id = page["results"][0]["id"]
    await contract.call("GET", "/transactions", params={"accountId": account_id, "pageSize": 2})
    await contract.call("GET", "/transactions/{id}", path=f"/transactions/{transaction_id}")
    await contract.call(
        "PATCH",
        "/transactions/{id}",
        path=f"/transactions/{transaction_id}",
        json={"categoryId": "05070000"},
    )
    categories = await contract.json("GET", "/categories")
    await contract.call("GET", "/categories/{id}", path="/categories/05070000")
    consents = await contract.json("GET", "/consents", params={"itemId": item["id"]})
    consent_path = f"/consents/{consents['results'][0]['id']}"
    await contract.call("GET", "/consents/{id}", path=consent_path)
    await contract.call(
        "PATCH", "/items/{id}/disable-auto-sync", path=f"{item_path}/disable-auto-sync"
    )
    await contract.call("PATCH", "/items/{id}", path=item_path, json={})
    await contract.call("DELETE", "/items/{id}", path=item_path)

    assert {"01000000", "05070000"} <= {category["id"] for category in categories["results"]}


async def test_an_item_asking_for_mfa(pluggy: Pluggy, contract: Contract) -> None:
    item_id = await pluggy.create_item("user-ok", 5, parameters={"token": ""})
    await pluggy.advance(seconds=30)
    waiting = await contract.json("GET", "/items/{id}", path=f"/items/{item_id}")
    answer = {waiting["parameter"]["name"]: "123456"}

    await contract.call("POST", "/items/{id}/mfa", path=f"/items/{item_id}/mfa", json=answer)


async def test_webhooks(contract: Contract) -> None:
    hook = {"url": "https://hooks.example/pluggy", "event": "item/created"}
    created = await contract.json("POST", "/webhooks", 201, json=hook)
    hook_path = f"/webhooks/{created['id']}"

    await contract.call("GET", "/webhooks")
    await contract.call("GET", "/webhooks/{id}", path=hook_path)
    await contract.call("PATCH", "/webhooks/{id}", path=hook_path, json={"event": "item/error"})
    await contract.call("DELETE", "/webhooks/{id}", path=hook_path)


async def test_auth_and_errors(contract: Contract) -> None:
    settings = get_settings()
    credentials = {
        "clientId": settings.pluggy_client_id,
        "clientSecret": settings.pluggy_client_secret.get_secret_value(),
    }
    await contract.call("POST", "/auth", json=credentials)
    await contract.call("GET", "/items/{id}", 404, path="/items/unknown")
    await contract.call("POST", "/auth", 401, json={"clientId": "x", "clientSecret": "y"})
    await contract.call("POST", "/connect_token", 403, headers={"X-API-KEY": "made-up"})


async def _recipient(contract: Contract) -> Json:
    institutions = await contract.json("GET", "/payments/recipients/institutions")
    itau = next(i for i in institutions["results"] if i["compe"] == "341")
    await contract.call(
        "GET",
        "/payments/recipients/institutions/{id}",
        path=f"/payments/recipients/institutions/{itau['id']}",
    )
    return await contract.json(
        "POST",
        "/payments/recipients",
        json={
            "taxNumber": "12345678000195",
            "name": "Padaria Pão Dourado LTDA",
            "paymentInstitutionId": itau["id"],
            "account": {"branch": "0001", "number": "123456-7", "type": "CHECKING_ACCOUNT"},
        },
    )


async def _intent(contract: Contract, request_id: str) -> Json:
    body = {"paymentRequestId": request_id, "connectorId": 0, "parameters": PAYER}
    return await contract.json("POST", "/payments/intents", json=body)


async def test_recipients_requests_and_intents(pluggy: Pluggy, contract: Contract) -> None:
    recipient = await _recipient(contract)
    recipient_path = f"/payments/recipients/{recipient['id']}"
    await contract.call("GET", "/payments/recipients")
    await contract.call("GET", "/payments/recipients/{id}", path=recipient_path)
    await contract.call(
        "PATCH", "/payments/recipients/{id}", path=recipient_path, json={"name": "Padaria"}
    )
    body = {"amount": 150.25, "description": "Pedido 42", "recipientId": recipient["id"]}
    request = await contract.json("POST", "/payments/requests", json=body)
    request_path = f"/payments/requests/{request['id']}"
    await contract.call("GET", "/payments/requests")
    await contract.call("PATCH", "/payments/requests/{id}", path=request_path, json={"amount": 10})
    intent = await _intent(contract, request["id"])
    await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")
    await pluggy.advance(minutes=1)
    await contract.call("GET", "/payments/intents/{id}", path=f"/payments/intents/{intent['id']}")
    await contract.call("GET", "/payments/intents", params={"paymentRequestId": request["id"]})
    await contract.call("GET", "/payments/requests/{id}", path=request_path)
    other = await contract.json("POST", "/payments/requests", json=body)
    await contract.call(
        "DELETE", "/payments/requests/{id}", path=f"/payments/requests/{other['id']}"
    )
    await contract.call("DELETE", "/payments/recipients/{id}", path=recipient_path)


async def test_scheduled_payments(pluggy: Pluggy, contract: Contract) -> None:
    recipient = await _recipient(contract)
    start = await _today(pluggy) + timedelta(days=1)
    schedule = {
        "type": "MONTHLY",
        "startDate": start.isoformat(),
        "dayOfMonth": 5,
        "occurrences": 3,
    }
    body = {"amount": 10, "recipientId": recipient["id"], "schedule": schedule}
    request = await contract.json("POST", "/payments/requests", json=body)
    schedules_path = f"/payments/requests/{request['id']}/schedules"
    intent = await _intent(contract, request["id"])
    await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")

    planned = await contract.json("GET", "/payments/requests/{id}/schedules", path=schedules_path)
    await contract.call(
        "POST",
        "/payments/requests/{id}/schedules/{scheduleId}/cancel",
        204,
        path=f"{schedules_path}/{planned['results'][0]['id']}/cancel",
    )
    await contract.call(
        "POST", "/payments/requests/{id}/schedules/cancel", 204, path=f"{schedules_path}/cancel"
    )


async def test_automatic_pix(pluggy: Pluggy, contract: Contract) -> None:
    recipient = await _recipient(contract)
    today = await _today(pluggy)
    mandate = await contract.json(
        "POST",
        "/payments/requests/automatic-pix",
        json={
            "recipientId": recipient["id"],
            "interval": "MONTHLY",
            "startDate": (today + timedelta(days=3)).isoformat(),
            "fixedAmount": 49.9,
            "description": "Assinatura Finance Hub",
            "firstPayment": {"amount": 49.9},
        },
    )
    base = f"/payments/requests/{mandate['id']}/automatic-pix"
    intent = await _intent(contract, mandate["id"])
    await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")
    await pluggy.advance(minutes=1)
    charge = await contract.json(
        "POST",
        "/payments/requests/{id}/automatic-pix/schedule",
        path=f"{base}/schedule",
        json={"amount": 49.9, "date": (today + timedelta(days=3)).isoformat()},
    )
    await contract.call(
        "GET",
        "/payments/requests/{requestId}/automatic-pix/schedules/{paymentId}",
        path=f"{base}/schedules/{charge['id']}",
    )
    await pluggy.http.post(f"/_sandbox/payments/automatic-pix/{charge['id']}/fail")
    await contract.call(
        "POST",
        "/payments/requests/{id}/automatic-pix/schedules/{scheduleId}/retry",
        204,
        path=f"{base}/schedules/{charge['id']}/retry",
        json={"date": (today + timedelta(days=5)).isoformat()},
    )
    await contract.call(
        "POST",
        "/payments/requests/{id}/automatic-pix/schedules/{scheduleId}/cancel",
        204,
        path=f"{base}/schedules/{charge['id']}/cancel",
    )
    await contract.call(
        "GET", "/payments/requests/{id}/automatic-pix/schedules", path=f"{base}/schedules"
    )
    await contract.call(
        "POST", "/payments/requests/{id}/automatic-pix/cancel", 204, path=f"{base}/cancel"
    )
