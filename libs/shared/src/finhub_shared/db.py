"""The database of a service: async engine, sessions, and the edge that owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, Table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeEngine

# Explicit constraint names, so Alembic migrations are reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A table Base's `type_annotation_map`: every time is timezone-aware UTC (timestamptz), every
# free-form document JSONB, without a column type written for either.
TYPE_ANNOTATION_MAP: Mapping[Any, TypeEngine[Any] | type[TypeEngine[Any]]] = {
    datetime: DateTime(timezone=True),
    dict[str, Any]: JSONB,
}


def new_metadata() -> MetaData:
    """Metadata for one service's tables, with our constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Any]) -> Table:
    """The table a declarative model maps, for Core statements (built once, values bound at
    execution, they skip the ORM's work per statement)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def sqlalchemy_url(url: str) -> str:
    """The URL with the asyncpg driver, whether it was written `postgresql://` or not."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError("database URL must start with postgresql://")


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain `postgresql://` DSN, for asyncpg and psql."""
    return "postgresql://" + sqlalchemy_url(url).removeprefix("postgresql+asyncpg://")


def statement_cache_arguments(size: int) -> dict[str, Any]:
    """asyncpg's and SQLAlchemy's prepared-statement caches at `size`; with 0 (a pooler in
    transaction mode) each statement also gets a unique name, so two clients' statements never
    meet on one server connection."""
    if size:
        return {"statement_cache_size": size, "prepared_statement_cache_size": size}
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid4()}__",
    }


class Database:
    """One service's engine and session factory; created in the lifespan, disposed on shutdown."""

    def __init__(
        self,
        url: str,
        *,
        application_name: str,
        pool_size: int = 10,
        max_overflow: int = 0,
        statement_cache_size: int = 100,
        pre_ping: bool = True,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=pool_size,
            # The pool (and its overflow) is the bound: a burst waits its turn (pool_timeout)
            # rather than opening connections past what the database's budget allows.
            max_overflow=max_overflow,
            # A ping is three round trips per checkout (begin, select, rollback); without it a
            # connection the server dropped fails its first statement instead, and SQLAlchemy
            # then replaces every pooled connection (see `worker_database`).
            pool_pre_ping=pre_ping,
            # A failed statement's message must not carry its parameters: bank data, tokens.
            hide_parameters=True,
            pool_timeout=10,
            connect_args={
                "timeout": 5,
                "command_timeout": 30,
                "server_settings": {"application_name": application_name},
                **statement_cache_arguments(statement_cache_size),
            },
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit_sessions = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed when the block ends, or rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def single_read(self) -> AsyncIterator[AsyncSession]:
        """A session for one read statement, sent without BEGIN and ROLLBACK around it (one
        round trip, not three); never for writes, nor reads that must agree with each other."""
        async with self._autocommit_sessions() as session:
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


# scope="function" commits before the response is sent, so a failed commit is an error answer.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
