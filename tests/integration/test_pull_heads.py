"""The per-process heads of celebrity pull lists (feed/pull_heads.py) against a real Redis: they answer
like the lists do, keep nothing past their lifetime, a change made meanwhile is never hidden, a change
made by another process's fan-out reaches them at once, and reads that want a head while it is being
read wait for that one read (unless a change came since)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi.testclient import TestClient
from redis.asyncio import Redis

from api.app import create_app
from cache.realtime import RealtimeBus, RealtimeHub
from cache.timeline import TimelinePage, Timelines, TimelineState
from core.ids import new_id
from core.settings import Settings
from feed.pull_heads import HEAD_SIZE, PullHeads
from feed.service import FeedService
from tests.conftest import app_services, create_post, register, run, wait_until_prepared
from tests.integration.test_feed import drain, feed_ids, follow
from tests.private_servers import PrivateRedis


class _CountingLists(Timelines):
    """Pull lists that count the lists read from Redis, and can run a write in the middle of a read."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(app_services(client).cache_redis, prefix=f"ap{new_id()}", cap=200, ttl_seconds=60)
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


class _GatedLists(_CountingLists):
    """Pull lists whose reads wait at a gate (a read in flight for as long as a test needs), and can fail."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.gate = asyncio.Event()
        self.failure: Exception | None = None

    async def page_many(self, owner_ids: list[int], before: int | None, count: int) -> list[TimelinePage]:
        await self.gate.wait()
        if self.failure is not None:
            self.read_from_redis += len(owner_ids)
            raise self.failure
        return await super().page_many(owner_ids, before, count)


def test_reads_wanting_a_head_meanwhile_wait_for_the_one_read_in_flight(client: TestClient) -> None:
    lists = _GatedLists(client)
    heads = PullHeads(lists, ttl_ms=60_000)
    author, other = new_id(), new_id()
    lists.gate.set()
    made = run(client, lambda: _lists_of(lists, {author: 150, other: 5}))
    lists.gate.clear()

    async def scenario() -> list[list[TimelinePage]]:
        reads = [asyncio.ensure_future(heads.page_many([author, other], None, 24)) for _ in range(10)]
        reads.append(asyncio.ensure_future(heads.page_many([author], None, 100)))  # more than a head holds
        await asyncio.sleep(0.05)  # every read is waiting for the first one's
        lists.gate.set()
        return await asyncio.gather(*reads)

    pages = run(client, scenario)
    assert all([p.entries for p in read] == [made[author][:24], made[other]] for read in pages[:10])
    assert pages[10][0].entries == made[author][:100]  # a read of its own: the one in flight asked for 64
    assert lists.read_from_redis == 2 + 1  # both lists once, and the longer page
    run(client, lambda: heads.page_many([author, other], None, 24))
    assert lists.read_from_redis == 3  # kept as heads


def test_a_read_in_flight_answers_no_read_that_came_after_a_change(client: TestClient) -> None:
    lists = _GatedLists(client)
    heads = PullHeads(lists, ttl_ms=60_000)
    author = new_id()
    lists.gate.set()
    made = run(client, lambda: _lists_of(lists, {author: 3}))[author]
    lists.gate.clear()
    newer = new_id()

    async def scenario() -> tuple[list[int], list[int]]:
        before_change = asyncio.ensure_future(heads.page_many([author], None, 10))
        await asyncio.sleep(0.05)
        lists.gate.set()
        await lists.push(newer, [author])  # as a fan-out does: push, then forget the head
        heads.forget(author)
        after_change = asyncio.ensure_future(heads.page_many([author], None, 10))
        return (await before_change)[0].entries, (await after_change)[0].entries

    first, second = run(client, scenario)
    assert first in (made, [newer, *made]) and second == [newer, *made]
    assert lists.read_from_redis == 2


def test_a_cancelled_read_does_not_fail_the_reads_waiting_for_it_and_a_failure_fails_them_all(
    client: TestClient,
) -> None:
    lists = _GatedLists(client)
    heads = PullHeads(lists, ttl_ms=60_000)
    author = new_id()
    lists.gate.set()
    made = run(client, lambda: _lists_of(lists, {author: 3}))[author]
    lists.gate.clear()

    async def cancelled_starter() -> list[int]:
        starter = asyncio.ensure_future(heads.page_many([author], None, 10))  # starts the read
        await asyncio.sleep(0.02)
        waiter = asyncio.ensure_future(heads.page_many([author], None, 10))  # waits for it
        await asyncio.sleep(0.02)
        starter.cancel()  # its client went away
        lists.gate.set()
        return (await waiter)[0].entries

    assert run(client, cancelled_starter) == made
    assert lists.read_from_redis == 1

    heads.forget(author)
    lists.gate.clear()
    lists.failure = ConnectionError("redis went away")

    async def failing() -> list[BaseException | list[TimelinePage]]:
        reads = [asyncio.ensure_future(heads.page_many([author], None, 10)) for _ in range(3)]
        await asyncio.sleep(0.02)
        lists.gate.set()
        return await asyncio.gather(*reads, return_exceptions=True)

    outcomes = run(client, failing)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert lists.read_from_redis == 2  # one read failed, for all three
    lists.failure = None
    assert run(client, lambda: heads.page_many([author], None, 10))[0].entries == made  # read again


def test_no_lifetime_means_every_read_goes_to_redis(client: TestClient) -> None:
    lists = _CountingLists(client)
    heads = PullHeads(lists, ttl_ms=0)
    author = new_id()
    run(client, lambda: _lists_of(lists, {author: 3}))

    async def twice() -> None:
        await asyncio.gather(*(heads.page_many([author], None, 10) for _ in range(2)))

    run(client, twice)
    assert lists.read_from_redis == 2


def test_a_change_made_by_another_process_reaches_this_processes_heads_at_once(settings: Settings) -> None:
    # Heads live a minute here: only the announcement can show this process the new post in time.
    tuned = settings.model_copy(
        update={"celebrity_threshold": 1, "pull_cache_ttl_seconds": 1, "pull_head_cache_ms": 60_000}
    )
    with TestClient(create_app(tuned)) as client:
        wait_until_prepared(client)
        star, reader = register(client), register(client)
        follow(client, reader, star)
        feed_ids(client, reader)
        first = create_post(client, star, "the switching post")
        drain(client)  # one follower is enough here: the star is pulled from now on
        time.sleep(2.1)  # past the grace period (cache TTL 1 s + 1 s margin): pushes stop
        assert feed_ids(client, reader) == [first]  # this process now holds the head of the star's list
        second = create_post(client, star, "delivered by another process")
        services = app_services(client)
        other = FeedService.build(tuned, services.graph, services.redis, services.cache_redis)  # a worker's
        run(client, lambda: other.fanout.deliver(int(star.user_id), int(second), "public"))
        deadline = time.monotonic() + 2
        while feed_ids(client, reader) != [second, first] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert feed_ids(client, reader) == [second, first]


def test_heads_hear_of_changes_once_redis_is_back_after_starting_without_it(tmp_path: Path) -> None:
    private_redis = PrivateRedis(tmp_path)  # not started yet: this process starts without Redis
    url = f"redis://127.0.0.1:{private_redis.port}/0"
    author, older, newer = new_id(), new_id(), new_id()

    async def scenario() -> list[int]:
        redis = Redis.from_url(url, socket_connect_timeout=1)
        hub = RealtimeHub(Redis.from_url(url, socket_connect_timeout=1))
        lists = Timelines(redis, prefix="ap", cap=200, ttl_seconds=60)
        heads = PullHeads(lists, ttl_ms=60_000)
        follower = asyncio.create_task(heads.follow_changes(hub))
        try:
            await asyncio.sleep(0.3)  # the first subscription attempt has failed
            await asyncio.to_thread(private_redis.start)
            await _lists_of(lists, {author: 0})
            await lists.push(older, [author])
            assert (await heads.page_many([author], None, 10))[0].entries == [older]  # kept for a minute
            await lists.push(newer, [author])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                await RealtimeBus(redis).pull_list_changed(author)  # once the subscription is back
                entries = (await heads.page_many([author], None, 10))[0].entries
                if entries != [older]:
                    return entries
                await asyncio.sleep(0.1)
            return entries
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            await hub.close()
            await redis.aclose()
            private_redis.stop()

    assert asyncio.run(scenario()) == [newer, older]
