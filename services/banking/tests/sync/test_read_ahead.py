"""Reading Pluggy's pages ahead of the sync: in order, errors surface, memory stays bounded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import pytest

from banking.sync.service import read_ahead


class Pages:
    """Numbered pages, as slow as a network, failing at `fail_at` if given."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.fetched = 0
        self.closed = False

    async def __call__(self) -> AsyncGenerator[int, None]:
        try:
            for number in range(self.count):
                await asyncio.sleep(0.001)
                if number == self.fail_at:
                    raise ConnectionError("Pluggy went away")
                self.fetched += 1
                yield number
        finally:
            self.closed = True


@pytest.mark.asyncio
async def test_every_page_arrives_once_in_order() -> None:
    pages = Pages(50)

    assert [page async for page in read_ahead(pages())] == list(range(50))
    assert pages.closed


@pytest.mark.asyncio
async def test_a_page_that_fails_stops_the_sync_after_the_pages_before_it() -> None:
    pages = Pages(10, fail_at=4)
    stored: list[int] = []

    async def store_all() -> None:
        async for page in read_ahead(pages()):
            stored.append(page)

    with pytest.raises(ConnectionError, match="Pluggy went away"):
        await store_all()
    assert stored == [0, 1, 2, 3]


@pytest.mark.asyncio
async def test_a_slow_store_holds_only_a_few_pages_and_stopping_early_stops_fetching() -> None:
    pages = Pages(1000)
    async with contextlib.aclosing(read_ahead(pages(), depth=2)) as ahead:
        async for page in ahead:
            await asyncio.sleep(0.02)  # storing is slower than fetching
            if page == 5:
                break

    # The pages stored, the two waiting and the one being put: never the whole history.
    assert pages.fetched <= 5 + 1 + 2 + 1
    assert pages.closed
