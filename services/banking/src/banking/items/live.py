"""What the live stream is told of an item: its status changes, the MFA prompts it waits on and
their expiry (docs/DESIGN.md, "What the live stream shows"), queued with the change itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.connectors import repository as connectors
from banking.items.models import USER_INPUT_TIMEOUT, Item
from banking.items.next_action import MFA_EXPIRED_MESSAGE, next_action
from banking.pluggy.payloads import ItemParameter

# What an item looked like before a change: its status, execution status and the products its
# last update left out (each changes what the user is told to do).
Seen = tuple[str, str, Any]


def seen(item: Item | None) -> Seen | None:
    """The item's status, execution status and product issues now (None: not stored yet)."""
    return None if item is None else (item.status, item.execution_status, item.product_issues)


async def state_kept(
    session: AsyncSession,
    item: Item,
    before: Seen | None,
    *,
    new_prompt: ItemParameter | None,
    had_prompt: bool,
    now: datetime,
) -> None:
    """After Pluggy's state of the item was kept: its status if it changed, the prompt it now
    waits on if it is new, the end of the one it waited on if the user let it run out."""
    if before != seen(item):
        await status_changed(session, item, now)
    if new_prompt is not None and item.mfa_expires_at is not None:
        await mfa_required(session, item, new_prompt, item.mfa_expires_at)
    if had_prompt and new_prompt is None and item.execution_status == USER_INPUT_TIMEOUT:
        await mfa_expired(session, item)


async def status_changed(session: AsyncSession, item: Item, now: datetime) -> None:
    """`banking.item.status_changed`, with what the user should do next."""
    action = next_action(item, now)
    data = publishing.item_status_data(
        item.id,
        await _connector_name(session, item),
        item.status,
        item.execution_status,
        action.action.value,
        action.message,
    )
    await publishing.publish(session, publishing.ITEM_STATUS_CHANGED, data, item.company_id)


async def mfa_required(
    session: AsyncSession, item: Item, prompt: ItemParameter, expires_at: datetime
) -> None:
    """`banking.item.mfa_required`: the prompt to show, until `expires_at`."""
    data = publishing.mfa_required_data(
        item.id, await _connector_name(session, item), prompt, expires_at
    )
    await publishing.publish(session, publishing.ITEM_MFA_REQUIRED, data, item.company_id)


async def mfa_expired(session: AsyncSession, item: Item) -> None:
    """`banking.item.mfa_expired`: the prompt ran out; reconnecting starts again."""
    data = publishing.mfa_expired_data(
        item.id,
        await _connector_name(session, item),
        f"/api/banking/items/{item.id}/reconnect",
        MFA_EXPIRED_MESSAGE,
    )
    await publishing.publish(session, publishing.ITEM_MFA_EXPIRED, data, item.company_id)


async def _connector_name(session: AsyncSession, item: Item) -> str:
    connector = await connectors.get(session, item.connector_id)
    return connector.name if connector is not None else ""
