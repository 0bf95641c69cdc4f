"""Lists in pages, newest first: page-numbered for every history endpoint of every service, and
keyset (an opaque cursor) for the long ones."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Self, TypeVar, TypeVarTuple

from fastapi import Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from finhub_shared.errors import InvalidCursor
from finhub_shared.fields import MAX_BIGINT
from finhub_shared.queries import newest_first

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
SchemaT = TypeVar("SchemaT", bound=BaseModel)
Columns = TypeVarTuple("Columns")


class PageRequest(BaseModel):
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.page_size


# Far beyond any history, and well within the row OFFSET PostgreSQL can skip (a BIGINT).
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 100


def _page_request(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1 is the newest page")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> PageRequest:
    return PageRequest(page=page, page_size=page_size)


PageQuery = Annotated[PageRequest, Depends(_page_request)]


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    page: int
    page_size: int


async def page_of(
    session: AsyncSession,
    statement: Select[RowT],
    request: PageRequest,
    schema: type[SchemaT],
) -> Page[SchemaT]:
    """One page of the (already ordered) statement's rows as `schema`, with the total count."""
    count_statement: Select[Any] = select(func.count()).select_from(
        statement.order_by(None).subquery()
    )
    total = (await session.execute(count_statement)).scalar_one()
    rows = await session.execute(statement.limit(request.page_size).offset(request.offset))
    return Page(
        items=[schema.model_validate(row) for row in rows.scalars()],
        total=int(total),
        page=request.page,
        page_size=request.page_size,
    )


class _KeysetPosition(BaseModel):
    """Where a newest-first page ended: its last row's time (and id, in the subclasses)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: AwareDatetime

    def encode(self) -> str:
        """The cursor as the client gets it."""
        return base64.urlsafe_b64encode(self.model_dump_json().encode()).decode()

    @classmethod
    def decode(cls, cursor: str, *, invalid: str) -> Self:
        """The position `encode` wrote; 400 invalid_cursor saying `invalid` for anything else."""
        try:
            position = cls.model_validate_json(base64.urlsafe_b64decode(cursor))
            # A tampered date may fall outside the years a timestamp holds once in UTC.
            return position.model_copy(update={"date": position.date.astimezone(UTC)})
        except (ValueError, OverflowError):
            raise InvalidCursor(invalid) from None


class KeysetCursor(_KeysetPosition):
    """Where a newest-first page of rows with UUID ids ended, opaque to the client."""

    id: uuid.UUID


class SerialKeysetCursor(_KeysetPosition):
    """Where a newest-first page of rows with BIGINT identity ids (audit logs) ended."""

    # strict: a UUID's digits or a number as text are another listing's cursor, not this one's.
    id: Annotated[int, Field(strict=True, ge=1, le=MAX_BIGINT)]


def keyset_page(
    statement: Select[*Columns],
    at: QueryableAttribute[datetime],
    row_id: QueryableAttribute[uuid.UUID] | QueryableAttribute[int],
    after: KeysetCursor | SerialKeysetCursor | None,
    limit: int,
) -> Select[*Columns]:
    """Up to `limit` rows of the statement newest first by (`at`, `row_id`), past `after`."""
    if after is not None:
        statement = statement.where(tuple_(at, row_id) < tuple_(after.date, after.id))
    return newest_first(statement, at, row_id).limit(limit)
