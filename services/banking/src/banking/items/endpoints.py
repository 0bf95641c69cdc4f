"""Routes of connections: connect token, the widget's callback, items, MFA."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from banking.dependencies import BankingDatabase, BankingRuntime
from banking.entitlements.errors import BankAccountLimitReached
from banking.items import service
from banking.items.errors import ItemClosed, ItemNotFound, MfaExpired, MfaNotPending
from banking.items.schemas import (
    CallbackRequest,
    ConnectTokenRead,
    ConnectTokenRequest,
    ItemRead,
    MfaAnswer,
)
from finhub_shared.auth import CurrentPrincipal, ManagerPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses
from finhub_shared.events import utcnow

router = APIRouter(prefix="/api/banking", tags=["connections"])


@router.post(
    "/pluggy/connect-token",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(BankAccountLimitReached, ItemNotFound, ItemClosed, NotFound),
)
async def create_connect_token(
    body: ConnectTokenRequest,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> ConnectTokenRead:
    """A token for Pluggy's widget; with `item_id`, to update (reconnect) that connection."""
    return await service.create_connect_token(database, runtime, principal, body.item_id, utcnow())


@router.post("/pluggy/callback", responses=error_responses(ItemNotFound))
async def pluggy_callback(
    body: CallbackRequest,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> ItemRead:
    """The widget connected an item: store it with its accounts and start syncing."""
    now = utcnow()
    snapshot = await service.fetch_connection(database, runtime, principal, body.item_id, now)
    async with database.transaction() as session:
        return await service.complete_connection(session, runtime, principal, snapshot, now)


@router.get("/items")
async def list_items(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> list[ItemRead]:
    """Your bank connections, each with what to do next."""
    return await service.list_items(session, runtime, principal, utcnow())


@router.get("/items/{item_id}", responses=error_responses(NotFound))
async def get_item(
    item_id: uuid.UUID, session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> ItemRead:
    """One bank connection."""
    return await service.get_item(session, runtime, principal, item_id, utcnow())


@router.delete(
    "/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFound)
)
async def delete_item(
    item_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> Response:
    """Remove the connection, at Pluggy too, with its accounts and transactions."""
    await service.delete_item(database, runtime, principal, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/items/{item_id}/mfa",
    responses=error_responses(NotFound, ItemNotFound, MfaNotPending, MfaExpired),
)
async def answer_mfa(
    item_id: uuid.UUID,
    body: MfaAnswer,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: WriterPrincipal,
) -> ItemRead:
    """Answer the bank's MFA prompt."""
    now = utcnow()
    snapshot = await service.answer_mfa(database, runtime, principal, item_id, body.parameters, now)
    async with database.transaction() as session:
        return await service.keep_mfa_outcome(session, runtime, principal, item_id, snapshot, now)


@router.post(
    "/items/{item_id}/reconnect",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, ItemNotFound, ItemClosed),
)
async def reconnect(
    item_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: WriterPrincipal,
) -> ConnectTokenRead:
    """A fresh connect token for this connection (after an MFA timeout or a refused log-in)."""
    return await service.create_connect_token(database, runtime, principal, item_id, utcnow())
