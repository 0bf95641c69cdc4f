"""What banking publishes, always through its outbox (written in the caller's transaction)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from banking.database import OutboxMessage
from banking.pluggy.payloads import ItemParameter
from finhub_shared.events import new_event
from finhub_shared.outbox import enqueue

NOTIFICATION_REQUESTED = "notification.requested"
# What the live stream reads (docs/DESIGN.md, "What the live stream shows").
ITEM_STATUS_CHANGED = "item.status_changed"
ITEM_MFA_REQUIRED = "item.mfa_required"
ITEM_MFA_EXPIRED = "item.mfa_expired"
SYNC_PROGRESS = "sync.progress"
SYNC_FINISHED = "sync.finished"
SYNC_FAILED = "sync.failed"
PIX_PAYMENT_STATUS_CHANGED = "pix.payment_status_changed"
INSIGHT_CREATED = "insight.created"
# Banking's part of a company's data export, answering billing's `company.export_requested`.
COMPANY_EXPORTED = "company.exported"
# Banking erased a company, answering billing's `company.deletion_requested`.
COMPANY_ERASED = "company.erased"
# The most choices an MFA prompt shows on the stream (the live service's limit).
MFA_OPTIONS_SHOWN = 50
# The longest insight title and message the live stream takes (the full text is one GET away).
INSIGHT_TITLE_SHOWN = 200
INSIGHT_MESSAGE_SHOWN = 1000


class UsageChanged(BaseModel):
    """The data of `banking.usage.changed`: one month's counts against the plan in force."""

    company_id: UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    bank_accounts: int = Field(ge=0)
    transactions_this_month: int = Field(ge=0, description="Hidden ones included.")
    transactions_limit: int | None = Field(ge=0, description="Null: unlimited, or no plan known.")
    over_limit: bool


class SyncRequested(BaseModel):
    """The data of `banking.sync.requested`: the sync job the worker runs."""

    job_id: UUID


class InsightsRequested(BaseModel):
    """The data of `banking.insights.requested`: compute the company's insights as of then."""

    company_id: UUID
    requested_at: AwareDatetime


async def publish(
    session: AsyncSession, event_type: str, data: dict[str, Any], company_id: UUID
) -> str:
    """Queue `banking.<event_type>` for publishing when the transaction commits; its id."""
    envelope = new_event("banking", event_type, data, company_id=company_id)
    await enqueue(session, OutboxMessage, envelope)
    return envelope.id


async def notify_company(
    session: AsyncSession, company_id: UUID, kind: str, message: str, **details: Any
) -> None:
    """Ask for a notification to the company's users (billing stores and streams them)."""
    payload = notification_payload(company_id, kind, message, **details)
    await publish(session, NOTIFICATION_REQUESTED, payload, company_id)


def notification_payload(
    company_id: UUID, kind: str, message: str, **details: Any
) -> dict[str, Any]:
    """The `data` of `banking.notification.requested`, as billing reads it."""
    return {"company_id": str(company_id), "kind": kind, "message": message, **details}


def item_status_data(
    item_id: UUID,
    connector_name: str,
    status: str,
    execution_status: str | None,
    next_action: str,
    message: str,
) -> dict[str, Any]:
    """The data of `banking.item.status_changed`: the connection's state and what to do next."""
    return {
        "item_id": str(item_id),
        "connector_name": connector_name,
        "status": status,
        "execution_status": execution_status,
        "next_action": next_action,
        "message": message,
    }


def mfa_required_data(
    item_id: UUID, connector_name: str, prompt: ItemParameter, expires_at: datetime
) -> dict[str, Any]:
    """The data of `banking.item.mfa_required`: the field the bank asks for, never an answer."""
    options = [{"value": o.value, "label": o.label} for o in prompt.options or []]
    return {
        "item_id": str(item_id),
        "connector_name": connector_name,
        "prompt": {
            "name": prompt.name,
            "label": prompt.label,
            "type": prompt.type,
            "assistive_text": prompt.assistive_text,
            "placeholder": prompt.placeholder,
            "data": prompt.data,
            "options": options[:MFA_OPTIONS_SHOWN] or None,
        },
        "expires_at": expires_at.isoformat(),
    }


