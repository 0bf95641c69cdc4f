"""PIX payment initiation: recipients, requests, intents, the payer's decision, schedules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from provider_sandbox.pluggy.testing import Pluggy

pytestmark = pytest.mark.asyncio

PAYER = {"cpf": "529.982.247-25", "name": "Ana Beatriz Oliveira"}


async def _recipient(pluggy: Pluggy) -> dict[str, Any]:
    institutions = (await pluggy.http.get("/payments/recipients/institutions")).json()["results"]
    itau = next(i for i in institutions if i["compe"] == "341")
    response = await pluggy.http.post(
        "/payments/recipients",
        json={
            "taxNumber": "12345678000195",
            "name": "Padaria Pão Dourado LTDA",
            "paymentInstitutionId": itau["id"],
            "account": {"branch": "0001", "number": "123456-7", "type": "CHECKING_ACCOUNT"},
        },
    )
    assert response.status_code == 200, response.text
    recipient: dict[str, Any] = response.json()
    return recipient


async def _request(pluggy: Pluggy, **extra: Any) -> dict[str, Any]:
    recipient = await _recipient(pluggy)
    body = {"amount": 150.25, "description": "Pedido 42", "recipientId": recipient["id"], **extra}
    response = await pluggy.http.post("/payments/requests", json=body)
    assert response.status_code == 200, response.text
    request: dict[str, Any] = response.json()
    return request


async def _intent(pluggy: Pluggy, request_id: str) -> dict[str, Any]:
    response = await pluggy.http.post(
        "/payments/intents",
        json={"paymentRequestId": request_id, "connectorId": 0, "parameters": PAYER},
    )
    assert response.status_code == 200, response.text
    intent: dict[str, Any] = response.json()
    return intent


async def _today(pluggy: Pluggy) -> date:
    now = (await pluggy.http.get("/_sandbox/clock")).json()["now"]
    return date.fromisoformat(now[:10])


async def test_recipient_by_bank_details_or_pix_key(pluggy: Pluggy) -> None:
    by_account = await _recipient(pluggy)
    by_key = await pluggy.http.post("/payments/recipients", json={"pixKey": "loja@exemplo.com"})
    missing = await pluggy.http.post("/payments/recipients", json={"name": "x"})

    assert by_account["type"] == "BANK_ACCOUNT"
    assert by_account["paymentInstitution"]["compe"] == "341"
    assert by_key.json()["pixKey"] == "loja@exemplo.com"
    assert by_key.json()["account"]["number"]
    assert missing.status_code == 400
    assert missing.json() == {"code": 400, "message": "taxNumber is required"}


async def test_a_pix_payment_to_completion(pluggy: Pluggy) -> None:
    request = await _request(pluggy, clientPaymentId="order-42")
    assert request["status"] == "CREATED"
    assert request["paymentUrl"].endswith(request["id"])

    intent = await _intent(pluggy, request["id"])
    assert intent["status"] == "CONSENT_AWAITING_AUTHORIZATION"
    assert intent["consentUrl"]
    authorized = await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")
    assert authorized.json()["status"] == "CONSENT_AUTHORIZED"
    await pluggy.advance(minutes=1)

    done = (await pluggy.http.get(f"/payments/intents/{intent['id']}")).json()
    assert done["status"] == "PAYMENT_COMPLETED"
    assert done["referenceId"].startswith("E")
    assert done["debtor"]["name"] == PAYER["name"]
    paid = (await pluggy.http.get(f"/payments/requests/{request['id']}")).json()
    assert paid["status"] == "COMPLETED"
    assert paid["amount"] == 150.25
    events = await pluggy.events()
    assert [e["event"] for e in events] == [
        "payment_intent/created",
        "payment_intent/waiting_payer_authorization",
        "payment_intent/completed",
        "payment_request/updated",
    ]
    assert {e["paymentRequestId"] for e in events} == {request["id"]}
    assert {e["paymentIntentId"] for e in events[:3]} == {intent["id"]}
    assert events[3]["data"] == {"status": "COMPLETED"}


async def test_payer_refusing_sends_the_intent_error_and_the_request_can_be_paid_again(
    pluggy: Pluggy,
) -> None:
    request = await _request(pluggy)
    intent = await _intent(pluggy, request["id"])

    refused = await pluggy.http.post(f"/_sandbox/payments/{request['id']}/reject")

    assert refused.json()["status"] == "CONSENT_REJECTED"
    assert refused.json()["errorDetail"]["code"] == "REJEITADO_USUARIO"
    assert await pluggy.event_names() == [
        "payment_intent/created",
        "payment_intent/waiting_payer_authorization",
        "payment_intent/error",
    ]
    again = (await pluggy.http.get(f"/payments/requests/{request['id']}")).json()
    assert again["status"] == "CREATED"
    assert (await _intent(pluggy, request["id"]))["id"] != intent["id"]


async def test_authorization_not_given_in_thirty_minutes_expires(pluggy: Pluggy) -> None:
    request = await _request(pluggy)
    intent = await _intent(pluggy, request["id"])

    await pluggy.advance(minutes=29)
    waiting = (await pluggy.http.get(f"/payments/intents/{intent['id']}")).json()
    await pluggy.advance(minutes=1)
    expired = (await pluggy.http.get(f"/payments/intents/{intent['id']}")).json()

    assert waiting["status"] == "CONSENT_AWAITING_AUTHORIZATION"
    assert expired["status"] == "CONSENT_REJECTED"
    assert expired["errorDetail"]["code"] == "TEMPO_EXPIRADO_AUTORIZACAO"
    assert expired["paymentRequest"]["status"] == "CREATED"
    assert (await pluggy.event_names())[-1] == "payment_intent/error"


async def test_monthly_scheduled_payments_are_paid_on_their_dates(pluggy: Pluggy) -> None:
    start = await _today(pluggy) + timedelta(days=1)
    schedule = {
        "type": "MONTHLY",
        "startDate": start.isoformat(),
        "dayOfMonth": 5,
        "occurrences": 3,
    }
    request = await _request(pluggy, schedule=schedule)
    intent = await _intent(pluggy, request["id"])

    await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")
    planned = (await pluggy.http.get(f"/payments/requests/{request['id']}/schedules")).json()
    await pluggy.advance(days=100)
    paid = (await pluggy.http.get(f"/payments/requests/{request['id']}/schedules")).json()

    dates = [date.fromisoformat(p["scheduledDate"]) for p in planned["results"]]
    assert [d.day for d in dates] == [5, 5, 5]
    assert dates == sorted(dates)
    assert dates[0] >= start
    assert {p["status"] for p in planned["results"]} == {"SCHEDULED"}
    assert {p["status"] for p in paid["results"]} == {"COMPLETED"}
    assert all(p["endToEndId"] for p in paid["results"])
    names = await pluggy.event_names()
    assert names.count("scheduled_payment/created") == 3
    assert names.count("scheduled_payment/completed") == 3
    assert names[-2:] == ["scheduled_payment/all_completed", "payment_request/updated"]
    request_now = (await pluggy.http.get(f"/payments/requests/{request['id']}")).json()
    assert request_now["status"] == "COMPLETED"


async def test_schedule_dates_must_be_in_the_future(pluggy: Pluggy) -> None:
    recipient = await _recipient(pluggy)
    today = await _today(pluggy)

    response = await pluggy.http.post(
        "/payments/requests",
        json={
            "amount": 10,
            "recipientId": recipient["id"],
            "schedule": {"type": "SINGLE", "date": today.isoformat()},
        },
    )

    assert response.status_code == 400
    assert response.json()["codeDescription"] == "DATA_PAGAMENTO_INVALIDA"


async def test_automatic_pix_mandate_and_its_charges(pluggy: Pluggy) -> None:
    recipient = await _recipient(pluggy)
    today = await _today(pluggy)
    mandate = await pluggy.http.post(
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
    request_id = mandate.json()["id"]
    intent = await _intent(pluggy, request_id)
    await pluggy.http.post(f"/_sandbox/payments/{intent['id']}/complete")
    await pluggy.advance(minutes=1)

    charge = await pluggy.http.post(
        f"/payments/requests/{request_id}/automatic-pix/schedule",
        json={"amount": 49.9, "date": (today + timedelta(days=3)).isoformat()},
    )
    too_soon = await pluggy.http.post(
        f"/payments/requests/{request_id}/automatic-pix/schedule",
        json={"amount": 49.9, "date": (today + timedelta(days=1)).isoformat()},
    )
    wrong_amount = await pluggy.http.post(
        f"/payments/requests/{request_id}/automatic-pix/schedule",
        json={"amount": 60, "date": (today + timedelta(days=3)).isoformat()},
    )
    failed = await pluggy.http.post(f"/_sandbox/payments/automatic-pix/{charge.json()['id']}/fail")
    retried = await pluggy.http.post(
        f"/payments/requests/{request_id}/automatic-pix/schedules/{charge.json()['id']}/retry",
        json={"date": (today + timedelta(days=5)).isoformat()},
    )
    await pluggy.advance(days=6)
    charges = (
        await pluggy.http.get(f"/payments/requests/{request_id}/automatic-pix/schedules")
    ).json()["results"]
    revoked = await pluggy.http.post(f"/payments/requests/{request_id}/automatic-pix/cancel")

    assert mandate.json()["automaticPix"]["fixedAmount"] == 49.9
    assert charge.json()["status"] == "SCHEDULED"
    assert too_soon.status_code == 400
    assert wrong_amount.status_code == 400
    assert failed.json()["errorDetail"]["code"] == "SALDO_INSUFICIENTE"
    assert retried.status_code == 204
    assert [(c["isFirstPayment"], c["status"]) for c in charges] == [
        (True, "COMPLETED"),
        (False, "COMPLETED"),
    ]
    assert revoked.status_code == 204
    final = (await pluggy.http.get(f"/payments/requests/{request_id}")).json()
    assert final["status"] == "CANCELED"
    intent_events = {"payment_intent/created", "payment_intent/waiting_payer_authorization"}
    assert [e for e in await pluggy.event_names() if e not in intent_events] == [
        "payment_request/updated",
        "automatic_pix_payment/created",
        "automatic_pix_payment/completed",
        "automatic_pix_payment/created",
        "automatic_pix_payment/error",
        "automatic_pix_payment/completed",
        "payment_request/updated",
    ]
