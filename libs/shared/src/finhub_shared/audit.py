"""The audit log each service keeps: who changed what, before and after, and its listing.

A service's `audit_log` table takes `AuditColumns`; every change writes one entry in its own
transaction (`AuditLog.record`). `AuditLog.router` serves `GET /api/<service>/audit` to owners and
admins (`audit_page`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Self
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)
from sqlalchemy import BigInteger, ColumnElement, Identity, Index, String, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from finhub_shared.auth import CompanyOwned, ManagerPrincipal, Principal, scoped
from finhub_shared.db import DbSession, table_of
from finhub_shared.errors import InvalidCursor, error_responses
from finhub_shared.fields import IsoDay, IsoInstant
from finhub_shared.pagination import SerialKeysetCursor, keyset_page

# What a cursor this listing did not write is told (400 invalid_cursor).
INVALID_CURSOR = "The cursor is not one this audit listing gave."
# Actions are dotted words, the family first: `connection.created`, `charge.dispute.closed`.
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
MAX_ACTION_LENGTH = 100
# The last day whose next midnight (the end of a `to` day) still fits in a datetime.
LAST_DAY = date(9999, 12, 30)
REDACTED = "[redacted]"
# Keys whose values are never shown, whatever an entry holds: credentials, and links that give
# access by themselves (Stripe's hosted invoice page, a PIX payment's page).
_SECRET_KEY = re.compile(r"secret|token|password|authorization|api_key|cvc|_url$", re.IGNORECASE)


def user_actor(user_id: UUID) -> str:
    """The actor of a change a user asked for."""
    return f"user:{user_id}"


def event_actor(source: str, event_id: str) -> str:
    """The actor of a change an event caused (`stripe:evt_...`, `pluggy:<eventId>`)."""
    return f"{source}:{event_id}"


def job_actor(job: str) -> str:
    """The actor of a change a scheduled job made."""
    return f"job:{job}"


class AuditColumns(CompanyOwned):
    """The columns of a service's audit log; newest first per company is served by the index."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # Indexed first in the listing's index; an index of its own would only slow the writes.
    company_id: Mapped[UUID] = mapped_column()
    # user_actor, event_actor or job_actor.
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(MAX_ACTION_LENGTH))
    # JSON-ready states; no secret belongs here (the listing hides some all the same).
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        # One Index object per table: a shared one would belong to the first table only.
        return (Index("ix_audit_log_company_created_at_id", "company_id", "created_at", "id"),)


class Actor(BaseModel):
    """Who made a change."""

    type: str = Field(
        description="`user`, `job`, or the source of the event that caused it: `stripe`, "
        "`pluggy`, `banking`."
    )
    id: str = Field(description="The user's id, the job's name or the event's id.")

    @classmethod
    def of(cls, actor: str) -> Actor:
        """The stored `type:id` text as its parts."""
        kind, _, identifier = actor.partition(":")
        return cls(type=kind, id=identifier)


class AuditEntryRead(BaseModel):
    """One change: what (`action`), who, when (`at`), and the state before and after it."""

    id: int
    at: datetime
    action: str
    actor: Actor
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next (older) page; null on the last page."
    )


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 and the like: no such instant in UTC
        raise ValueError("the time is out of range once converted to UTC") from None


Day = Annotated[IsoDay, Field(le=LAST_DAY)]
Instant = Annotated[IsoInstant, AfterValidator(_in_utc)]
Kind = Annotated[str, StringConstraints(max_length=MAX_ACTION_LENGTH, pattern=ACTION_PATTERN)]


