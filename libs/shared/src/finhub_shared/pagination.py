"""Page-numbered lists, newest first, for every history endpoint of every service."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
SchemaT = TypeVar("SchemaT", bound=BaseModel)


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
