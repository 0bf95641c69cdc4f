"""Keyset pages: an opaque cursor that walks every row once, and refuses any cursor it did not
write with 400 invalid_cursor."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from finhub_shared.db import Database
from finhub_shared.errors import InvalidCursor
from finhub_shared.pagination import KeysetCursor, keyset_page

from .conftest import Note

NOON = datetime(2026, 10, 1, 12, tzinfo=UTC)
SOME_ID = "5f1d7c1e-0000-4000-8000-000000000000"


def cursor_of(payload: Any) -> str:
    """A cursor encoded as `KeysetCursor.encode` does, around any payload."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.asyncio
async def test_pages_walk_every_row_once_newest_first_through_ties(database: Database) -> None:
    company_id = uuid.uuid4()
    # Seven notes at three instants: ties on the time are broken by the id.
    times = [NOON + timedelta(minutes=number % 3) for number in range(7)]
    async with database.transaction() as session:
        session.add_all(Note(company_id=company_id, written_at=at, text="n") for at in times)
        session.add(Note(company_id=uuid.uuid4(), written_at=NOON, text="another company's"))

    walked: list[tuple[datetime, uuid.UUID]] = []
    cursor: str | None = None
    async with database.transaction() as session:
        while True:
            after = KeysetCursor.decode(cursor, invalid="bad") if cursor else None
            statement = select(Note).where(Note.company_id == company_id)
            page = list(
                await session.scalars(keyset_page(statement, Note.written_at, Note.id, after, 3))
            )
            walked += [(note.written_at, note.id) for note in page]
            if len(page) < 3:
                break
            cursor = KeysetCursor(date=page[-1].written_at, id=page[-1].id).encode()

    assert len(walked) == 7
    assert walked == sorted(set(walked), reverse=True)


def test_a_cursor_decodes_to_the_position_it_was_encoded_from_in_utc() -> None:
    position = KeysetCursor(
        date=datetime(2026, 10, 1, 12, 0, 0, 123456, tzinfo=UTC), id=uuid.UUID(SOME_ID)
    )
    written_elsewhere = cursor_of({"date": "2026-10-01T09:00:00.123456-03:00", "id": SOME_ID})

    assert KeysetCursor.decode(position.encode(), invalid="bad") == position
    assert KeysetCursor.decode(written_elsewhere, invalid="bad") == position


TAMPERED = {
    "empty": "",
    "garbage": "not-a-cursor",
    "not base64 text": "\ud800",
    "not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "not JSON": base64.urlsafe_b64encode(b"2026-10-01T12:00:00+00:00|" + SOME_ID.encode()).decode(),
    "a list": cursor_of(["2026-10-01T12:00:00+00:00", SOME_ID]),
    "a string": cursor_of("a string"),
    "no id": cursor_of({"date": "2026-10-01T12:00:00+00:00"}),
    "id not a uuid": cursor_of({"date": "2026-10-01T12:00:00+00:00", "id": "not-a-uuid"}),
    "id a number": cursor_of({"date": "2026-10-01T12:00:00+00:00", "id": 12}),
    "one key more": cursor_of({"date": "2026-10-01T12:00:00+00:00", "id": SOME_ID, "x": 1}),
    "date a word": cursor_of({"date": "last tuesday", "id": SOME_ID}),
    "date without zone": cursor_of({"date": "2026-10-01T12:00:00", "id": SOME_ID}),
    "before year 1 in UTC": cursor_of({"date": "0001-01-01T00:00:00+14:00", "id": SOME_ID}),
    "after 9999 in UTC": cursor_of({"date": "9999-12-31T23:59:59-14:00", "id": SOME_ID}),
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_cursor_it_did_not_write_is_400_invalid_cursor_with_the_listings_message(
    cursor: str,
) -> None:
    with pytest.raises(InvalidCursor) as refused:
        KeysetCursor.decode(cursor, invalid="The cursor is not one this listing gave.")

    assert refused.value.status_code == 400
    assert refused.value.to_body() == {
        "code": "invalid_cursor",
        "message": "The cursor is not one this listing gave.",
    }
