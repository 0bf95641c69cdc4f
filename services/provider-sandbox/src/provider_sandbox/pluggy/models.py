"""The Pluggy half's in-memory records and their JSON shapes (field names as in Pluggy's OAS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.connectors import Connector
from provider_sandbox.pluggy.sandbox_users import ItemStatus

TriggeredBy = Literal["CLIENT", "USER", "SYNC", "INTERNAL"]


@dataclass
class ConnectToken:
    """A short-lived token for the Connect widget, scoped to the Items it creates or updates."""

    token: str
    expires_at: datetime
    item_id: str | None
    client_user_id: str | None
    webhook_url: str | None
    avoid_duplicates: bool
    item_ids: set[str] = field(default_factory=set)


@dataclass
class Item:
    """A connection to one institution, with the state of its latest execution."""

    id: str
    connector: Connector
    user: str
    password: str
    status: ItemStatus
    execution_status: str
    created_at: datetime
    updated_at: datetime
    client_user_id: str | None = None
    webhook_url: str | None = None
    products: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    parameter: dict[str, Any] | None = None
    user_action: dict[str, Any] | None = None
    status_detail: dict[str, Any] | None = None
    last_updated_at: datetime | None = None
    next_auto_sync_at: datetime | None = None
    consecutive_failed_login_attempts: int = 0
    consent_expires_at: datetime | None = None
    auto_sync: bool = True
    # Each execution gets a new number; steps scheduled for an older one do nothing.
    execution: int = 0
    triggered_by: TriggeredBy = "CLIENT"
    connected_once: bool = False
    # The token of a 1-step MFA connector, sent with the credentials.
    mfa_token: str | None = None
    # New credentials were sent: the next successful execution gives a new consent.
    renew_consent: bool = False

    def as_json(self) -> dict[str, Any]:
        """The item in Pluggy's shape."""
        return {
            "id": self.id,
            "connector": self.connector.as_json(),
            "status": self.status,
            "executionStatus": self.execution_status,
            "error": self.error,
            "parameter": self.parameter,
            "userAction": self.user_action,
            "webhookUrl": self.webhook_url,
            "clientUserId": self.client_user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "lastUpdatedAt": iso(self.last_updated_at),
            "statusDetail": self.status_detail,
            "nextAutoSyncAt": iso(self.next_auto_sync_at),
            "consecutiveFailedLoginAttempts": self.consecutive_failed_login_attempts,
            "consentExpiresAt": iso(self.consent_expires_at),
            "products": self.products,
        }


AccountType = Literal["BANK", "CREDIT"]
AccountSubtype = Literal["CHECKING_ACCOUNT", "SAVINGS_ACCOUNT", "CREDIT_CARD"]


@dataclass
class Account:
    """A bank account or credit card found in an item; its balance comes from its ledger."""

    id: str
    item_id: str
    type: AccountType
    subtype: AccountSubtype
    number: str
    name: str
    marketing_name: str
    owner: str
    tax_number: str
    created_at: datetime
    updated_at: datetime
    balance_cents: int = 0
    credit_limit_cents: int = 0
    close_day: int = 1

    def as_json(self, *, reduced: bool = False) -> dict[str, Any]:
        """The account in Pluggy's shape; `reduced` (connect tokens) leaves out the owner."""
        return {
            "id": self.id,
            "itemId": self.item_id,
            "type": self.type,
            "subtype": self.subtype,
            "number": self.number,
            "name": self.name,
            "marketingName": self.marketing_name,
            "balance": self.balance_cents / 100,
            "currencyCode": "BRL",
            "owner": None if reduced else self.owner,
            "taxNumber": None if reduced else self.tax_number,
            "bankData": self._bank_data() if self.type == "BANK" else None,
            "creditData": self._credit_data() if self.type == "CREDIT" else None,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def _bank_data(self) -> dict[str, Any]:
        return {
            "transferNumber": self.number,
            "closingBalance": self.balance_cents / 100,
            "automaticallyInvestedBalance": 0,
            "overdraftContractedLimit": 0,
            "overdraftUsedLimit": 0,
            "unarrangedOverdraftAmount": 0,
        }

    def _credit_data(self) -> dict[str, Any]:
        used = self.balance_cents
        close = self.updated_at.replace(day=self.close_day, hour=3, minute=0, second=0)
        return {
            "level": "BLACK",
            "brand": "MASTERCARD",
            "balanceCloseDate": iso(close),
            "balanceDueDate": iso(close + timedelta(days=7)),
            "availableCreditLimit": (self.credit_limit_cents - used) / 100,
            "balanceForeignCurrency": 0,
            "minimumPayment": round(used * 0.15) / 100,
            "creditLimit": self.credit_limit_cents / 100,
            "isLimitFlexible": False,
            "status": "ACTIVE",
            "holderType": "MAIN",
        }


@dataclass
class Consent:
    """What the user allowed an item to collect, until when."""

    id: str
    item_id: str
    products: list[str]
    created_at: datetime
    # None: no end date (Pluggy's consents of items that are not Open Finance).
    expires_at: datetime | None
    revoked_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The consent in Pluggy's shape."""
        return {
            "id": self.id,
            "itemId": self.item_id,
            "products": self.products,
            "openFinancePermissionsGranted": [
                "ACCOUNTS_ALL",
                "CREDIT_CARDS_ALL",
                "REGISTRATION_ALL",
            ],
            "createdAt": iso(self.created_at),
            "expiresAt": iso(self.expires_at),
            "revokedAt": iso(self.revoked_at),
        }

    def active_at(self, moment: datetime) -> bool:
        """Whether the consent still lets the item sync at `moment`."""
        expired = self.expires_at is not None and moment >= self.expires_at
        return self.revoked_at is None and not expired


@dataclass
class RegisteredWebhook:
    """A webhook created with POST /webhooks; its headers go with every delivery."""

    id: str
    url: str
    event: str
    headers: dict[str, str]
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The webhook in Pluggy's shape (headers are never shown)."""
        return {
            "id": self.id,
            "url": self.url,
            "event": self.event,
            "disabledAt": iso(self.disabled_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def wants(self, event: str) -> bool:
        """Whether this webhook receives `event`."""
        if self.disabled_at is not None:
            return False
        if self.event == "all":
            return True
        if self.event == "item/all":
            return event.startswith("item/")
        return self.event == event


def page(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pluggy's page envelope around a complete list."""
    return {"total": len(results), "totalPages": 1, "page": 1, "results": results}
