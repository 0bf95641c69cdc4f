"""The shared query idioms against the real PostgreSQL: ownership, locks, order, counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import NotFound
from finhub_shared.queries import (
    advisory_lock,
    get_for_update,
    get_owned,
    locked,
    newest_first,
    rows_affected,
)

from .conftest import Note

NOON = datetime(2026, 10, 1, 12, tzinfo=UTC)


def member_of(company_id: uuid.UUID) -> Principal:
    return Principal(user_id=uuid.uuid4(), company_id=company_id, role="member", token_id="test")


async def add_note(database: Database, company_id: uuid.UUID, text: str = "note") -> uuid.UUID:
    async with database.transaction() as session:
        note = Note(company_id=company_id, written_at=NOON, text=text)
        session.add(note)
        await session.flush()
        return note.id


@pytest.mark.asyncio
async def test_get_owned_finds_the_callers_row_and_answers_404_alike_for_others_and_missing(
    database: Database,
) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    my_note, their_note = await add_note(database, mine), await add_note(database, theirs)

    async with database.transaction() as session:
        found = await get_owned(session, Note, my_note, member_of(mine), "note")
        refusals = []
        for note_id in (their_note, uuid.uuid4()):
            with pytest.raises(NotFound) as refused:
                await get_owned(session, Note, note_id, member_of(mine), "note")
            refusals.append((refused.value.code, refused.value.message))

    assert found.id == my_note
    assert refusals == [("not_found", "No such note.")] * 2


@pytest.mark.asyncio
async def test_get_for_update_reads_the_row_as_it_is_now_and_holds_it(database: Database) -> None:
    note_id = await add_note(database, uuid.uuid4(), "before")

    async with database.transaction() as session:
        seen = await session.get(Note, note_id)
        async with database.transaction() as other:
            await other.execute(update(Note).where(Note.id == note_id).values(text="after"))
        held = await get_for_update(session, Note, note_id)
        missing = await get_for_update(session, Note, uuid.uuid4())
        async with database.transaction() as other:
            await other.execute(text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(DBAPIError, match="lock"):
                await get_for_update(other, Note, note_id)

    assert held is seen
    assert held is not None
    assert held.text == "after"
    assert missing is None


@pytest.mark.asyncio
async def test_locked_reads_the_rows_as_they_are_now_and_holds_them(database: Database) -> None:
    company_id = uuid.uuid4()
    note_id = await add_note(database, company_id, "before")
    statement = select(Note).where(Note.company_id == company_id)

    async with database.transaction() as session:
        await session.get(Note, note_id)
        async with database.transaction() as other:
            await other.execute(update(Note).where(Note.id == note_id).values(text="after"))
        [held] = (await session.scalars(locked(statement))).all()
        async with database.transaction() as other:
            await other.execute(text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(DBAPIError, match="lock"):
                await other.execute(locked(statement))

    assert held.text == "after"


@pytest.mark.asyncio
async def test_advisory_lock_holds_a_key_until_the_transaction_ends(database: Database) -> None:
    async with database.transaction() as session:
        await advisory_lock(session, "note", "a")
        async with database.transaction() as other:
            await advisory_lock(other, "note", "b")
            await advisory_lock(other, "other namespace", "a")
        async with database.transaction() as other:
            await other.execute(text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(DBAPIError, match="lock"):
                await advisory_lock(other, "note", "a")

    async with database.transaction() as session:
        await advisory_lock(session, "note", "a")


@pytest.mark.asyncio
async def test_newest_first_orders_by_time_then_id_both_descending(database: Database) -> None:
    company_id = uuid.uuid4()
    times = [NOON, NOON, NOON - timedelta(days=1), NOON + timedelta(days=1)]
    async with database.transaction() as session:
        session.add_all(Note(company_id=company_id, written_at=at, text="n") for at in times)

    async with database.transaction() as session:
        statement = newest_first(select(Note), Note.written_at, Note.id)
        listed = [(note.written_at, note.id) for note in await session.scalars(statement)]

    assert listed == sorted(listed, reverse=True)
    assert [at for at, _ in listed] == sorted(times, reverse=True)


@pytest.mark.asyncio
async def test_rows_affected_counts_what_an_update_or_delete_changed(database: Database) -> None:
    company_id = uuid.uuid4()
    for _ in range(3):
        await add_note(database, company_id)
    await add_note(database, uuid.uuid4())

    async with database.transaction() as session:
        of_company = Note.company_id == company_id
        updated = await session.execute(update(Note).where(of_company).values(text="seen"))
        deleted = await session.execute(delete(Note).where(of_company, Note.text == "seen"))
        none = await session.execute(delete(Note).where(of_company))

    assert [rows_affected(result) for result in (updated, deleted, none)] == [3, 3, 0]
