"""How payments move, and the webhooks each move sends.

A payer's intent waits for authorization at their bank (`consentUrl`): payment_intent/created,
then payment_intent/waiting_payer_authorization (every sandbox intent is Open Finance, `PIS`,
so the payer always authorizes at the bank). The sandbox's control API plays the payer:
authorize, or reject. Nobody authorizing within 30 minutes (60 for Automatic
PIX) ends the intent with TEMPO_EXPIRADO_AUTORIZACAO and the request returns to CREATED.

- Plain request: authorized → PAYMENT_PENDING → PAYMENT_COMPLETED; request COMPLETED.
- Scheduled request: authorized → request SCHEDULED, one scheduled payment per date, each paid
  on its date; request COMPLETED once none is left.
- Automatic PIX: authorized → request AUTHORIZED; the first payment and each one the client
  schedules are paid on their dates.
Scheduled and automatic payments are paid at 12:00 UTC (09:00 in Brasília) of their date;
an Automatic PIX first payment without a date is paid at once.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from provider_sandbox.pluggy.errors import PluggyError
from provider_sandbox.pluggy.payments.models import (
    AutomaticPixPayment,
    PaymentIntent,
    PaymentRequest,
    ScheduledPayment,
)
from provider_sandbox.pluggy.state import PluggySandbox
from provider_sandbox.pluggy.timeline import Action

AUTHORIZATION_WINDOW = timedelta(minutes=30)
AUTOMATIC_PIX_AUTHORIZATION_WINDOW = timedelta(minutes=60)
SETTLEMENT_STEP = timedelta(seconds=2)
PAYMENT_TIME = time(12, 0, tzinfo=UTC)

CONSENT_PHASE = frozenset({"STARTED", "ENQUEUED", "CONSENT_AWAITING_AUTHORIZATION"})
PAYMENT_PHASE = frozenset(
    {"CONSENT_AUTHORIZED", "PAYMENT_PENDING", "PAYMENT_SETTLEMENT_PROCESSING"}
)


def _error_detail(code: str, title: str, detail: str) -> dict[str, str]:
    return {"code": code, "providerCode": code, "providerTitle": title, "providerDetail": detail}


def _end_to_end_id(moment: datetime) -> str:
    return f"E60701190{moment:%Y%m%d%H%M}{secrets.token_hex(6)[:11]}"


def _emit_intent(sandbox: PluggySandbox, event: str, intent: PaymentIntent) -> None:
    fields = {"paymentIntentId": intent.id, "paymentRequestId": intent.request.id}
    sandbox.notifier.emit(event, fields, intent.request.webhook_url)


def _set_request_status(sandbox: PluggySandbox, request: PaymentRequest, status: str) -> None:
    """Change the request's status; Pluggy sends payment_request/updated for final ones."""
    request.status = status
    request.updated_at = sandbox.now()
    if status in ("AUTHORIZED", "CANCELED", "COMPLETED", "ERROR"):
        fields = {"paymentRequestId": request.id, "data": {"status": status}}
        sandbox.notifier.emit("payment_request/updated", fields, request.webhook_url)


def _set_intent_status(sandbox: PluggySandbox, intent: PaymentIntent, status: str) -> None:
    intent.status = status
    intent.updated_at = sandbox.now()


def open_intent(sandbox: PluggySandbox, intent: PaymentIntent) -> None:
    """The payer chose their bank: wait for their authorization, for a limited time."""
    request = intent.request
    sandbox.payments.intents[intent.id] = intent
    _set_request_status(sandbox, request, "WAITING_PAYER_AUTHORIZATION")
    _emit_intent(sandbox, "payment_intent/created", intent)
    _emit_intent(sandbox, "payment_intent/waiting_payer_authorization", intent)
    window = AUTHORIZATION_WINDOW
    if request.automatic_pix is not None:
        window = AUTOMATIC_PIX_AUTHORIZATION_WINDOW

    async def expire() -> None:
        if intent.status in CONSENT_PHASE:
            intent.error_detail = _error_detail(
                "TEMPO_EXPIRADO_AUTORIZACAO",
                "Tempo expirado",
                "O pagador não autorizou o consentimento a tempo.",
            )
            _set_intent_status(sandbox, intent, "CONSENT_REJECTED")
            _set_request_status(sandbox, request, "CREATED")
            _emit_intent(sandbox, "payment_intent/error", intent)

    sandbox.timeline.after(window, expire)


