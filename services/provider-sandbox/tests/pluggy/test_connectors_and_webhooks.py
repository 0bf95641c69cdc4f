"""Connectors with their health and maintenance; webhooks registered the way Pluggy does it."""

from __future__ import annotations

import pytest

from provider_sandbox.pluggy.testing import HOOK_URL, Pluggy

pytestmark = pytest.mark.asyncio

OTHER_HOOK = "http://other-hook.test/pluggy"
BIG_BANKS = ("Itaú", "Bradesco", "Nubank", "Banco do Brasil", "Caixa Econômica Federal", "Inter")


async def test_connectors_list_hides_sandbox_banks_unless_asked(pluggy: Pluggy) -> None:
    real = (await pluggy.http.get("/connectors")).json()
    everything = (await pluggy.http.get("/connectors", params={"sandbox": "true"})).json()
    business = (await pluggy.http.get("/connectors", params={"types": "BUSINESS_BANK"})).json()

    names = {c["name"] for c in real["results"]}
    assert set(BIG_BANKS) <= names
    assert not any(c["isSandbox"] for c in real["results"])
    assert {"Pluggy Bank"} <= {c["name"] for c in everything["results"]}
    assert everything["total"] == len(everything["results"])
    assert {c["type"] for c in business["results"]} == {"BUSINESS_BANK"}


async def test_connector_by_id_has_health_credentials_and_products(pluggy: Pluggy) -> None:
    response = await pluggy.http.get("/connectors/0")
    missing = await pluggy.http.get("/connectors/999999")

    connector = response.json()
    assert connector["name"] == "Pluggy Bank"
    assert connector["health"] == {"status": "ONLINE", "stage": None}
    assert [c["name"] for c in connector["credentials"]] == ["user", "password"]
    assert "TRANSACTIONS" in connector["products"]
    assert missing.status_code == 404
    assert missing.json()["codeDescription"] == "CONNECTOR_NOT_FOUND"


async def test_connector_in_maintenance_refuses_new_items_and_says_so(pluggy: Pluggy) -> None:
    offline = await pluggy.http.post("/_sandbox/connectors/201/health", json={"status": "OFFLINE"})
    refused = await pluggy.http.post(
        "/items",
        json={"connectorId": 201, "parameters": {"user": "user-ok", "password": "password-ok"}},
    )
    await pluggy.http.post("/_sandbox/connectors/201/health", json={"status": "ONLINE"})

    assert offline.json()["health"]["status"] == "OFFLINE"
    assert refused.status_code == 400
    events = await pluggy.events()
    assert [(e["event"], e["connectorId"], e["data"]) for e in events] == [
        ("connector/status_updated", 201, {"status": "OFFLINE"}),
        ("connector/status_updated", 201, {"status": "ONLINE"}),
    ]


async def test_webhook_for_one_event_gets_only_that_event_with_its_headers(
    pluggy: Pluggy,
) -> None:
    created = await pluggy.http.post(
        "/webhooks",
        json={"url": OTHER_HOOK, "event": "item/created", "headers": {"Authorization": "Bearer x"}},
    )
    await pluggy.connect()

    to_other = [d for d in pluggy.receiver.deliveries if d.url == OTHER_HOOK]
    assert created.status_code == 201
    assert set(created.json()) == {"id", "url", "event", "disabledAt", "createdAt", "updatedAt"}
    assert [d.payload["event"] for d in to_other] == ["item/created"]
    assert to_other[0].headers["Authorization"] == "Bearer x"
    assert "X-Webhook-Secret" not in to_other[0].headers


async def test_webhooks_can_be_listed_changed_disabled_and_deleted(pluggy: Pluggy) -> None:
    hook = (
        await pluggy.http.post("/webhooks", json={"url": OTHER_HOOK, "event": "item/updated"})
    ).json()

    listed = (await pluggy.http.get("/webhooks")).json()
    changed = await pluggy.http.patch(
        f"/webhooks/{hook['id']}", json={"event": "all", "headers": {"X-New": "1"}}
    )
    disabled = await pluggy.http.patch(f"/webhooks/{hook['id']}", json={"enabled": False})
    await pluggy.connect()
    reenabled = await pluggy.http.patch(f"/webhooks/{hook['id']}", json={"enabled": True})
    await pluggy.connect()
    deleted = await pluggy.http.delete(f"/webhooks/{hook['id']}")

    assert {h["url"] for h in listed["results"]} == {HOOK_URL, OTHER_HOOK}
    assert changed.json()["event"] == "all"
    assert disabled.json()["disabledAt"] is not None
    assert reenabled.json()["disabledAt"] is None
    to_other = [d for d in pluggy.receiver.deliveries if d.url == OTHER_HOOK]
    assert [d.payload["event"] for d in to_other] == ["item/login_succeeded", "item/created"]
    assert {d.headers["X-New"] for d in to_other} == {"1"}
    assert deleted.json() == {"count": 1}
    gone = await pluggy.http.get(f"/webhooks/{hook['id']}")
    assert gone.json()["codeDescription"] == "WEBHOOK_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": OTHER_HOOK, "event": "item/renamed"}, "Invalid event type 'item/renamed'"),
        ({"url": "not a url", "event": "all"}, "Webhook url must be valid URL address"),
        ({"url": HOOK_URL, "event": "all"}, "already exists"),
    ],
)
async def test_invalid_webhooks_are_refused_with_pluggys_messages(
    pluggy: Pluggy, body: dict[str, str], message: str
) -> None:
    response = await pluggy.http.post("/webhooks", json=body)

    assert response.status_code == 400
    assert message in response.json()["message"]


async def test_at_most_five_webhooks_per_event(pluggy: Pluggy) -> None:
    for number in range(5):
        url = f"http://hook-{number}.test/pluggy"
        await pluggy.http.post("/webhooks", json={"url": url, "event": "item/error"})

    sixth = await pluggy.http.post(
        "/webhooks", json={"url": "http://hook-6.test/", "event": "item/error"}
    )

    assert sixth.status_code == 400
    assert "maximum of 5 webhooks" in sixth.json()["message"]
