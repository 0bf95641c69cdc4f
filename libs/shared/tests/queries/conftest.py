"""A scratch database with one table of company-owned notes, emptied before each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest_asyncio
from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from finhub_dev.testing import scratch_database, truncate_tables
from finhub_shared.auth import CompanyOwned
from finhub_shared.db import Database, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Note(CompanyOwned, Base):
    __tablename__ = "query_kit_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(String(100))


@pytest_asyncio.fixture(scope="session")
async def scratch_schema() -> str:
    return await scratch_database(Base.metadata)


@pytest_asyncio.fixture
async def database(scratch_schema: str) -> AsyncIterator[Database]:
    database = Database(scratch_schema, application_name="tests", pool_size=3)
    await truncate_tables(database, Base.metadata)
    yield database
    await database.dispose()
