"""PIX payments and automatic PIX mandates at Pluggy, kept current from Pluggy's events.

Pluggy is the source of truth: events only say what to fetch again, and a state older than the
stored one (compared on Pluggy's updatedAt) is ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.audit import service as audit
from banking.pix import live, models, repository
from banking.pix.errors import MandateNotAuthorized, PaymentNotCancellable, PaymentRefused
from banking.pix.models import PixMandate, PixMandatePayment, PixPayment, PixScheduledPayment
from banking.pix.schemas import (
    BankAccountRecipient,
    MandateCreate,
    MandatePaymentCreate,
    PaymentCreate,
    PixKeyRecipient,
    Schedule,
)
from banking.pix.status import mandate_status, payment_status
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import NotFound, ProviderError

log = structlog.get_logger(__name__)

# A payment the payer has not authorised at their bank in this time times out (Pluggy's rule).
AUTHORISATION_WINDOW = timedelta(minutes=30)


RowT = TypeVar("RowT", PixPayment, PixMandate, PixMandatePayment)
# A row as the audit log records it.
Audited = dict[str, Any]


async def keep_created(session: AsyncSession, principal: Principal, created: RowT) -> RowT:
    """Store what the caller just created at Pluggy, once Pluggy has answered (audited); a
    payment's first status goes on the live stream."""
    session.add(created)
    await session.flush()
    if isinstance(created, PixPayment):
        await live.payment_status_changed(session, created, None)
    elif isinstance(created, PixMandatePayment):
        await live.cycle_status_changed(session, created, None)
    await _audit(session, principal, _creation(created), None, _audited(created))
    return created


async def create_payment(runtime: Runtime, principal: Principal, body: PaymentCreate) -> PixPayment:
    """A recipient and a payment request at Pluggy, to store with `keep_created`; the payer
    authorises at `payment_url`."""
    payment_id = uuid.uuid4()
    with _refusal_is_about_the_input():
        recipient = await runtime.pluggy.create_payment_recipient(_recipient_body(body.recipient))
    request_body: dict[str, Any] = {
        "amount": _reais(body.amount_cents),
        "recipientId": recipient.id,
        "clientPaymentId": str(payment_id),
    }
    if body.description:
        request_body["description"] = body.description
    if body.schedule:
        request_body["schedule"] = _pluggy_schedule(body.schedule)
    if runtime.settings.pluggy_payments_sandbox:
        request_body["isSandbox"] = True
    with _refusal_is_about_the_input():
        request = await runtime.pluggy.create_payment_request(request_body)
    return PixPayment(
        id=payment_id,
        company_id=principal.company_id,
        pluggy_request_id=request.id,
        pluggy_recipient_id=recipient.id,
        recipient_name=recipient.name,
        recipient_pix_key=_pix_key(body.recipient),
        amount_cents=body.amount_cents,
        description=body.description,
        schedule=body.schedule.model_dump(mode="json") if body.schedule else None,
        payment_url=request.payment_url,
        request_status=request.status,
        request_updated_at=request.updated_at,
        status=payment_status(request.status, None),
        schedules=[],
    )


@dataclass(frozen=True)
class PaymentSnapshot:
    """A payment request (and intent, and dates) as Pluggy has it now, fetched with no
    database transaction open."""

    pluggy_request_id: str
    request: pluggy.PaymentRequest | None
    intent: pluggy.PaymentIntent | None = None
    schedules: list[pluggy.ScheduledPayment] | None = None


async def fetch_payment(
    database: Database,
    runtime: Runtime,
    pluggy_request_id: str | None,
    pluggy_intent_id: str | None,
) -> PaymentSnapshot | None:
    """The payment's request (and intent) from Pluggy; None when no request is named."""
    intent = await runtime.pluggy.get_payment_intent(pluggy_intent_id) if pluggy_intent_id else None
    if pluggy_request_id is None and intent is not None and intent.payment_request is not None:
        pluggy_request_id = intent.payment_request.id
    if pluggy_request_id is None:
        return None
    async with database.transaction() as session:
        payment = await repository.payment_by_request(session, pluggy_request_id)
    request = await runtime.pluggy.get_payment_request(pluggy_request_id)
    scheduled = payment is not None and payment.schedule is not None
    dates = await runtime.pluggy.list_payment_schedules(pluggy_request_id) if scheduled else None
    return PaymentSnapshot(pluggy_request_id, request, intent, dates)