def authorize(sandbox: PluggySandbox, intent: PaymentIntent) -> None:
    """The payer authorized at their bank (sandbox control)."""
    if intent.status not in CONSENT_PHASE:
        raise PluggyError(409, f"The payment intent is {intent.status}", "INVALID_INTENT_STATUS")
    _set_intent_status(sandbox, intent, "CONSENT_AUTHORIZED")
    request = intent.request
    if request.automatic_pix is not None:
        _set_request_status(sandbox, request, "AUTHORIZED")
        _schedule_first_automatic_payment(sandbox, request)
    elif request.schedule_dates:
        _create_scheduled_payments(sandbox, request)
    else:
        _set_request_status(sandbox, request, "IN_PROGRESS")
        sandbox.timeline.after(SETTLEMENT_STEP, lambda: _settle(sandbox, intent))


async def _settle(sandbox: PluggySandbox, intent: PaymentIntent) -> None:
    if intent.status == "CONSENT_AUTHORIZED":
        _set_intent_status(sandbox, intent, "PAYMENT_PENDING")
        sandbox.timeline.after(SETTLEMENT_STEP, lambda: _settle(sandbox, intent))
    elif intent.status == "PAYMENT_PENDING":
        intent.reference_id = _end_to_end_id(sandbox.now())
        _set_intent_status(sandbox, intent, "PAYMENT_COMPLETED")
        _emit_intent(sandbox, "payment_intent/completed", intent)
        _set_request_status(sandbox, intent.request, "COMPLETED")


def reject(sandbox: PluggySandbox, intent: PaymentIntent) -> None:
    """The payer refused at their bank, or the bank refused the payment (sandbox control)."""
    request = intent.request
    if intent.status in CONSENT_PHASE:
        intent.error_detail = _error_detail(
            "REJEITADO_USUARIO", "Rejeitado pelo usuário", "O pagador recusou o consentimento."
        )
        _set_intent_status(sandbox, intent, "CONSENT_REJECTED")
        _set_request_status(sandbox, request, "CREATED")
    elif intent.status in PAYMENT_PHASE:
        intent.error_detail = _error_detail(
            "PAGAMENTO_RECUSADO_DETENTORA",
            "Pagamento recusado",
            "A instituição do pagador recusou o pagamento.",
        )
        _set_intent_status(sandbox, intent, "PAYMENT_REJECTED")
        request.error_detail = {"code": "PAGAMENTO_RECUSADO_DETENTORA"}
        _set_request_status(sandbox, request, "ERROR")
    else:
        raise PluggyError(409, f"The payment intent is {intent.status}", "INVALID_INTENT_STATUS")
    _emit_intent(sandbox, "payment_intent/error", intent)


def payment_moment(day: date) -> datetime:
    """When a payment dated `day` is paid."""
    return datetime.combine(day, PAYMENT_TIME)


def _emit_scheduled(
    sandbox: PluggySandbox, event: str, request: PaymentRequest, payment: ScheduledPayment
) -> None:
    fields = {"paymentRequestId": request.id, "scheduledPaymentId": payment.id}
    sandbox.notifier.emit(event, fields, request.webhook_url)


def _create_scheduled_payments(sandbox: PluggySandbox, request: PaymentRequest) -> None:
    total = len(request.schedule_dates)
    for number, day in enumerate(request.schedule_dates, start=1):
        payment = ScheduledPayment(
            id=str(uuid.uuid4()),
            description=f"PAGAMENTO AGENDADO {number}/{total}",
            scheduled_date=day,
        )
        request.scheduled_payments.append(payment)
        _emit_scheduled(sandbox, "scheduled_payment/created", request, payment)
        sandbox.timeline.at(payment_moment(day), _pay_scheduled_later(sandbox, request, payment))
    sandbox.notifier.emit(
        "scheduled_payment/all_created", {"paymentRequestId": request.id}, request.webhook_url
    )
    _set_request_status(sandbox, request, "SCHEDULED")


def _pay_scheduled_later(
    sandbox: PluggySandbox, request: PaymentRequest, payment: ScheduledPayment
) -> Action:
    async def pay() -> None:
        if payment.status != "SCHEDULED":
            return
        payment.status = "COMPLETED"
        payment.end_to_end_id = _end_to_end_id(sandbox.now())
        _emit_scheduled(sandbox, "scheduled_payment/completed", request, payment)
        _close_schedule_if_done(sandbox, request)

    return pay


def cancel_scheduled(
    sandbox: PluggySandbox, request: PaymentRequest, payment: ScheduledPayment
) -> None:
    """Cancel one scheduled payment that was not paid yet."""
    if payment.status != "SCHEDULED":
        raise PluggyError(400, f"The scheduled payment is {payment.status}")
    payment.status = "CANCELED"
    _emit_scheduled(sandbox, "scheduled_payment/canceled", request, payment)
    _close_schedule_if_done(sandbox, request)


