"""Pytest fixtures shared by every service's tests: a migrated database, clean tables, the app.

A service's tests/conftest.py defines a session fixture `service` returning its ServiceUnderTest;
the root conftest.py loads this module as a plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest_asyncio
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import MetaData, func, select, text

from finhub_dev.provisioning import ensure_database
from finhub_shared.bus import Publisher
from finhub_shared.cli import alembic_config
from finhub_shared.db import Database, asyncpg_dsn
from finhub_shared.outbox import OutboxMessageMixin, OutboxRelay
from finhub_shared.supervision import Supervisor


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


async def scratch_database(metadata: MetaData) -> str:
    """The libraries' scratch database (SHARED_DATABASE_URL), created if missing, with the tables
    of `metadata` made anew; its URL."""
    url = os.environ["SHARED_DATABASE_URL"]
    await ensure_database(os.environ["POSTGRES_ADMIN_URL"], url)
    database = Database(url, application_name="tests-schema", pool_size=1)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
    await database.dispose()
    return url


@dataclass(frozen=True)
class ServiceUnderTest:
    """What the shared fixtures need to know about the service a test directory belongs to."""

    service_dir: Path
    url_variable: str
    metadata: MetaData
    app_factory: Callable[[], FastAPI]
    keep_tables: Collection[str] = ()

    @property
    def database_url(self) -> str:
        """The service's test database (the root conftest points the variable at it)."""
        return os.environ[self.url_variable]


# Databases already rebuilt in this run. A session-scoped fixture cannot hold this: pytest caches
# it once for the whole run, whichever service's `service` fixture it was first built with.
_migrated: set[str] = set()


@pytest_asyncio.fixture
async def migrated_database(service: ServiceUnderTest) -> str:
    """The service's test database, rebuilt from its migrations once per run."""
    if service.database_url not in _migrated:
        admin_url = os.environ["POSTGRES_ADMIN_URL"]
        await migrate_fresh(service.service_dir, service.database_url, admin_url)
        _migrated.add(service.database_url)
    return service.database_url


@pytest_asyncio.fixture
async def database(service: ServiceUnderTest, migrated_database: str) -> AsyncIterator[Database]:
    """The service's database with empty tables (reference data kept)."""
    database = Database(migrated_database, application_name="tests", pool_size=10)
    await truncate_tables(database, service.metadata, service.keep_tables)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def app(
    service: ServiceUnderTest,
    database: Database,  # noqa: ARG001 - requested so the app starts on clean tables
) -> AsyncIterator[FastAPI]:
    """The service's app, started with its lifespan, on clean tables."""
    application = service.app_factory()
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest_asyncio.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the app's 500 as an answer, as a browser would, instead of the
    exception: for tests that assert the status is never 500."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def send_json(
    client: httpx.AsyncClient, method: str, url: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """Send `body` as JSON with ASCII escapes, as a browser may: a lone surrogate such as
    "\\ud800" is valid JSON there, though httpx would refuse to encode it."""
    return await client.request(
        method,
        url,
        content=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def outcome(response: httpx.Response) -> tuple[int, str | None]:
    """The status and the error `code` of an answer (None when the body is not our JSON)."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, None
    return response.status_code, body.get("code") if isinstance(body, dict) else None


@asynccontextmanager
async def database_refusing_connections(database_url: str) -> AsyncIterator[None]:
    """For the block, the database named by `database_url` is down: its connections are closed
    and new ones refused, as a stopped server would, while the machine's other databases (and
    other test runs) go on being served."""
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(os.environ["POSTGRES_ADMIN_URL"]))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def table_row_counts(database: Database, metadata: MetaData) -> dict[str, int]:
    """How many rows each table holds: equal before and after a refused request shows it wrote
    nothing."""
    async with database.sessions() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table)) or 0
            for table in metadata.sorted_tables
        }


@asynccontextmanager
async def relaying(
    database_url: str, outbox: type[OutboxMessageMixin], *, name: str
) -> AsyncIterator[None]:
    """A service worker's outbox relay in this process: its outbox published to RabbitMQ
    (AMQP_URL), supervised as the worker supervises it."""
    database = Database(database_url, application_name=name)
    publisher = Publisher(os.environ["AMQP_URL"], name=name)
    await publisher.connect()
    relay = OutboxRelay(database, outbox, publisher)
    try:
        async with Supervisor() as supervisor:
            supervisor.start("outbox-relay", relay.run, window_seconds=60)
            yield
    finally:
        await publisher.close()
        await database.dispose()
