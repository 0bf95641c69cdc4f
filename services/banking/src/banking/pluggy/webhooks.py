"""The payloads of Pluggy's webhook events, as the gateway forwards them (`envelope.data`).

They are thin (ids and links): handlers fetch the current state from Pluggy before acting.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from banking.pluggy.payloads import PluggyModel


class ItemEvent(PluggyModel):
    """item/*, accounts/*, consent/revoked."""

    item_id: str
    client_user_id: str | None = None


class TransactionsCreated(PluggyModel):
    item_id: str
    account_id: str
    transactions_created_at_from: datetime | None = None


class TransactionsChanged(PluggyModel):
    """transactions/updated and transactions/deleted."""

    item_id: str | None = None
    account_id: str
    transaction_ids: list[str] = Field(default_factory=list)


class ConnectorStatus(PluggyModel):
    status: str | None = None
    connector_id: int | None = None


class ConnectorStatusUpdated(PluggyModel):
    """connector/status_updated; where Pluggy puts the connector id is not documented."""

    connector_id: int | None = None
    id: int | str | None = None
    data: ConnectorStatus | None = None

    @property
    def the_connector_id(self) -> int | None:
        """The connector's id, wherever this payload carries it."""
        for candidate in (
            self.connector_id,
            self.data.connector_id if self.data else None,
            self.id,
        ):
            if isinstance(candidate, int) or (isinstance(candidate, str) and candidate.isdigit()):
                return int(candidate)
        return None


class PaymentEvent(PluggyModel):
    """payment_intent/*, payment_request/updated, scheduled_payment/*."""

    payment_request_id: str | None = None
    payment_intent_id: str | None = None
    scheduled_payment_id: str | None = None


class AutomaticPixPaymentEvent(PluggyModel):
    """automatic_pix_payment/* (fields as third-party typings give them; undocumented)."""

    payment_request_id: str
    automatic_pix_payment_id: str | None = None
    id: str | None = None