def _close_schedule_if_done(sandbox: PluggySandbox, request: PaymentRequest) -> None:
    statuses = [payment.status for payment in request.scheduled_payments]
    if "SCHEDULED" in statuses:
        return
    if all(status == "COMPLETED" for status in statuses):
        sandbox.notifier.emit(
            "scheduled_payment/all_completed",
            {"paymentRequestId": request.id},
            request.webhook_url,
        )
    final = "COMPLETED" if "COMPLETED" in statuses else "CANCELED"
    _set_request_status(sandbox, request, final)


def _emit_automatic(
    sandbox: PluggySandbox, event: str, request: PaymentRequest, payment: AutomaticPixPayment
) -> None:
    fields = {
        "paymentRequestId": request.id,
        "automaticPixPaymentId": payment.id,
        "endToEndId": payment.end_to_end_id,
    }
    sandbox.notifier.emit(event, fields, request.webhook_url)


def _schedule_first_automatic_payment(sandbox: PluggySandbox, request: PaymentRequest) -> None:
    first = (request.automatic_pix or {}).get("firstPayment")
    if not first or request.recipient is None:
        return
    day = date.fromisoformat(first["date"]) if first.get("date") else sandbox.now().date()
    payment = AutomaticPixPayment(
        id=str(uuid.uuid4()),
        amount=Decimal(str(first["amount"])),
        description=first.get("description") or request.description,
        payment_date=day,
        recipient_id=request.recipient.id,
        is_first_payment=True,
    )
    add_automatic_payment(sandbox, request, payment)


def add_automatic_payment(
    sandbox: PluggySandbox, request: PaymentRequest, payment: AutomaticPixPayment
) -> None:
    """Schedule one Automatic PIX charge for its date (today's is paid at once)."""
    request.automatic_pix_payments.append(payment)
    _emit_automatic(sandbox, "automatic_pix_payment/created", request, payment)
    _plan_automatic_payment(sandbox, request, payment)


def _plan_automatic_payment(
    sandbox: PluggySandbox, request: PaymentRequest, payment: AutomaticPixPayment
) -> None:
    async def pay() -> None:
        if payment.status != "SCHEDULED":
            return
        now = sandbox.now()
        payment.status = "COMPLETED"
        payment.end_to_end_id = _end_to_end_id(now)
        payment.attempts.append(_attempt(payment, "COMPLETED", now))
        _emit_automatic(sandbox, "automatic_pix_payment/completed", request, payment)

    now = sandbox.now()
    due_today = payment.payment_date <= now.date()
    moment = now + SETTLEMENT_STEP if due_today else payment_moment(payment.payment_date)
    sandbox.timeline.at(moment, pay)


def _attempt(payment: AutomaticPixPayment, status: str, now: datetime) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "status": status,
        "endToEndId": payment.end_to_end_id,
        "date": now.date().isoformat(),
        "errorDetail": payment.error_detail,
    }


def fail_automatic_payment(
    sandbox: PluggySandbox, request: PaymentRequest, payment: AutomaticPixPayment
) -> None:
    """The payer's bank refused a scheduled charge for lack of funds (sandbox control)."""
    if payment.status != "SCHEDULED":
        raise PluggyError(400, f"The automatic PIX payment is {payment.status}")
    payment.status = "ERROR"
    payment.error_detail = {
        "code": "SALDO_INSUFICIENTE",
        "detail": "A conta selecionada não possui saldo suficiente.",
    }
    payment.attempts.append(_attempt(payment, "ERROR", sandbox.now()))
    _emit_automatic(sandbox, "automatic_pix_payment/error", request, payment)


def retry_automatic_payment(
    sandbox: PluggySandbox, request: PaymentRequest, payment: AutomaticPixPayment, day: date
) -> None:
    """Try a failed charge again on `day`."""
    if payment.status != "ERROR":
        raise PluggyError(400, "Only a failed automatic PIX payment can be retried")
    payment.status = "SCHEDULED"
    payment.error_detail = None
    payment.payment_date = day
    _plan_automatic_payment(sandbox, request, payment)


def cancel_automatic_payment(
    sandbox: PluggySandbox, request: PaymentRequest, payment: AutomaticPixPayment
) -> None:
    """Cancel one charge that was not paid yet."""
    if payment.status not in ("SCHEDULED", "ERROR"):
        raise PluggyError(400, f"The automatic PIX payment is {payment.status}")
    payment.status = "CANCELED"
    _emit_automatic(sandbox, "automatic_pix_payment/canceled", request, payment)


def revoke_mandate(sandbox: PluggySandbox, request: PaymentRequest) -> None:
    """End an Automatic PIX mandate: its pending charges are canceled."""
    for payment in request.automatic_pix_payments:
        if payment.status in ("SCHEDULED", "ERROR"):
            cancel_automatic_payment(sandbox, request, payment)
    _set_request_status(sandbox, request, "CANCELED")