async def keep_payment(session: AsyncSession, snapshot: PaymentSnapshot) -> PixPayment | None:
    """Keep the fetched states that are newer than the stored ones (a mandate's too)."""
    payment = await repository.payment_by_request(session, snapshot.pluggy_request_id)
    if payment is None:
        await keep_mandate(session, snapshot.pluggy_request_id, snapshot.request)
        return None
    request, intent, previous = snapshot.request, snapshot.intent, payment.status
    if request is not None and _newer(request.updated_at, payment.request_updated_at):
        payment.request_status = request.status
        payment.request_updated_at = request.updated_at
        payment.error = _error_text(request.error_detail)
    if intent is not None and _newer(intent.updated_at, payment.intent_updated_at):
        payment.intent_id = intent.id
        payment.intent_status = intent.status
        payment.intent_updated_at = intent.updated_at
        payment.error = _error_text(intent.error_detail) or payment.error
    payment.status = payment_status(payment.request_status, payment.intent_status)
    if snapshot.schedules is not None:
        _keep_schedules(payment, snapshot.schedules)
    await session.flush()
    await live.payment_status_changed(session, payment, previous)
    return payment


def _keep_schedules(payment: PixPayment, dates: Sequence[pluggy.ScheduledPayment]) -> None:
    """Keep each date of a scheduled payment as Pluggy has it now (scheduled_payment/*)."""
    stored = {row.pluggy_schedule_id: row for row in payment.schedules}
    for current in dates:
        row = stored.get(current.id)
        if row is None:
            row = PixScheduledPayment(
                company_id=payment.company_id,
                pluggy_schedule_id=current.id,
                scheduled_date=current.scheduled_date,
            )
            payment.schedules.append(row)
        row.description = current.description
        row.status = current.status
        row.end_to_end_id = current.end_to_end_id
        row.error = _error_text(current.error_detail)


async def cancel_scheduled_date(
    database: Database,
    runtime: Runtime,
    principal: Principal,
    payment_id: uuid.UUID,
    schedule_id: uuid.UUID,
) -> PaymentSnapshot | None:
    """Cancel one date of a scheduled payment that has not been paid yet; the payment after."""
    async with database.transaction() as session:
        payment = await repository.payment_for(session, principal, payment_id)
    scheduled = next((row for row in payment.schedules if row.id == schedule_id), None)
    if scheduled is None:
        raise NotFound("No such scheduled date.")
    if scheduled.status != "SCHEDULED":
        raise PaymentNotCancellable(f"This date is already {scheduled.status.lower()}.")
    await runtime.pluggy.cancel_payment_schedule(
        payment.pluggy_request_id, scheduled.pluggy_schedule_id
    )
    return await fetch_payment(database, runtime, payment.pluggy_request_id, None)


async def cancel_schedule(
    database: Database, runtime: Runtime, principal: Principal, payment_id: uuid.UUID
) -> PaymentSnapshot | None:
    """Cancel every date of a scheduled payment not paid yet (the paid ones stay paid); the
    payment after."""
    async with database.transaction() as session:
        payment = await repository.payment_for(session, principal, payment_id)
    if payment.schedule is None or payment.status in models.FINAL_STATUSES:
        raise PaymentNotCancellable(
            "Only a scheduled payment with dates still to pay can be cancelled; "
            "a payment nobody authorises times out by itself after 30 minutes."
        )
    await runtime.pluggy.cancel_payment_schedules(payment.pluggy_request_id)
    return await fetch_payment(database, runtime, payment.pluggy_request_id, None)


