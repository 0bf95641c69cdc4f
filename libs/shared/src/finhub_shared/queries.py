"""The query idioms every repository shares: a company's row or 404, newest first, a row locked
as it is now, a lock on a key, and how many rows a change touched. Keyset pages are in
`finhub_shared.pagination`."""

from __future__ import annotations

from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import CursorResult, Result, Select, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from finhub_shared.auth import OwnedT, Principal, ensure_owned

RowT = TypeVar("RowT")
Columns = TypeVarTuple("Columns")


async def get_owned(
    session: AsyncSession, model: type[OwnedT], row_id: object, principal: Principal, what: str
) -> OwnedT:
    """The caller's row of `model` with this primary key; otherwise 404 "No such `what`.", as
    for another company's row."""
    return ensure_owned(await session.get(model, row_id), principal, what)


async def get_for_update(session: AsyncSession, model: type[RowT], row_id: object) -> RowT | None:
    """The row of `model` with this primary key, locked until the transaction ends and read as
    it is now (not as this session last saw it)."""
    return await session.get(model, row_id, with_for_update=True, populate_existing=True)


def locked(statement: Select[*Columns]) -> Select[*Columns]:
    """The statement's rows, locked until the transaction ends and read as they are now: a row
    another transaction held is read again once it is ours."""
    return statement.with_for_update().execution_options(populate_existing=True)


# Built once, its key bound at execution: banking takes one with every Pluggy event.
_ADVISORY_LOCK = select(
    func.pg_advisory_xact_lock(func.hashtext(bindparam("lock_key", type_=String)))
)


async def advisory_lock(session: AsyncSession, namespace: str, key: str) -> None:
    """Wait until no other transaction holds (namespace, key), then hold it until this one ends:
    the lock for rows that may not exist yet."""
    await session.execute(_ADVISORY_LOCK, {"lock_key": f"{namespace}:{key}"})


def newest_first(
    statement: Select[*Columns], *columns: QueryableAttribute[Any]
) -> Select[*Columns]:
    """The statement ordered by `columns`, each descending: a time, then an id for ties."""
    return statement.order_by(*(column.desc() for column in columns))


def rows_affected(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE that gave `result` changed."""
    assert isinstance(result, CursorResult)
    return result.rowcount
