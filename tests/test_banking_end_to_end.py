"""A bank connection across services, with the real PostgreSQL and RabbitMQ:

register at billing (its access token opens banking) → banking's connect token → the user logs in
at the Pluggy stand-in → banking's callback → the stand-in finishes the connection and sends its
webhooks to the gateway (registered with our secret header) → stored, relayed to RabbitMQ →
banking's consumer fetches the item and queues a sync on its own work queue → banking's sync
consumer pages through Pluggy's transactions → the company sees every one of them, and billing,
told by banking's usage events, shows the latest month's count against the plan. Then the user
revokes the consent at the bank: banking stops the connection, deletes its bank data, and the
company is told through billing's notifications. A PIX payment on the way completes through
Pluggy's payment events on the same road.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from banking.money import month_of

from .parts import pluggy_transaction_count, revoke_consent, running_system


async def every_transaction(banking_api: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    """All the company's transactions, through banking's cursor pages."""
    headers, params = {"Authorization": f"Bearer {token}"}, {"limit": 200}
    page = await banking_api.get("/api/banking/transactions/", params=params, headers=headers)
    results: list[dict[str, Any]] = page.json()["results"]
    while cursor := page.json()["next_cursor"]:
        page = await banking_api.get(
            "/api/banking/transactions/", params={**params, "cursor": cursor}, headers=headers
        )
        results += page.json()["results"]
    return results


async def billing_usage(billing_api: httpx.AsyncClient, token: str) -> dict[str, Any] | None:
    """The usage billing shows on the company's subscription (what banking last reported)."""
    headers = {"Authorization": f"Bearer {token}"}
    subscription = (await billing_api.get("/api/payments/subscription/", headers=headers)).json()
    usage: dict[str, Any] | None = subscription["usage"]
    return usage


async def completed_payment(
    banking_api: httpx.AsyncClient, headers: dict[str, str], payment_id: str
) -> dict[str, Any]:
    """The PIX payment once banking shows it completed."""
    async with asyncio.timeout(30):
        while True:
            shown = await banking_api.get(
                f"/api/banking/pix/payments/{payment_id}", headers=headers
            )
            payment: dict[str, Any] = shown.json()
            if payment["status"] == "completed":
                return payment
            await asyncio.sleep(0.3)


async def notification_kinds(billing_api: httpx.AsyncClient, token: str) -> set[str]:
    """The kinds of notification billing holds for the company's users."""
    headers = {"Authorization": f"Bearer {token}"}
    listed = (await billing_api.get("/api/notifications/", headers=headers)).json()
    return {notification["kind"] for notification in listed["items"]}


@pytest.mark.asyncio
async def test_a_connected_bank_is_synced_through_gateway_and_broker() -> None:
    async with running_system() as system:
        sandbox, billing_api, banking_api = system.sandbox, system.billing, system.banking
        headers = await system.register("joana@oficina.com.br", "Joana Lima", "Oficina Lima")
        token = headers["Authorization"].removeprefix("Bearer ")
        pluggy_item_id, _ = await system.connect_bank(headers, connector_id=0)
        await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})

        expected = await pluggy_transaction_count(sandbox, pluggy_item_id)
        async with asyncio.timeout(60):
            while len(synced := await every_transaction(banking_api, token)) < expected:
                await asyncio.sleep(0.5)
        [connection] = (await banking_api.get("/api/banking/items/", headers=headers)).json()
        per_month = Counter(
            month_of(datetime.fromisoformat(t["date"])).strftime("%Y-%m") for t in synced
        )
        latest_month = max(per_month)
        async with asyncio.timeout(30):
            while (usage := await billing_usage(billing_api, token)) is None or (
                usage["month"],
                usage["transactions_this_month"],
            ) != (latest_month, per_month[latest_month]):
                await asyncio.sleep(0.3)

        # A PIX to a supplier: Pluggy's payment events take the same road to banking.
        payment = await banking_api.post(
            "/api/banking/pix/payments/",
            json={"amount_cents": 15_000, "recipient": {"pix_key": "fornecedor@example.com"}},
            headers=headers,
        )
        assert payment.status_code == 201, payment.text
        request_id = payment.json()["payment_url"].rstrip("/").rsplit("/", 1)[-1]
        assert (await sandbox.post(f"/pluggy/_sandbox/pay/{request_id}")).status_code == 200
        await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 1})
        pix = await completed_payment(banking_api, headers, payment.json()["id"])

        await revoke_consent(sandbox, pluggy_item_id)
        async with asyncio.timeout(30):
            while "consent_revoked" not in await notification_kinds(billing_api, token):
                await asyncio.sleep(0.3)
        [revoked] = (await banking_api.get("/api/banking/items/", headers=headers)).json()
        left = await every_transaction(banking_api, token)

    assert expected > 0
    assert len(synced) == expected
    assert len({transaction["id"] for transaction in synced}) == expected
    assert (connection["status"], connection["next_action"]["action"]) == ("UPDATED", "none")
    assert usage["bank_accounts"] == len(connection["accounts"])
    assert (pix["request_status"], pix["intent_status"]) == ("COMPLETED", "PAYMENT_COMPLETED")
    assert (revoked["status"], revoked["next_action"]["action"]) == ("CONSENT_REVOKED", "reconnect")
    assert left == []  # what LGPD asks: the bank data goes with the consent
