"""Stripe's payloads (API 2026-10-28.endive) as pydantic models, holding only the fields we use.

The gateway puts the raw Stripe event JSON, untouched, in `envelope.data`. Handlers parse that plain
dict with these models rather than building `stripe.Event` objects: pydantic checks the shape at
the boundary, mypy sees every field, and unknown fields are ignored. Answers of our own Stripe calls
go through the same models via `client.stripe_call`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from finhub_shared.events import EventEnvelope


def from_timestamp(seconds: int | None) -> datetime | None:
    """A Stripe Unix timestamp as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class StripeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


ItemT = TypeVar("ItemT", bound=StripeModel)


class StripeList(StripeModel, Generic[ItemT]):
    data: list[ItemT] = Field(default_factory=list)


class EventData(StripeModel):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


class EventRequest(StripeModel):
    id: str | None = None


class StripeEvent(StripeModel):
    id: str
    type: str
    created: int
    data: EventData
    request: EventRequest | None = None

    @property
    def created_at(self) -> datetime:
        """When Stripe created the event: the version we compare before overwriting newer state."""
        created = from_timestamp(self.created)
        assert created is not None
        return created

    @property
    def is_automatic(self) -> bool:
        """True when Stripe acted on its own (renewal, dunning), not on an API or portal request."""
        return self.request is None or self.request.id is None


ObjectT = TypeVar("ObjectT", bound=StripeModel)


def parse_event(
    envelope: EventEnvelope, object_model: type[ObjectT]
) -> tuple[StripeEvent, ObjectT]:
    """The Stripe event in the envelope and its `data.object` as `object_model`."""
    event = StripeEvent.model_validate(envelope.data)
    return event, object_model.model_validate(event.data.object)


class Recurring(StripeModel):
    interval: str
    interval_count: int = 1


class Price(StripeModel):
    id: str
    lookup_key: str | None = None
    recurring: Recurring | None = None
    product: str | None = None
    unit_amount: int | None = None
    currency: str | None = None
    active: bool = True


class Product(StripeModel):
    id: str
    name: str
    active: bool = True
    default_price: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class WebhookEndpoint(StripeModel):
    id: str
    url: str
    status: str
    enabled_events: list[str] = Field(default_factory=list)
    # Only in the answer that creates it.
    secret: str | None = None


class SubscriptionItem(StripeModel):
    id: str
    price: Price
    current_period_start: int
    current_period_end: int


class Subscription(StripeModel):
    id: str
    customer: str
    status: str
    metadata: dict[str, str] = Field(default_factory=dict)
    items: StripeList[SubscriptionItem] = Field(default_factory=StripeList[SubscriptionItem])
    cancel_at_period_end: bool = False
    canceled_at: int | None = None
    trial_end: int | None = None
    # The invoice it made last: its first one, while it is new.
    latest_invoice: str | None = None

    @property
    def first_item(self) -> SubscriptionItem | None:
        """Our subscriptions have one item: the plan's price."""
        return self.items.data[0] if self.items.data else None


class CheckoutSession(StripeModel):
    id: str
    customer: str | None = None
    subscription: str | None = None
    invoice: str | None = None
    mode: str | None = None
    status: str | None = None
    payment_status: str
    amount_total: int | None = None
    currency: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    expires_at: int | None = None


class Period(StripeModel):
    start: int
    end: int


class InvoiceLine(StripeModel):
    amount: int = 0
    period: Period | None = None


class SubscriptionDetails(StripeModel):
    subscription: str | None = None
    metadata: dict[str, str] | None = None


class InvoiceParent(StripeModel):
    type: str | None = None
    subscription_details: SubscriptionDetails | None = None


class InvoicePaymentTarget(StripeModel):
    type: str | None = None
    payment_intent: str | None = None
    charge: str | None = None


class InvoicePayment(StripeModel):
    payment: InvoicePaymentTarget | None = None


class Invoice(StripeModel):
    # `invoice.upcoming` describes an invoice that does not exist yet, so it has no id.
    id: str | None = None
    customer: str | None = None
    status: str | None = None
    number: str | None = None
    billing_reason: str | None = None
    amount_due: int = 0
    amount_paid: int = 0
    currency: str = "brl"
    hosted_invoice_url: str | None = None
    invoice_pdf: str | None = None
    attempt_count: int = 0
    next_payment_attempt: int | None = None
    created: int | None = None
    lines: StripeList[InvoiceLine] = Field(default_factory=StripeList[InvoiceLine])
    parent: InvoiceParent | None = None
    payments: StripeList[InvoicePayment] | None = None

    @property
    def subscription_id(self) -> str | None:
        """Since API 2025-03-31 the subscription is under parent.subscription_details."""
        details = self.parent.subscription_details if self.parent else None
        return details.subscription if details else None

    @property
    def subscription_metadata(self) -> dict[str, str]:
        """The subscription's metadata as it was when the invoice was made."""
        details = self.parent.subscription_details if self.parent else None
        return (details.metadata or {}) if details else {}

    @property
    def service_period(self) -> Period | None:
        """The period the invoice pays for: from its lines' earliest start to their latest end."""
        periods = [line.period for line in self.lines.data if line.period is not None]
        if not periods:
            return None
        return Period(
            start=min(period.start for period in periods),
            end=max(period.end for period in periods),
        )

    @property
    def payment_intent_id(self) -> str | None:
        """The payment intent that pays it (invoice.payments replaced invoice.payment_intent)."""
        for invoice_payment in self.payments.data if self.payments else []:
            if invoice_payment.payment and invoice_payment.payment.payment_intent:
                return invoice_payment.payment.payment_intent
        return None


class PaymentError(StripeModel):
    code: str | None = None
    message: str | None = None


class NextAction(StripeModel):
    type: str


class PaymentIntent(StripeModel):
    id: str
    customer: str | None = None
    amount: int
    currency: str
    status: str
    last_payment_error: PaymentError | None = None
    next_action: NextAction | None = None


class Card(StripeModel):
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


class ChargePaymentMethodDetails(StripeModel):
    card: Card | None = None


class Charge(StripeModel):
    id: str
    customer: str | None = None
    payment_intent: str | None = None
    amount: int
    amount_refunded: int = 0
    currency: str
    status: str
    refunded: bool = False
    failure_message: str | None = None
    created: int | None = None


class Refund(StripeModel):
    id: str
    charge: str | None = None
    payment_intent: str | None = None
    amount: int
    currency: str
    status: str
    reason: str | None = None


class EvidenceDetails(StripeModel):
    due_by: int | None = None
    has_evidence: bool = False
    submission_count: int = 0


class Dispute(StripeModel):
    id: str
    charge: str | None = None
    payment_intent: str | None = None
    amount: int
    currency: str
    reason: str
    status: str
    evidence_details: EvidenceDetails | None = None
    created: int


class File(StripeModel):
    """An upload to Stripe's files API (dispute evidence)."""

    id: str
    purpose: str
    size: int
    type: str | None = None


class EarlyFraudWarning(StripeModel):
    id: str
    charge: str
    payment_intent: str | None = None
    fraud_type: str
    actionable: bool


class InvoiceSettings(StripeModel):
    default_payment_method: str | None = None


class Customer(StripeModel):
    id: str
    email: str | None = None
    name: str | None = None
    deleted: bool = False
    invoice_settings: InvoiceSettings | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class PortalSession(StripeModel):
    id: str
    url: str


class PaymentMethod(StripeModel):
    id: str
    customer: str | None = None
    type: str
    card: Card | None = None
