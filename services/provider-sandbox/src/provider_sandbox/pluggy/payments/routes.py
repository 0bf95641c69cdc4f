"""`/payments/...`: recipients, payment requests (plain, scheduled, Automatic PIX) and intents."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response
from pydantic import Field, PlainSerializer

from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.documents import cnpj
from provider_sandbox.pluggy.errors import PluggyError, bad_request, new_router, not_found
from provider_sandbox.pluggy.models import page
from provider_sandbox.pluggy.payments import flows
from provider_sandbox.pluggy.payments.models import (
    INSTITUTIONS,
    AutomaticPixPayment,
    Institution,
    PaymentIntent,
    PaymentRequest,
    Recipient,
)
from provider_sandbox.pluggy.payments.schedules import Schedule, payment_dates
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

router = new_router(tags=["Pluggy payments"])
# What the Connect widget calls too (with a connect token): starting and reading a payment intent.
widget_router = new_router(tags=["Pluggy payments"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]

# Money is Decimal inside; Pluggy's JSON has plain numbers (BRL, two decimals).
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

AUTOMATIC_PIX_MIN_DAYS_AHEAD = 2
AUTOMATIC_PIX_MAX_DAYS_AHEAD = 10
AUTOMATIC_PIX_RETRY_DAYS = 7


class RecipientAccount(CamelModel):
    branch: str
    number: str
    type: Literal["CHECKING_ACCOUNT", "SAVINGS_ACCOUNT", "GUARANTEED_ACCOUNT"]


class CreateRecipient(CamelModel):
    """Bank details (Pluggy's OAS) or, as Pluggy's newer API allows, only a PIX key."""

    tax_number: str | None = Field(None, alias="taxNumber")
    name: str | None = None
    payment_institution_id: str | None = Field(None, alias="paymentInstitutionId")
    account: RecipientAccount | None = None
    pix_key: str | None = Field(None, alias="pixKey")
    is_default: bool = Field(False, alias="isDefault")


class UpdateRecipient(CamelModel):
    tax_number: str | None = Field(None, alias="taxNumber")
    name: str | None = None
    payment_institution_id: str | None = Field(None, alias="paymentInstitutionId")
    account: RecipientAccount | None = None


class CallbackUrls(CamelModel):
    success: str | None = None
    pending: str | None = None
    error: str | None = None


class CreatePaymentRequest(CamelModel):
    amount: Amount = Field(gt=0, decimal_places=2)
    description: str | None = None
    recipient_id: str | None = Field(None, alias="recipientId")
    customer_id: str | None = Field(None, alias="customerId")
    client_payment_id: str | None = Field(None, alias="clientPaymentId")
    callback_urls: CallbackUrls | None = Field(None, alias="callbackUrls")
    schedule: Schedule | None = None
    is_sandbox: bool = Field(False, alias="isSandbox")
    webhook_url: str | None = Field(None, alias="webhookUrl")


class UpdatePaymentRequest(CamelModel):
    amount: Amount | None = Field(None, gt=0, decimal_places=2)
    description: str | None = None
    recipient_id: str | None = Field(None, alias="recipientId")
    callback_urls: CallbackUrls | None = Field(None, alias="callbackUrls")


class FirstPayment(CamelModel):
    amount: Amount = Field(gt=0, decimal_places=2)
    day: date | None = Field(None, alias="date")
    description: str | None = None


class CreateAutomaticPixRequest(CamelModel):
    recipient_id: str = Field(alias="recipientId")
    interval: Literal["WEEKLY", "MONTHLY", "QUARTERLY", "SEMESTER", "YEARLY"]
    start_date: date = Field(alias="startDate")
    fixed_amount: Amount | None = Field(None, alias="fixedAmount", gt=0)
    minimum_variable_amount: Amount | None = Field(None, alias="minimumVariableAmount", ge=0)
    maximum_variable_amount: Amount | None = Field(None, alias="maximumVariableAmount", gt=0)
    description: str | None = None
    expires_at: str | None = Field(None, alias="expiresAt")
    is_retry_accepted: bool = Field(False, alias="isRetryAccepted")
    first_payment: FirstPayment | None = Field(None, alias="firstPayment")
    client_payment_id: str | None = Field(None, alias="clientPaymentId")
    callback_urls: CallbackUrls | None = Field(None, alias="callbackUrls")
    webhook_url: str | None = Field(None, alias="webhookUrl")


class ScheduleAutomaticPixPayment(CamelModel):
    amount: Amount = Field(gt=0, decimal_places=2)
    day: date = Field(alias="date")
    description: str | None = None
    client_payment_id: str | None = Field(None, alias="clientPaymentId")


class RetryAutomaticPixPayment(CamelModel):
    day: date = Field(alias="date")


class IntentParameters(CamelModel):
    cpf: str
    cnpj: str | None = None
    name: str | None = None


class CreatePaymentIntent(CamelModel):
    payment_request_id: str = Field(alias="paymentRequestId")
    connector_id: int = Field(alias="connectorId")
    parameters: IntentParameters
    payment_method: Literal["PIS"] = Field("PIS", alias="paymentMethod")


def _recipient(sandbox: PluggySandbox, recipient_id: str) -> Recipient:
    recipient = sandbox.payments.recipients.get(recipient_id)
    if recipient is None:
        raise not_found("payment recipient")
    return recipient


def _request(sandbox: PluggySandbox, request_id: str) -> PaymentRequest:
    request = sandbox.payments.requests.get(request_id)
    if request is None:
        raise not_found("payment request")
    return request


def _institution(institution_id: str | None) -> Institution:
    institution = INSTITUTIONS.get(institution_id or "")
    if institution is None:
        raise bad_request("paymentInstitutionId must be a valid payment institution id")
    return institution


def _from_pix_key(sandbox: PluggySandbox, pix_key: str) -> Recipient:
    """The account behind a PIX key, as the sandbox's stand-in for Pluggy's DICT lookup."""
    seed = int.from_bytes(hashlib.blake2b(pix_key.encode(), digest_size=6).digest(), "big")
    institution = list(INSTITUTIONS.values())[seed % len(INSTITUTIONS)]
    now = sandbox.now()
    return Recipient(
        id=str(uuid.uuid4()),
        tax_number=cnpj(seed).translate(str.maketrans("", "", "./-")),
        name=f"Recebedor {pix_key}",
        institution=institution,
        branch=f"{seed % 9000 + 1000:04d}",
        account_number=f"{seed % 900000 + 100000}-{seed % 10}",
        account_type="CHECKING_ACCOUNT",
        pix_key=pix_key,
        created_at=now,
        updated_at=now,
    )


@router.get("/payments/recipients/institutions")
async def list_institutions(name: str | None = None) -> dict[str, Any]:
    """The banks a recipient's account can be at."""
    wanted = (name or "").casefold()
    return page(
        [
            institution.as_json()
            for institution in INSTITUTIONS.values()
            if wanted in institution.bank.name.casefold()
        ]
    )


@router.get("/payments/recipients/institutions/{institution_id}")
async def get_institution(institution_id: str) -> dict[str, Any]:
    """One bank."""
    institution = INSTITUTIONS.get(institution_id)
    if institution is None:
        raise not_found("payment institution")
    return institution.as_json()


@router.post("/payments/recipients")
async def create_recipient(body: CreateRecipient, sandbox: Sandbox) -> dict[str, Any]:
    """Register who receives payments, by bank details or by PIX key."""
    if body.account is None and body.pix_key:
        recipient = _from_pix_key(sandbox, body.pix_key)
    else:
        if not body.tax_number:
            raise bad_request("taxNumber is required")
        if not body.name:
            raise bad_request("name is required")
        if body.account is None:
            raise bad_request("account is required")
        now = sandbox.now()
        recipient = Recipient(
            id=str(uuid.uuid4()),
            tax_number=body.tax_number,
            name=body.name,
            institution=_institution(body.payment_institution_id),
            branch=body.account.branch,
            account_number=body.account.number,
            account_type=body.account.type,
            pix_key=body.pix_key,
            created_at=now,
            updated_at=now,
        )
    recipient.is_default = body.is_default
    sandbox.payments.recipients[recipient.id] = recipient
    return recipient.as_json()


@router.get("/payments/recipients")
async def list_recipients(sandbox: Sandbox) -> dict[str, Any]:
    """Every recipient."""
    return page([recipient.as_json() for recipient in sandbox.payments.recipients.values()])


@router.get("/payments/recipients/{recipient_id}")
async def get_recipient(recipient_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One recipient."""
    return _recipient(sandbox, recipient_id).as_json()


@router.patch("/payments/recipients/{recipient_id}")
async def update_recipient(
    recipient_id: str, body: UpdateRecipient, sandbox: Sandbox
) -> dict[str, Any]:
    """Change a recipient's details."""
    recipient = _recipient(sandbox, recipient_id)
    if body.tax_number:
        recipient.tax_number = body.tax_number
    if body.name:
        recipient.name = body.name
    if body.payment_institution_id:
        recipient.institution = _institution(body.payment_institution_id)
    if body.account is not None:
        recipient.branch, recipient.account_number = body.account.branch, body.account.number
        recipient.account_type = body.account.type
    recipient.updated_at = sandbox.now()
    return recipient.as_json()


@router.delete("/payments/recipients/{recipient_id}")
async def delete_recipient(recipient_id: str, sandbox: Sandbox) -> dict[str, int]:
    """Forget a recipient."""
    del sandbox.payments.recipients[_recipient(sandbox, recipient_id).id]
    return {"count": 1}


def _payee(sandbox: PluggySandbox, recipient_id: str | None) -> Recipient:
    if recipient_id is not None:
        return _recipient(sandbox, recipient_id)
    default = next((r for r in sandbox.payments.recipients.values() if r.is_default), None)
    if default is None:
        raise bad_request("recipientId is required when there is no default recipient")
    return default


def _new_request(
    sandbox: PluggySandbox,
    recipient: Recipient,
    amount: Decimal | None,
    description: str | None,
    client_payment_id: str | None,
    callback_urls: CallbackUrls | None,
    webhook_url: str | None,
    is_sandbox: bool,
) -> PaymentRequest:
    request_id = str(uuid.uuid4())
    now = sandbox.now()
    request = PaymentRequest(
        id=request_id,
        amount=amount,
        description=description,
        recipient=recipient,
        client_payment_id=client_payment_id,
        callback_urls=callback_urls.model_dump() if callback_urls else None,
        is_sandbox=is_sandbox,
        payment_url=f"{sandbox.public_url}/_sandbox/pay/{request_id}",
        created_at=now,
        updated_at=now,
        webhook_url=webhook_url,
    )
    sandbox.payments.requests[request.id] = request
    return request


@router.post("/payments/requests")
async def create_payment_request(body: CreatePaymentRequest, sandbox: Sandbox) -> dict[str, Any]:
    """Ask to be paid `amount` (per occurrence, with a `schedule`); the payer uses `paymentUrl`."""
    dates = payment_dates(body.schedule) if body.schedule is not None else []
    if any(day <= sandbox.now().date() for day in dates):
        raise bad_request(
            "Scheduled payment dates must be in the future", "DATA_PAGAMENTO_INVALIDA"
        )
    request = _new_request(
        sandbox,
        _payee(sandbox, body.recipient_id),
        body.amount,
        body.description,
        body.client_payment_id,
        body.callback_urls,
        body.webhook_url,
        body.is_sandbox,
    )
    if body.schedule is not None:
        request.schedule = body.schedule.model_dump(by_alias=True, mode="json")
        request.schedule_dates = dates
    return request.as_json()


@router.post("/payments/requests/automatic-pix")
async def create_automatic_pix_request(
    body: CreateAutomaticPixRequest, sandbox: Sandbox
) -> dict[str, Any]:
    """Ask the payer for an Automatic PIX mandate (recurring charges)."""
    variable = body.minimum_variable_amount is not None or body.maximum_variable_amount is not None
    if (body.fixed_amount is None) == (not variable):
        raise bad_request("Send either fixedAmount or minimum/maximumVariableAmount")
    request = _new_request(
        sandbox,
        _recipient(sandbox, body.recipient_id),
        None,
        body.description,
        body.client_payment_id,
        body.callback_urls,
        body.webhook_url,
        is_sandbox=True,
    )
    request.automatic_pix = body.model_dump(
        by_alias=True,
        mode="json",
        include={
            "fixed_amount",
            "minimum_variable_amount",
            "maximum_variable_amount",
            "start_date",
            "expires_at",
            "is_retry_accepted",
            "first_payment",
            "interval",
        },
    )
    return request.as_json()


@router.get("/payments/requests")
async def list_payment_requests(sandbox: Sandbox, status: str | None = None) -> dict[str, Any]:
    """Every payment request (optionally with one status), newest first."""
    requests = reversed(list(sandbox.payments.requests.values()))
    return page([r.as_json() for r in requests if status in (None, r.status)])


@router.get("/payments/requests/{request_id}")
async def get_payment_request(request_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One payment request."""
    return _request(sandbox, request_id).as_json()


@router.patch("/payments/requests/{request_id}")
async def update_payment_request(
    request_id: str, body: UpdatePaymentRequest, sandbox: Sandbox
) -> dict[str, Any]:
    """Change a payment request nobody started paying yet."""
    request = _request(sandbox, request_id)
    if request.status != "CREATED":
        raise bad_request(f"A payment request in status {request.status} cannot be updated")
    if body.amount is not None:
        request.amount = body.amount
    if body.description is not None:
        request.description = body.description
    if body.recipient_id is not None:
        request.recipient = _recipient(sandbox, body.recipient_id)
    if body.callback_urls is not None:
        request.callback_urls = body.callback_urls.model_dump()
    request.updated_at = sandbox.now()
    return request.as_json()


@router.delete("/payments/requests/{request_id}")
async def delete_payment_request(request_id: str, sandbox: Sandbox) -> dict[str, int]:
    """Forget a payment request."""
    del sandbox.payments.requests[_request(sandbox, request_id).id]
    return {"count": 1}


@router.get("/payments/requests/{request_id}/schedules")
async def list_schedules(request_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """The scheduled payments of a request (after the payer authorized it)."""
    request = _request(sandbox, request_id)
    return page([payment.as_json() for payment in request.scheduled_payments])


@router.post("/payments/requests/{request_id}/schedules/cancel", status_code=204)
async def cancel_all_schedules(request_id: str, sandbox: Sandbox) -> Response:
    """Cancel every scheduled payment not paid yet."""
    request = _request(sandbox, request_id)
    for payment in request.scheduled_payments:
        if payment.status == "SCHEDULED":
            flows.cancel_scheduled(sandbox, request, payment)
    return Response(status_code=204)


@router.post("/payments/requests/{request_id}/schedules/{schedule_id}/cancel", status_code=204)
async def cancel_schedule(request_id: str, schedule_id: str, sandbox: Sandbox) -> Response:
    """Cancel one scheduled payment."""
    request = _request(sandbox, request_id)
    payment = next((p for p in request.scheduled_payments if p.id == schedule_id), None)
    if payment is None:
        raise not_found("scheduled payment")
    flows.cancel_scheduled(sandbox, request, payment)
    return Response(status_code=204)


def _authorized_mandate(sandbox: PluggySandbox, request_id: str) -> PaymentRequest:
    request = _request(sandbox, request_id)
    if request.automatic_pix is None:
        raise bad_request("The payment request is not an Automatic PIX request")
    return request


def _automatic_payment(request: PaymentRequest, payment_id: str) -> AutomaticPixPayment:
    payment = next((p for p in request.automatic_pix_payments if p.id == payment_id), None)
    if payment is None:
        raise not_found("automatic pix payment")
    return payment


def _check_automatic_amount(request: PaymentRequest, amount: Decimal) -> None:
    terms = request.automatic_pix or {}
    fixed = terms.get("fixedAmount")
    low, high = terms.get("minimumVariableAmount"), terms.get("maximumVariableAmount")
    out_of_terms = (
        (fixed is not None and amount != Decimal(str(fixed)))
        or (low is not None and amount < Decimal(str(low)))
        or (high is not None and amount > Decimal(str(high)))
    )
    if out_of_terms:
        raise bad_request("The amount is outside the mandate's terms", "VALOR_INVALIDO")


@router.post("/payments/requests/{request_id}/automatic-pix/schedule")
async def schedule_automatic_pix_payment(
    request_id: str, body: ScheduleAutomaticPixPayment, sandbox: Sandbox
) -> dict[str, Any]:
    """Schedule one charge under an authorized mandate, two to ten days ahead."""
    request = _authorized_mandate(sandbox, request_id)
    if request.status != "AUTHORIZED" or request.recipient is None:
        raise bad_request(f"The Automatic PIX request is {request.status}")
    today = sandbox.now().date()
    earliest = today + timedelta(days=AUTOMATIC_PIX_MIN_DAYS_AHEAD)
    latest = today + timedelta(days=AUTOMATIC_PIX_MAX_DAYS_AHEAD)
    if not earliest <= body.day <= latest:
        raise bad_request(f"date must be between {earliest} and {latest}", "FORA_PRAZO_PERMITIDO")
    _check_automatic_amount(request, body.amount)
    payment = AutomaticPixPayment(
        id=str(uuid.uuid4()),
        amount=body.amount,
        description=body.description,
        payment_date=body.day,
        recipient_id=request.recipient.id,
        is_first_payment=False,
        client_payment_id=body.client_payment_id,
    )
    flows.add_automatic_payment(sandbox, request, payment)
    return payment.as_json()


@router.get("/payments/requests/{request_id}/automatic-pix/schedules")
async def list_automatic_pix_payments(request_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """Every charge of a mandate."""
    request = _authorized_mandate(sandbox, request_id)
    return page([payment.as_json() for payment in request.automatic_pix_payments])


@router.get("/payments/requests/{request_id}/automatic-pix/schedules/{payment_id}")
async def get_automatic_pix_payment(
    request_id: str, payment_id: str, sandbox: Sandbox
) -> dict[str, Any]:
    """One charge of a mandate."""
    mandate = _authorized_mandate(sandbox, request_id)
    return _automatic_payment(mandate, payment_id).as_detail_json()


@router.post("/payments/requests/{request_id}/automatic-pix/cancel", status_code=204)
async def revoke_automatic_pix(request_id: str, sandbox: Sandbox) -> Response:
    """End a mandate; its pending charges are canceled."""
    flows.revoke_mandate(sandbox, _authorized_mandate(sandbox, request_id))
    return Response(status_code=204)


@router.post(
    "/payments/requests/{request_id}/automatic-pix/schedules/{payment_id}/cancel",
    status_code=204,
)
async def cancel_automatic_pix_payment(
    request_id: str, payment_id: str, sandbox: Sandbox
) -> Response:
    """Cancel one charge."""
    request = _authorized_mandate(sandbox, request_id)
    flows.cancel_automatic_payment(sandbox, request, _automatic_payment(request, payment_id))
    return Response(status_code=204)


@router.post(
    "/payments/requests/{request_id}/automatic-pix/schedules/{payment_id}/retry",
    status_code=204,
)
async def retry_automatic_pix_payment(
    request_id: str,
    payment_id: str,
    body: RetryAutomaticPixPayment,
    sandbox: Sandbox,
) -> Response:
    """Try a failed charge again within seven days."""
    request = _authorized_mandate(sandbox, request_id)
    today = sandbox.now().date()
    if not today < body.day <= today + timedelta(days=AUTOMATIC_PIX_RETRY_DAYS):
        raise bad_request("date must be within the next 7 days", "FORA_PRAZO_PERMITIDO")
    payment = _automatic_payment(request, payment_id)
    flows.retry_automatic_payment(sandbox, request, payment, body.day)
    return Response(status_code=204)


@widget_router.post("/payments/intents")
async def create_payment_intent(body: CreatePaymentIntent, sandbox: Sandbox) -> dict[str, Any]:
    """The payer picked their bank: the intent waits for them to authorize there."""
    request = _request(sandbox, body.payment_request_id)
    if request.status != "CREATED":
        raise bad_request(f"The payment request is {request.status}")
    connector = sandbox.connector(body.connector_id)
    if not connector.supports_payments:
        raise bad_request("The connector does not support payment initiation")
    cpf_digits = "".join(char for char in body.parameters.cpf if char.isdigit())
    if len(cpf_digits) != 11:
        raise PluggyError(400, "Invalid CPF", "PAYMENT_INTENT_INVALID_CPF")
    if request.automatic_pix is not None and not body.parameters.name:
        raise bad_request("parameters.name is required for Automatic PIX")
    intent_id = str(uuid.uuid4())
    now = sandbox.now()
    intent = PaymentIntent(
        id=intent_id,
        request=request,
        connector=connector,
        payer_tax_number=cpf_digits,
        payer_name=body.parameters.name,
        consent_url=f"{sandbox.public_url}/_sandbox/payments/intents/{intent_id}/consent",
        created_at=now,
        updated_at=now,
    )
    flows.open_intent(sandbox, intent)
    return intent.as_json()


@router.get("/payments/intents")
async def list_payment_intents(
    sandbox: Sandbox,
    payment_request_id: Annotated[str, Query(alias="paymentRequestId")],
) -> dict[str, Any]:
    """The intents (payment attempts) of one request."""
    intents = sandbox.payments.intents.values()
    return page([i.as_json() for i in intents if i.request.id == payment_request_id])


@widget_router.get("/payments/intents/{intent_id}")
async def get_payment_intent(intent_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One intent."""
    intent = sandbox.payments.intents.get(intent_id)
    if intent is None:
        raise not_found("payment intent")
    return intent.as_json()
