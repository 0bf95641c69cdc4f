"""The events the live stream shows: what billing and banking publish for it (the contract in
docs/DESIGN.md), and what each carries to the client.

Each shown event's `data` holds the ids it concerns and what a client needs to render it without
another call. A published event whose data does not fit its model is refused (parked in the DLQ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# What the user should do next about a connection (banking's items.next_action.Action).
NextAction = Literal[
    "none", "answer_mfa", "reconnect", "fix_credentials", "act_at_bank", "wait_for_bank"
]


class Shown(BaseModel):
    """The data of an event; unknown fields are refused, so the contract stays explicit."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemStatus(Shown):
    """`item.status`: a bank connection's status changed."""

    item_id: UUID
    connector_name: str = Field(max_length=200)
    status: str = Field(
        max_length=50, description="LOGIN_IN_PROGRESS, WAITING_USER_INPUT, UPDATING, UPDATED, ..."
    )
    execution_status: str | None = Field(None, max_length=100)
    next_action: NextAction
    message: str = Field(max_length=500, description="The next action, in words for the user.")


class MfaOption(Shown):
    value: str = Field(max_length=500)
    label: str = Field(max_length=500)


class MfaPrompt(Shown):
    """What the bank asks for: render a field of `type` named `name`."""

    name: str = Field(max_length=100)
    label: str = Field(max_length=500)
    type: str = Field(max_length=50)
    assistive_text: str | None = Field(None, max_length=1000)
    placeholder: str | None = Field(None, max_length=500)
    data: str | None = Field(None, description="A base64 image (QR code) when `type` is image.")
    options: list[MfaOption] | None = Field(None, max_length=50)


class ItemMfaRequired(Shown):
    """`item.mfa_required`: the bank asks the user for a code; answer before `expires_at` with
    POST /api/banking/items/{item_id}/mfa."""

    item_id: UUID
    connector_name: str = Field(max_length=200)
    prompt: MfaPrompt
    expires_at: AwareDatetime


class ItemMfaExpired(Shown):
    """`item.mfa_expired`: the prompt ran out; `retry_path` (POST) starts the connection again."""

    item_id: UUID
    connector_name: str = Field(max_length=200)
    retry_path: str = Field(max_length=200)
    message: str = Field(max_length=500)


class SyncProgress(Shown):
    """`sync.progress`: one account's transactions stored so far in a running sync."""

    sync_id: UUID
    item_id: UUID
    account_id: UUID
    account_name: str = Field(max_length=200)
    transactions_stored: int = Field(ge=0)
    transactions_total: int | None = Field(None, ge=0, description="When Pluggy gives one.")


class SyncFinished(Shown):
    """`sync.finished`: a sync ended; what it stored."""

    sync_id: UUID
    item_id: UUID
    accounts: int = Field(ge=0)
    transactions_stored: int = Field(ge=0)


class SyncFailed(Shown):
    """`sync.failed`: a sync gave up; why, and whether it will be tried again by itself."""

    sync_id: UUID
    item_id: UUID
    reason: str = Field(max_length=100, description="A stable code, e.g. provider_unavailable.")
    message: str = Field(max_length=500)
    retried_at: AwareDatetime | None = Field(None, description="When it runs again, if it does.")


class PixPaymentStatus(Shown):
    """`pix.payment.status`: a PIX payment's status changed (immediate, scheduled or automatic)."""

    payment_id: UUID
    kind: Literal["immediate", "scheduled", "automatic"]
    status: str = Field(max_length=50)
    previous_status: str | None = Field(None, max_length=50)
    amount_cents: int = Field(ge=0)
    description: str | None = Field(None, max_length=500)
    scheduled_for: datetime | None = None
    message: str = Field(max_length=500)


class InsightCreated(Shown):
    """`insight.created`: a new insight someone should act on (a low balance ahead, a duplicate
    charge); GET `link` for its numbers and transactions."""

    insight_id: UUID
    kind: str = Field(max_length=50, description="e.g. low_balance, duplicate_charge.")
    severity: Literal["info", "warning", "action"]
    title: str = Field(max_length=200)
    message: str = Field(max_length=1000, description="In Portuguese (pt-BR).")
    account_id: UUID | None = None
    link: str = Field(max_length=200)


class Notification(Shown):
    """`notification`: a notice billing or banking raised (trial ending, payment failed...)."""

    notification_id: str = Field(max_length=100)
    kind: str = Field(max_length=100, description="e.g. trial_ending, payment_failed.")
    severity: Literal["info", "warning", "error"]
    title: str = Field(max_length=200)
    message: str = Field(max_length=1000)
    link: str | None = Field(None, max_length=500, description="Where the front end acts on it.")


class SessionRevoked(Shown):
    """billing.session.revoked, never shown: ends the user's streams of that log-in (every
    log-in when `session_id` is null)."""

    user_id: UUID
    session_id: UUID | None


@dataclass(frozen=True)
class Contract:
    """What one routing key carries: the SSE event it becomes (None: not shown), its data."""

    name: str
    model: type[Shown]
    shown: bool = True


SESSION_REVOKED = "session.revoked"

CONTRACTS: dict[str, Contract] = {
    "banking.item.status_changed": Contract("item.status", ItemStatus),
    "banking.item.mfa_required": Contract("item.mfa_required", ItemMfaRequired),
    "banking.item.mfa_expired": Contract("item.mfa_expired", ItemMfaExpired),
    "banking.sync.progress": Contract("sync.progress", SyncProgress),
    "banking.sync.finished": Contract("sync.finished", SyncFinished),
    "banking.sync.failed": Contract("sync.failed", SyncFailed),
    "banking.pix.payment_status_changed": Contract("pix.payment.status", PixPaymentStatus),
    "banking.insight.created": Contract("insight.created", InsightCreated),
    "billing.notification.created": Contract("notification", Notification),
    "billing.session.revoked": Contract(SESSION_REVOKED, SessionRevoked, shown=False),
}
ROUTING_KEYS = tuple(CONTRACTS)
