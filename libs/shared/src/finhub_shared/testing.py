"""Helpers for the services' test suites: a migrated test database and clean tables per test."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, text

from finhub_shared.cli import alembic_config
from finhub_shared.db import Database
from finhub_shared.provisioning import ensure_database


async def migrate_fresh(service_dir: Path, database_url: str, admin_url: str) -> None:
    """Create the database if needed, drop everything in it, and apply every migration from zero."""
    await ensure_database(admin_url, database_url)
    database = Database(database_url, application_name="tests-migrate", pool_size=1)
    async with database.transaction() as session:
        await session.execute(text("DROP SCHEMA public CASCADE"))
        await session.execute(text("CREATE SCHEMA public"))
    await database.dispose()
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(command.upgrade, alembic_config(service_dir, database_url), "head")


async def truncate_tables(
    database: Database, metadata: MetaData, keep: Collection[str] = ()
) -> None:
    """Empty every table of `metadata` except `keep` (reference data seeded by migrations)."""
    names = [f'"{table.name}"' for table in metadata.sorted_tables if table.name not in keep]
    if names:
        async with database.transaction() as session:
            await session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
