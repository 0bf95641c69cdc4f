"""Payment initiation records (recipients, requests, intents, schedules, automatic PIX) as JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.connectors import Connector
from provider_sandbox.pluggy.transactions.catalog import BANKS, Bank


@dataclass(frozen=True)
class Institution:
    """A bank a recipient's account can be at."""

    id: str
    bank: Bank

    def as_json(self) -> dict[str, Any]:
        """The institution in Pluggy's shape."""
        return {
            "id": self.id,
            "name": self.bank.name.upper(),
            "tradeName": self.bank.name,
            "ispb": self.bank.ispb,
            "compe": self.bank.compe,
            "createdAt": "2023-01-01T00:00:00.000Z",
            "updatedAt": "2023-01-01T00:00:00.000Z",
        }


INSTITUTIONS: dict[str, Institution] = {
    institution.id: institution
    for institution in (
        Institution(str(uuid.uuid5(uuid.NAMESPACE_URL, f"pluggy-sandbox:bank:{bank.compe}")), bank)
        for bank in BANKS
    )
}


@dataclass
class Recipient:
    """Who receives payments: a bank account, optionally known by its PIX key."""

    id: str
    tax_number: str
    name: str
    institution: Institution
    branch: str
    account_number: str
    account_type: str
    pix_key: str | None
    created_at: datetime
    updated_at: datetime
    is_default: bool = False

    def as_json(self) -> dict[str, Any]:
        """The recipient in Pluggy's shape."""
        return {
            "type": "BANK_ACCOUNT",
            "id": self.id,
            "taxNumber": self.tax_number,
            "name": self.name,
            "paymentInstitution": self.institution.as_json(),
            "isDefault": self.is_default,
            "account": {
                "branch": self.branch,
                "number": self.account_number,
                "type": self.account_type,
            },
            "pixKey": self.pix_key,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class ScheduledPayment:
    """One payment of a scheduled payment request."""

    id: str
    description: str
    scheduled_date: date
    status: str = "SCHEDULED"
    end_to_end_id: str | None = None
    error_detail: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The scheduled payment in Pluggy's shape."""
        return {
            "id": self.id,
            "description": self.description,
            "status": self.status,
            "scheduledDate": self.scheduled_date.isoformat(),
            "endToEndId": self.end_to_end_id,
            "errorDetail": self.error_detail,
        }


@dataclass
class AutomaticPixPayment:
    """One charge under an Automatic PIX mandate."""

    id: str
    amount: Decimal
    description: str | None
    payment_date: date
    recipient_id: str
    is_first_payment: bool
    client_payment_id: str | None = None
    status: str = "SCHEDULED"
    end_to_end_id: str | None = None
    error_detail: dict[str, str] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The payment in Pluggy's shape."""
        return {
            "id": self.id,
            "status": self.status,
            "amount": float(self.amount),
            "description": self.description,
            "date": self.payment_date.isoformat(),
            "endToEndId": self.end_to_end_id,
            "errorDetail": self.error_detail,
            "clientPaymentId": self.client_payment_id,
            "recipientId": self.recipient_id,
            "isFirstPayment": self.is_first_payment,
            "attempts": self.attempts,
        }

    def as_detail_json(self) -> dict[str, Any]:
        """The payment as Pluggy answers it alone: every sandbox charge is accepted as SCHEDULED
        before it settles or fails, so a retry is always possible after a failure."""
        return {**self.as_json(), "scheduledStatusReached": True}


@dataclass
class PaymentRequest:
    """What the client asks to be paid; intents are the payer's attempts to pay it."""

    id: str
    amount: Decimal | None
    description: str | None
    recipient: Recipient | None
    client_payment_id: str | None
    callback_urls: dict[str, Any] | None
    is_sandbox: bool
    payment_url: str
    created_at: datetime
    updated_at: datetime
    webhook_url: str | None = None
    status: str = "CREATED"
    schedule: dict[str, Any] | None = None
    schedule_dates: list[date] = field(default_factory=list)
    scheduled_payments: list[ScheduledPayment] = field(default_factory=list)
    automatic_pix: dict[str, Any] | None = None
    automatic_pix_payments: list[AutomaticPixPayment] = field(default_factory=list)
    error_detail: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The payment request in Pluggy's shape."""
        return {
            "id": self.id,
            "amount": None if self.amount is None else float(self.amount),
            "fees": 0,
            "description": self.description,
            "status": self.status,
            "clientPaymentId": self.client_payment_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "callbackUrls": self.callback_urls,
            "recipient": self.recipient.as_json() if self.recipient else None,
            "customer": None,
            "smartAccount": None,
            "paymentUrl": self.payment_url,
            "pixQrCode": None,
            "boleto": None,
            "automaticPix": self.automatic_pix,
            "schedule": self.schedule,
            "errorDetail": self.error_detail,
            "isSandbox": self.is_sandbox,
        }


@dataclass
class PaymentIntent:
    """A payer's attempt to pay a request through their bank."""

    id: str
    request: PaymentRequest
    connector: Connector
    payer_tax_number: str
    payer_name: str | None
    consent_url: str
    created_at: datetime
    updated_at: datetime
    status: str = "CONSENT_AWAITING_AUTHORIZATION"
    reference_id: str | None = None
    error_detail: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The intent in Pluggy's shape."""
        completed = self.status == "PAYMENT_COMPLETED"
        return {
            "id": self.id,
            "status": self.status,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "paymentRequest": self.request.as_json(),
            "connector": self.connector.as_json(),
            "consentUrl": self.consent_url,
            "referenceId": self.reference_id,
            "paymentMethod": "PIS",
            "pixData": None,
            "debtor": self._debtor() if completed else None,
            "errorDetail": self.error_detail,
        }

    def _debtor(self) -> dict[str, Any]:
        masked = f"***.{self.payer_tax_number[4:7]}.***-**"
        return {
            "name": self.payer_name,
            "taxNumber": masked,
            "bankAccount": {"agency": None, "account": None, "name": self.connector.name},
        }


@dataclass
class PaymentsState:
    """Every payment record, by id."""

    recipients: dict[str, Recipient] = field(default_factory=dict)
    requests: dict[str, PaymentRequest] = field(default_factory=dict)
    intents: dict[str, PaymentIntent] = field(default_factory=dict)
