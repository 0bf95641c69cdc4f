"""Every table of billing, imported so that `Base.metadata` is complete (Alembic, tests)."""

from billing.accounts.models import Company, LoginThrottle, RefreshToken, User
from billing.audit.models import AuditEntry
from billing.checkout.models import CheckoutSession
from billing.consents.models import Consent
from billing.customers.models import PaymentMethod, StripeCustomer
from billing.database import Base, InboxEvent, OutboxMessage
from billing.disputes.models import Dispute, EvidenceFile
from billing.dunning.models import DunningSchedule
from billing.erasure.models import CompanyDeletion
from billing.exports.models import DataExport
from billing.fraud.models import FraudWarning
from billing.invoices.models import Invoice
from billing.notifications.models import Notification
from billing.payments.models import Payment, Refund
from billing.plans.models import Plan
from billing.subscriptions.models import DuplicateSubscription, Subscription
from billing.usage.models import Usage

__all__ = [
    "AuditEntry",
    "Base",
    "CheckoutSession",
    "Company",
    "CompanyDeletion",
    "Consent",
    "DataExport",
    "Dispute",
    "DunningSchedule",
    "DuplicateSubscription",
    "EvidenceFile",
    "FraudWarning",
    "InboxEvent",
    "Invoice",
    "LoginThrottle",
    "Notification",
    "OutboxMessage",
    "Payment",
    "PaymentMethod",
    "Plan",
    "RefreshToken",
    "Refund",
    "StripeCustomer",
    "Subscription",
    "Usage",
    "User",
]