async def keep_cancelled(
    session: AsyncSession,
    principal: Principal,
    payment_id: uuid.UUID,
    snapshot: PaymentSnapshot | None,
) -> PixPayment:
    """The payment as Pluggy has it after a cancellation we asked for (audited)."""
    payment = await repository.payment_for(session, principal, payment_id)
    before = _audited_dates(payment)
    if snapshot is not None:
        await keep_payment(session, snapshot)
    await session.refresh(payment)
    await _audit(session, principal, "pix.payment_cancelled", before, _audited_dates(payment))
    return payment


async def time_out_unauthorised(session: AsyncSession, now: datetime) -> int:
    """Payments not authorised within 30 minutes time out (a periodic job); returns how many."""
    unauthorised = await repository.unauthorised_since(session, now - AUTHORISATION_WINDOW)
    for payment in unauthorised:
        previous = payment.status
        payment.status, payment.error = models.TIMED_OUT, "Not authorised within 30 minutes."
        await session.flush()
        await live.payment_status_changed(session, payment, previous)
    return len(unauthorised)


async def create_mandate(runtime: Runtime, principal: Principal, body: MandateCreate) -> PixMandate:
    """An automatic PIX mandate at Pluggy, to store with `keep_created`; the payer authorises it
    once at `payment_url`."""
    mandate_id = uuid.uuid4()
    with _refusal_is_about_the_input():
        recipient = await runtime.pluggy.create_payment_recipient(_recipient_body(body.recipient))
        request = await runtime.pluggy.create_automatic_pix(
            _mandate_body(body, recipient.id, mandate_id)
        )
    return PixMandate(
        id=mandate_id,
        company_id=principal.company_id,
        pluggy_request_id=request.id,
        pluggy_recipient_id=recipient.id,
        recipient_name=recipient.name,
        interval=body.interval,
        start_date=body.start_date,
        expires_on=body.expires_on,
        fixed_amount_cents=body.fixed_amount_cents,
        minimum_amount_cents=body.minimum_amount_cents,
        maximum_amount_cents=body.maximum_amount_cents,
        description=body.description,
        payment_url=request.payment_url,
        request_status=request.status,
        request_updated_at=request.updated_at,
        status=mandate_status(request.status),
    )


async def schedule_cycle_payment(
    database: Database,
    runtime: Runtime,
    principal: Principal,
    mandate_id: uuid.UUID,
    body: MandatePaymentCreate,
) -> PixMandatePayment:
    """Schedule one cycle's payment under an authorised mandate, to store with `keep_created`."""
    async with database.transaction() as session:
        mandate = await repository.mandate_for(session, principal, mandate_id)
    if mandate.status != models.MANDATE_AUTHORIZED:
        raise MandateNotAuthorized("The payer has not authorised this mandate (or revoked it).")
    payment_id = uuid.uuid4()
    request_body: dict[str, Any] = {
        "amount": _reais(body.amount_cents),
        "date": body.date.isoformat(),
        "clientPaymentId": str(payment_id),
    }
    if body.description:
        request_body["description"] = body.description
    with _refusal_is_about_the_input():
        scheduled = await runtime.pluggy.schedule_automatic_pix_payment(
            mandate.pluggy_request_id, request_body
        )
    return PixMandatePayment(
        id=payment_id,
        company_id=mandate.company_id,
        mandate_id=mandate.id,
        pluggy_payment_id=scheduled.id,
        amount_cents=body.amount_cents,
        date=scheduled.date,
        description=body.description,
        status=scheduled.status,
    )


async def cancel_cycle_payment(
    database: Database,
    runtime: Runtime,
    principal: Principal,
    mandate_id: uuid.UUID,
    payment_id: uuid.UUID,
) -> None:
    """Cancel one scheduled cycle payment at Pluggy; `keep_cycle_cancelled` stores it."""
    async with database.transaction() as session:
        mandate, cycle = await _cycle_of(session, principal, mandate_id, payment_id)
    if cycle.status in models.FINAL_CYCLE_STATUSES:
        raise PaymentNotCancellable(f"This payment is already {cycle.status.lower()}.")
    await runtime.pluggy.cancel_automatic_pix_payment(
        mandate.pluggy_request_id, cycle.pluggy_payment_id
    )


