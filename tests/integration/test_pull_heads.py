"""The per-process heads of celebrity pull lists (feed/pull_heads.py) against a real Redis: they answer
like the lists do, keep nothing past their lifetime, and a change made meanwhile is never hidden."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient

from cache.timeline import TimelinePage, Timelines, TimelineState
from core.ids import new_id
from feed.pull_heads import HEAD_SIZE, PullHeads
from tests.conftest import app_services, run


class _CountingLists(Timelines):
    """Pull lists that count the lists read from Redis, and can run a write in the middle of a read."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(app_services(client).redis, prefix=f"ap{new_id()}", cap=200, ttl_seconds=60)
        self.read_from_redis = 0
        self.during_read: list[int] = []  # authors whose list changes while a read is in flight
        self.heads: PullHeads | None = None

    async def page_many(self, owner_ids: list[int], before: int | None, count: int) -> list[TimelinePage]:
        self.read_from_redis += len(owner_ids)
        pages = await super().page_many(owner_ids, before, count)
        for author_id in self.during_read:  # what a concurrent fan-out does after its push
            await self.push(new_id(), [author_id])
            assert self.heads is not None
            self.heads.forget(author_id)
        self.during_read = []
        return pages


async def _lists_of(lists: Timelines, sizes: dict[int, int]) -> dict[int, list[int]]:
    """Build each author's pull list with ``size`` entries; returns them newest first."""
    made: dict[int, list[int]] = {}
    for author_id, size in sizes.items():
        entries = sorted((new_id() for _ in range(size)), reverse=True)

        async def load(entries: list[int] = entries) -> list[int]:
            return entries

        await lists.rebuild(author_id, load)
        made[author_id] = entries
    return made


def test_heads_answer_every_page_exactly_as_the_lists_do(client: TestClient) -> None:
    lists = _CountingLists(client)
    heads = PullHeads(lists, ttl_ms=60_000)
    big, small, empty, absent = new_id(), new_id(), new_id(), new_id()

    async def scenario() -> None:
        made = await _lists_of(lists, {big: 150, small: 10, empty: 0})
        authors = [big, small, empty, absent]
        await heads.page_many(authors, None, 32)  # first page: heads of the three lists kept
        cursors: list[int | None] = [None, made[big][5], made[big][HEAD_SIZE - 10], made[big][120]]
        cursors += [made[small][3], new_id()]
        for before in cursors:
            for count in (1, 10, 32, 64, 100):
                expected = await Timelines.page_many(lists, authors, before, count)
                assert await heads.page_many(authors, before, count) == expected, (before, count)

    run(client, scenario)
    missing = TimelinePage(TimelineState.MISSING, [])
    assert run(client, lambda: heads.page_many([absent], None, 5)) == [missing]


def test_a_head_saves_the_round_trip_until_its_lifetime_ends_or_the_list_changes(client: TestClient) -> None:
    lists = _CountingLists(client)
    heads = PullHeads(lists, ttl_ms=300)
    author = new_id()
    made = run(client, lambda: _lists_of(lists, {author: 5}))[author]

    def first_page() -> list[int]:
        return run(client, lambda: heads.page_many([author], None, 32))[0].entries

    assert first_page() == made
    assert first_page() == made
    assert lists.read_from_redis == 1  # the second read came from the head
    newer = new_id()
    run(client, lambda: lists.push(newer, [author]))  # written behind the heads' back (another process)
    assert first_page() == made  # up to the lifetime later...
    time.sleep(0.35)
    assert first_page() == [newer, *made]  # ...but no longer
    newest = new_id()
    run(client, lambda: lists.push(newest, [author]))
    heads.forget(author)  # this process's fan-out tells its heads
    assert first_page() == [newest, newer, *made]
    assert lists.read_from_redis == 3


def test_a_change_during_a_read_is_not_hidden_by_the_head_that_read_kept(client: TestClient) -> None:
    lists = _CountingLists(client)
    heads = lists.heads = PullHeads(lists, ttl_ms=60_000)
    author = new_id()
    made = run(client, lambda: _lists_of(lists, {author: 3}))[author]
    lists.during_read = [author]
    assert run(client, lambda: heads.page_many([author], None, 32))[0].entries == made  # read before the push
    after = run(client, lambda: heads.page_many([author], None, 32))[0].entries
    assert len(after) == 4 and after[1:] == made  # the pushed entry shows: the stale head was not kept
    assert lists.read_from_redis == 2


def test_no_lifetime_means_every_read_goes_to_redis(client: TestClient) -> None:
    lists = _CountingLists(client)
    heads = PullHeads(lists, ttl_ms=0)
    author = new_id()
    run(client, lambda: _lists_of(lists, {author: 3}))

    async def twice() -> None:
        await asyncio.gather(*(heads.page_many([author], None, 10) for _ in range(2)))

    run(client, twice)
    assert lists.read_from_redis == 2
