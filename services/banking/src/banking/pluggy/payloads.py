"""Pluggy's answers, typed: only the fields banking uses (Pluggy adds fields without notice).

Statuses stay plain strings: Pluggy adds enum values too, and an unknown one must not break
a sync. Field names follow Pluggy's camelCase on the wire and snake_case in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class PluggyModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ItemError(PluggyModel):
    code: str
    message: str | None = None
    provider_message: str | None = None


class CredentialOption(PluggyModel):
    value: str
    label: str


class ItemParameter(PluggyModel):
    """What Pluggy asks the user for while an item waits for input (an MFA token, a QR code)."""

    name: str
    label: str
    type: str
    assistive_text: str | None = None
    data: str | None = None
    placeholder: str | None = None
    validation: str | None = None
    validation_message: str | None = None
    mfa: bool | None = None
    options: list[CredentialOption] | None = None
    instructions: str | None = None
    expires_at: datetime | None = None


class UserAction(PluggyModel):
    """What the user must do at the institution while an item waits for their action."""

    instructions: str
    type: str | None = None
    expires_at: datetime | None = None


class ConnectorHealth(PluggyModel):
    status: str | None = None
    stage: str | None = None


class Connector(PluggyModel):
    id: int
    name: str = ""
    institution_url: str | None = None
    image_url: str | None = None
    primary_color: str | None = None
    type: str | None = None
    country: str | None = None
    has_mfa: bool | None = Field(None, alias="hasMFA")
    is_open_finance: bool | None = None
    health: ConnectorHealth | None = None
    updated_at: datetime | None = None


class ProductWarning(PluggyModel):
    """Why a product was not (fully) read: a missing permission, an account in a state the
    institution does not serve, ..."""

    code: str
    message: str
    provider_message: str | None = None


class ProductStatus(PluggyModel):
    """How one product (accounts, creditCards, transactions...) fared in the last execution."""

    is_updated: bool | None = None
    last_updated_at: datetime | None = None
    warnings: list[ProductWarning] | None = None


class Item(PluggyModel):
    id: str
    status: str
    execution_status: str
    # Per product, by Pluggy's name (null: not requested); present with PARTIAL_SUCCESS, or when
    # a product carries warnings.
    status_detail: dict[str, ProductStatus | None] | None = None
    connector: Connector | None = None
    error: ItemError | None = None
    parameter: ItemParameter | None = None
    user_action: UserAction | None = None
    client_user_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_updated_at: datetime | None = None
    consent_expires_at: datetime | None = None


class Account(PluggyModel):
    id: str
    item_id: str
    type: str
    subtype: str | None = None
    number: str | None = None
    name: str
    marketing_name: str | None = None
    balance: Decimal
    currency_code: str = "BRL"
    owner: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Merchant(PluggyModel):
    name: str | None = None
    business_name: str | None = None
    cnpj: str | None = None


class Transaction(PluggyModel):
    """A transaction, with only the fields banking keeps (parsing is most of a sync's work)."""

    id: str
    account_id: str
    date: datetime
    description: str
    currency_code: str = "BRL"
    amount: Decimal
    category: str | None = None
    category_id: str | None = None
    type: str | None = None
    status: str | None = None
    merchant: Merchant | None = None
    created_at: datetime
    updated_at: datetime


class TransactionPage(PluggyModel):
    """One page of `GET /v2/transactions`; `next` is the query string of the following page."""

    results: list[Transaction]
    next: str | None = None


class TransactionId(PluggyModel):
    id: str


class TransactionIdPage(PluggyModel):
    """A `GET /v2/transactions` page read for nothing but its transactions' ids."""

    results: list[TransactionId]
    next: str | None = None


class LooseTransactionPage(PluggyModel):
    """A page read transaction by transaction, when one of them is not a Transaction."""

    results: list[dict[str, Any]]
    next: str | None = None


@dataclass(frozen=True)
class TransactionBatch:
    """The transactions of one page, and why each one that could not be read was left out."""

    transactions: list[Transaction]
    unreadable: list[str] = field(default_factory=list)


ResultT = TypeVar("ResultT")


class Page(PluggyModel, Generic[ResultT]):
    """A page of Pluggy's page-based listings (`{total, totalPages, page, results}`)."""

    results: list[ResultT]
    page: int = 1
    total_pages: int = 1


class Category(PluggyModel):
    id: str
    description: str
    description_translated: str | None = None
    parent_id: str | None = None
    parent_description: str | None = None


class Consent(PluggyModel):
    id: str
    item_id: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class PaymentRecipient(PluggyModel):
    id: str
    name: str | None = None
    tax_number: str | None = None
    pix_key: str | None = None


class PaymentRequest(PluggyModel):
    id: str
    status: str
    payment_url: str
    amount: Decimal | None = None
    description: str | None = None
    created_at: datetime
    updated_at: datetime
    error_detail: dict[str, Any] | None = None


class ScheduledPayment(PluggyModel):
    """One date of a scheduled payment request."""

    id: str
    status: str
    scheduled_date: date
    description: str | None = None
    end_to_end_id: str | None = None
    error_detail: dict[str, Any] | None = None


class PaymentRequestRef(PluggyModel):
    id: str


class PaymentIntent(PluggyModel):
    id: str
    status: str
    payment_request: PaymentRequestRef | None = None
    consent_url: str | None = None
    created_at: datetime
    updated_at: datetime
    error_detail: dict[str, Any] | None = None


class AutomaticPixErrorDetail(PluggyModel):
    code: str | None = None
    description: str | None = None


class AutomaticPixPayment(PluggyModel):
    id: str
    status: str
    amount: Decimal
    date: date
    description: str | None = None
    end_to_end_id: str | None = None
    error_detail: AutomaticPixErrorDetail | None = None


class ConnectTokenResponse(PluggyModel):
    access_token: str