async def keep_cycle_cancelled(
    session: AsyncSession, principal: Principal, mandate_id: uuid.UUID, payment_id: uuid.UUID
) -> PixMandatePayment:
    """The cycle payment Pluggy has just cancelled, stored as cancelled (audited)."""
    _, cycle = await _cycle_of(session, principal, mandate_id, payment_id)
    before = _audited(cycle)
    previous, cycle.status = cycle.status, "CANCELED"
    await session.flush()
    await live.cycle_status_changed(session, cycle, previous)
    await _audit(session, principal, "pix.cycle_cancelled", before, _audited(cycle))
    return cycle


async def _cycle_of(
    session: AsyncSession, principal: Principal, mandate_id: uuid.UUID, payment_id: uuid.UUID
) -> tuple[PixMandate, PixMandatePayment]:
    mandate = await repository.mandate_for(session, principal, mandate_id)
    cycle = await repository.mandate_payment(session, mandate.id, payment_id)
    if cycle is None:
        raise NotFound("No such payment.")
    return mandate, cycle


async def revoke_mandate(
    database: Database, runtime: Runtime, principal: Principal, mandate_id: uuid.UUID
) -> None:
    """Revoke the mandate at Pluggy (nothing more is paid under it); `keep_revoked` stores it."""
    async with database.transaction() as session:
        mandate = await repository.mandate_for(session, principal, mandate_id)
    if mandate.status != models.MANDATE_CANCELED:
        await runtime.pluggy.revoke_automatic_pix(mandate.pluggy_request_id)


async def keep_revoked(
    session: AsyncSession, principal: Principal, mandate_id: uuid.UUID
) -> PixMandate:
    """The mandate Pluggy has revoked (or that was cancelled already), stored as cancelled
    (audited)."""
    mandate = await repository.mandate_for(session, principal, mandate_id)
    if mandate.status != models.MANDATE_CANCELED:
        before = _audited(mandate)
        mandate.request_status = "CANCELED"
        mandate.status = models.MANDATE_CANCELED
        await session.flush()
        await _audit(session, principal, "pix.mandate_revoked", before, _audited(mandate))
    return mandate


async def keep_mandate(
    session: AsyncSession, pluggy_request_id: str, request: pluggy.PaymentRequest | None
) -> None:
    """Keep the mandate's fetched request if newer (payment_request/updated)."""
    mandate = await repository.mandate_by_request(session, pluggy_request_id)
    if mandate is None:
        log.info("pix_request_not_ours", pluggy_request_id=pluggy_request_id)
        return
    if request is not None and _newer(request.updated_at, mandate.request_updated_at):
        mandate.request_status = request.status
        mandate.request_updated_at = request.updated_at
        mandate.status = mandate_status(request.status)
        await session.flush()


def _creation(row: PixPayment | PixMandate | PixMandatePayment) -> str:
    """What the audit log calls the creation of the row."""
    if isinstance(row, PixPayment):
        return "pix.payment_scheduled" if row.schedule else "pix.payment_created"
    return "pix.mandate_created" if isinstance(row, PixMandate) else "pix.cycle_scheduled"


def _audited(row: PixPayment | PixMandate | PixMandatePayment) -> Audited:
    """The row as the audit log records it: no PIX key, no payment link."""
    if isinstance(row, PixPayment):
        return {
            "payment_id": str(row.id),
            "recipient_name": row.recipient_name,
            "amount_cents": row.amount_cents,
            "schedule": row.schedule,
            "status": row.status,
        }
    if isinstance(row, PixMandate):
        return {
            "mandate_id": str(row.id),
            "recipient_name": row.recipient_name,
            "interval": row.interval,
            "fixed_amount_cents": row.fixed_amount_cents,
            "minimum_amount_cents": row.minimum_amount_cents,
            "maximum_amount_cents": row.maximum_amount_cents,
            "status": row.status,
        }
    return {
        "mandate_id": str(row.mandate_id),
        "payment_id": str(row.id),
        "amount_cents": row.amount_cents,
        "date": row.date.isoformat(),
        "status": row.status,
    }