def mfa_expired_data(
    item_id: UUID, connector_name: str, retry_path: str, message: str
) -> dict[str, Any]:
    """The data of `banking.item.mfa_expired`: the route to POST to start again."""
    return {
        "item_id": str(item_id),
        "connector_name": connector_name,
        "retry_path": retry_path,
        "message": message,
    }


def sync_progress_data(
    sync_id: UUID,
    item_id: UUID,
    account_id: UUID,
    account_name: str,
    transactions_stored: int,
    transactions_total: int | None,
) -> dict[str, Any]:
    """The data of `banking.sync.progress`: one account's transactions stored so far."""
    return {
        "sync_id": str(sync_id),
        "item_id": str(item_id),
        "account_id": str(account_id),
        "account_name": account_name,
        "transactions_stored": transactions_stored,
        "transactions_total": transactions_total,
    }


def sync_finished_data(
    sync_id: UUID, item_id: UUID, accounts: int, transactions_stored: int
) -> dict[str, Any]:
    """The data of `banking.sync.finished`: what the sync stored."""
    return {
        "sync_id": str(sync_id),
        "item_id": str(item_id),
        "accounts": accounts,
        "transactions_stored": transactions_stored,
    }


def sync_failed_data(
    sync_id: UUID, item_id: UUID, reason: str, message: str, retried_at: datetime | None
) -> dict[str, Any]:
    """The data of `banking.sync.failed`: why (a code), and when it runs again if it does."""
    return {
        "sync_id": str(sync_id),
        "item_id": str(item_id),
        "reason": reason,
        "message": message,
        "retried_at": retried_at.isoformat() if retried_at else None,
    }


def pix_payment_status_data(
    payment_id: UUID,
    kind: str,
    status: str,
    previous_status: str | None,
    amount_cents: int,
    description: str | None,
    scheduled_for: date | None,
    message: str,
) -> dict[str, Any]:
    """The data of `banking.pix.payment_status_changed` (immediate, scheduled or automatic)."""
    return {
        "payment_id": str(payment_id),
        "kind": kind,
        "status": status,
        "previous_status": previous_status,
        "amount_cents": amount_cents,
        "description": description,
        "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        "message": message,
    }


def insight_created_data(
    insight_id: UUID, kind: str, severity: str, title: str, message: str, account_id: UUID | None
) -> dict[str, Any]:
    """The data of `banking.insight.created`: a new insight someone should act on."""
    return {
        "insight_id": str(insight_id),
        "kind": kind,
        "severity": severity,
        "title": title[:INSIGHT_TITLE_SHOWN],
        "message": message[:INSIGHT_MESSAGE_SHOWN],
        "account_id": str(account_id) if account_id else None,
        "link": f"/api/banking/insights/{insight_id}",
    }


def company_exported_data(
    export_id: UUID, company_id: UUID, generated_at: datetime, encoding: str, files: dict[str, str]
) -> dict[str, Any]:
    """The data of `banking.company.exported`: each file's content, encoded as `encoding`."""
    return {
        "export_id": str(export_id),
        "company_id": str(company_id),
        "generated_at": generated_at.isoformat(),
        "encoding": encoding,
        "files": files,
    }


def company_erased_data(
    deletion_id: UUID, company_id: UUID, pluggy_item_ids: list[str]
) -> dict[str, Any]:
    """The data of `banking.company.erased`: the connections deleted at Pluggy, whose webhooks
    the gateway purges."""
    return {
        "deletion_id": str(deletion_id),
        "company_id": str(company_id),
        "pluggy_item_ids": pluggy_item_ids,
    }
