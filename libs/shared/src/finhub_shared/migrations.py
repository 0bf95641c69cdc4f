"""Alembic glue: each service's `migrations/env.py` calls `run_migrations` with its own metadata."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from finhub_shared.db import sqlalchemy_url
from finhub_shared.settings import read_variable


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_online(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, metadata)
    await engine.dispose()


def run_migrations(metadata: MetaData, url_variable: str) -> None:
    """Migrate the database named by the Alembic attribute `database_url` or by `url_variable`."""
    database_url = context.config.attributes.get("database_url") or read_variable(url_variable)
    if not database_url:
        raise SystemExit(f"{url_variable} is not set")
    if context.is_offline_mode():
        context.configure(url=sqlalchemy_url(database_url), target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_migrate_online(database_url, metadata))