class AuditFilters(BaseModel):
    """Which entries: a time window and a kind of action; every filter is optional."""

    since: Day | Instant | None = Field(
        None,
        alias="from",
        description="From this instant (with its zone), or from 00:00 UTC of this day; included.",
    )
    until: Day | Instant | None = Field(
        None,
        alias="to",
        description="Before this instant (with its zone), or up to the end of this day (UTC); "
        "the instant is excluded, the day included.",
    )
    kind: Kind | None = Field(
        None,
        description="An action (`connection.created`), or a family of them: `connection` "
        "matches every action that starts with `connection.`.",
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        start, end = self.window()
        if start is not None and end is not None and start >= end:
            raise ValueError("`from` must be before `to`")
        return self

    def window(self) -> tuple[datetime | None, datetime | None]:
        """The window's start (included) and end (excluded), in UTC."""
        start = self.since
        if start is not None and not isinstance(start, datetime):
            start = datetime.combine(start, time(), UTC)
        end = self.until
        if end is not None and not isinstance(end, datetime):
            end = datetime.combine(end + timedelta(days=1), time(), UTC)
        return start, end


def _conditions(model: type[AuditColumns], filters: AuditFilters) -> list[ColumnElement[bool]]:
    start, end = filters.window()
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(model.created_at >= start)
    if end is not None:
        conditions.append(model.created_at < end)
    if filters.kind is not None:
        conditions.append(
            (model.action == filters.kind)
            | model.action.startswith(filters.kind + ".", autoescape=True)
        )
    return conditions


def _shown(value: Any) -> Any:
    """The value with what a secret-looking key holds replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(key) and item is not None else _shown(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def redacted(value: Any) -> Any:
    """The value as the audit listing shows it (what a secret-looking key holds replaced), for
    what else leaves a service with such states: a company's data export."""
    return _shown(value)


def _read(entry: AuditColumns) -> AuditEntryRead:
    return AuditEntryRead(
        id=entry.id,
        at=entry.created_at,
        action=entry.action,
        actor=Actor.of(entry.actor),
        before=_shown(entry.before),
        after=_shown(entry.after),
    )


async def audit_page(
    session: AsyncSession,
    model: type[AuditColumns],
    principal: Principal,
    filters: AuditFilters,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    """A page of the caller's company's entries, newest first, and the cursor of the next one."""
    after = SerialKeysetCursor.decode(cursor, invalid=INVALID_CURSOR) if cursor else None
    statement = scoped(select(model), model, principal).where(*_conditions(model, filters))
    rows = list(
        await session.scalars(keyset_page(statement, model.created_at, model.id, after, limit + 1))
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        next_cursor = SerialKeysetCursor(date=page[-1].created_at, id=page[-1].id).encode()
    return AuditPage(items=[_read(entry) for entry in page], next_cursor=next_cursor)


class AuditLog:
    """A service's audit log: writing its entries and the route that lists them."""

    def __init__(self, model: type[AuditColumns]) -> None:
        self.model = model
        # Built once, its values bound at execution (as the inbox's claim): an ORM add and flush
        # took the unit of work's path for each entry, and most of billing's events write one.
        self._insert = insert(table_of(model))

    async def record(
        self,
        session: AsyncSession,
        company_id: UUID,
        *,
        actor: str,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Add one entry in the session's transaction (`before`/`after` JSON-ready, no secret)."""
        # What the session holds goes first: the entry may be of a company added just now.
        await session.flush()
        row = {
            "company_id": company_id,
            "actor": actor,
            "action": action,
            "before": before,
            "after": after,
        }
        await session.execute(self._insert, row)

    def router(self, prefix: str, service: str) -> APIRouter:
        """`GET {prefix}/audit`: the caller's company's entries, for its owners and admins."""
        router = APIRouter(prefix=prefix, tags=["audit"])
        model = self.model

        @router.get(
            "/audit",
            responses=error_responses(InvalidCursor),
            description=f"Who changed what in {service}, newest first, filtered; follow "
            "`next_cursor` for more.",
        )
        async def list_audit(
            filters: Annotated[AuditFilters, Query()],
            session: DbSession,
            principal: ManagerPrincipal,
            cursor: Annotated[str | None, Query(max_length=500)] = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
        ) -> AuditPage:
            return await audit_page(session, model, principal, filters, cursor, limit)

        return router