def _audited_dates(payment: PixPayment) -> Audited:
    """A scheduled payment's status and dates, as the audit log records a cancellation."""
    dates = [
        {"date": row.scheduled_date.isoformat(), "status": row.status} for row in payment.schedules
    ]
    return {"payment_id": str(payment.id), "status": payment.status, "dates": dates}


async def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    before: Audited | None,
    after: Audited | None,
) -> None:
    actor = audit.user_actor(principal.user_id)
    await audit.record(
        session, principal.company_id, actor=actor, action=action, before=before, after=after
    )


@contextmanager
def _refusal_is_about_the_input() -> Iterator[None]:
    """Pluggy's 400 to a payment we ask for is about what the user entered (a PIX key that does
    not exist, a date it does not take): a 422 they can act on, not a 502."""
    try:
        yield
    except ProviderError as error:
        if error.extra.get("provider_status") != 400:
            raise
        raise PaymentRefused(
            error.message, provider_code=error.extra.get("provider_code")
        ) from None


def _recipient_body(recipient: PixKeyRecipient | BankAccountRecipient) -> dict[str, Any]:
    if isinstance(recipient, PixKeyRecipient):
        return {"pixKey": recipient.pix_key}
    return {
        "taxNumber": recipient.tax_number,
        "name": recipient.name,
        "paymentInstitutionId": str(recipient.institution_id),
        "account": {
            "branch": recipient.branch,
            "number": recipient.account_number,
            "type": recipient.account_type,
        },
    }


def _pix_key(recipient: PixKeyRecipient | BankAccountRecipient) -> str | None:
    return recipient.pix_key if isinstance(recipient, PixKeyRecipient) else None


def _pluggy_schedule(schedule: Schedule) -> dict[str, Any]:
    """Our schedule in Pluggy's shape (SINGLE, DAILY, WEEKLY or MONTHLY)."""
    fields = schedule.model_dump(mode="json", exclude={"type"})
    camel = {
        "start_date": "startDate",
        "day_of_week": "dayOfWeek",
        "day_of_month": "dayOfMonth",
    }
    return {"type": schedule.type.upper(), **{camel.get(k, k): v for k, v in fields.items()}}


def _mandate_body(body: MandateCreate, recipient_id: str, mandate_id: uuid.UUID) -> dict[str, Any]:
    request: dict[str, Any] = {
        "recipientId": recipient_id,
        "interval": body.interval,
        "startDate": body.start_date.isoformat(),
        "clientPaymentId": str(mandate_id),
    }
    if body.fixed_amount_cents is not None:
        request["fixedAmount"] = _reais(body.fixed_amount_cents)
    if body.minimum_amount_cents is not None:
        request["minimumVariableAmount"] = _reais(body.minimum_amount_cents)
    if body.maximum_amount_cents is not None:
        request["maximumVariableAmount"] = _reais(body.maximum_amount_cents)
    if body.expires_on is not None:
        request["expiresAt"] = body.expires_on.isoformat()
    if body.description:
        request["description"] = body.description
    if body.first_payment is not None:
        first: dict[str, Any] = {"amount": _reais(body.first_payment.amount_cents)}
        if body.first_payment.date is not None:
            first["date"] = body.first_payment.date.isoformat()
        if body.first_payment.description:
            first["description"] = body.first_payment.description
        request["firstPayment"] = first
    return request


def _reais(cents: int) -> float:
    """Pluggy takes amounts in reais as JSON numbers; cents / 100 is exact to two places."""
    return cents / 100


def _newer(incoming: datetime | None, stored: datetime | None) -> bool:
    return stored is None or incoming is None or incoming >= stored


def _error_text(detail: dict[str, Any] | None) -> str | None:
    if not detail:
        return None
    for key in ("description", "message", "code"):
        if isinstance(detail.get(key), str):
            return str(detail[key])[:500]
    return None
