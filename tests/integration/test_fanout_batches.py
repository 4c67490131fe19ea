"""Fan-out's batched, overlapped path against real Neo4j and Redis: the timeline push script (order,
dedupe, cap, existing timelines only), presence checks, follower pages, batches in flight, and a
fan-out that fails half-way and is redelivered."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from fastapi.testclient import TestClient

from cache.timeline import PUSH_BATCH, Timelines
from core.clock import now_ms
from core.ids import new_id
from feed.fanout import FanOut
from feed.policy import CelebrityPolicy
from graph.repositories import bench as bench_graph
from graph.repositories import feed as feed_graph
from tests.conftest import Account, app_services, run
from tests.integration.test_feed import drain, feed_ids, follow, timeline

MakeUser = Callable[..., Account]


def _home(client: TestClient) -> Timelines:
    return app_services(client).feed.home


def test_push_keeps_timelines_newest_first_deduped_and_capped(client: TestClient) -> None:
    redis = app_services(client).redis
    small = Timelines(redis, prefix=f"t{new_id()}", cap=5, ttl_seconds=60)
    owner, missing = new_id(), new_id()
    ids = sorted(new_id() for _ in range(8))

    async def scenario() -> tuple[list[int], list[int], list[int], list[int], int, bool]:
        await small.rebuild(owner, lambda: _loaded([ids[1], ids[3]]))
        newest = await small.push(ids[5], [owner, missing])  # the usual case: newer than the head
        await small.push(ids[2], [owner])  # late arrival: goes between, not on top
        await small.push(ids[5], [owner])  # redelivered at the head
        await small.push(ids[2], [owner])  # redelivered in the middle
        after_late = (await small.page(owner, None, 10)).entries
        await small.push(ids[6], [owner])
        await small.push(ids[7], [owner])  # 6 entries on the fast path: the oldest goes
        at_cap = (await small.page(owner, None, 10)).entries
        too_old = await small.push(ids[0], [owner])  # older than a full timeline: dropped
        after_old = (await small.page(owner, None, 10)).entries
        await small.push(ids[4], [owner])  # inside a full timeline: kept, the oldest goes
        final = (await small.page(owner, None, 10)).entries
        gone = not await small.exists(missing)
        await small.drop(owner)
        return after_late, at_cap, after_old, final, newest + too_old, gone

    after_late, at_cap, after_old, final, inserted, missing_untouched = run(client, scenario)
    assert after_late == [ids[5], ids[3], ids[2], ids[1]]
    assert at_cap == [ids[7], ids[6], ids[5], ids[3], ids[2]]
    assert after_old == at_cap
    assert final == [ids[7], ids[6], ids[5], ids[4], ids[3]]
    assert inserted == 1  # one existing timeline got ids[5]; ids[0] went nowhere
    assert missing_untouched  # a missing timeline is rebuilt on read, never started by a push


def test_push_over_several_batches_in_flight_reaches_each_existing_timeline_once(
    client: TestClient,
) -> None:
    home = _home(client)
    seed = new_id()  # older than the entry pushed
    owners = [new_id() for _ in range(PUSH_BATCH * 2 + 7)]  # three script calls, overlapped
    existing = owners[::3]
    entry = new_id()

    async def scenario() -> tuple[int, int, list[list[int]]]:
        for owner in existing:
            await home.rebuild(owner, lambda: _loaded([seed]))
        first = await home.push(entry, owners)
        again = await home.push(entry, owners)  # idempotent
        pages = [(await home.page(owner, None, 10)).entries for owner in existing]
        for owner in existing:
            await home.drop(owner)
        return first, again, pages

    first, again, pages = run(client, scenario)
    assert first == len(existing)
    assert again == 0
    assert all(page[0] == entry and page.count(entry) == 1 for page in pages)
    assert run(client, lambda: _none_exist(home, [o for o in owners if o not in set(existing)]))


def test_presence_is_reported_for_connected_users_only(client: TestClient) -> None:
    bus = app_services(client).feed.bus
    users = [new_id() for _ in range(5)]

    async def scenario() -> list[int]:
        await bus.mark_present(users[1])
        await bus.mark_present(users[3])
        return await bus.present(users)

    assert run(client, scenario) == [users[1], users[3]]


def test_follower_batches_come_ascending_in_full_from_one_read_or_keyset_pages(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = make_user()
    followers = [make_user() for _ in range(7)]
    for follower in followers:
        follow(client, follower, author)
    graph = app_services(client).graph
    long_gone = now_ms() - 30 * 86_400_000
    run(client, lambda: bench_graph.touch_users(graph, [int(f.user_id) for f in followers[4:]], long_gone))
    author_id = int(author.user_id)
    everyone = sorted(int(f.user_id) for f in followers)
    active = sorted(int(f.user_id) for f in followers[:4])
    since = now_ms() - 3_600_000

    async def batches(size: int, active_since: int | None = None) -> list[list[int]]:
        return [b async for b in feed_graph.follower_batches(graph, author_id, size, active_since)]

    one_read = run(client, lambda: batches(3))
    assert one_read == [everyone[0:3], everyone[3:6], everyone[6:]]
    assert run(client, lambda: batches(3, since)) == [active[0:3], active[3:]]
    monkeypatch.setattr(feed_graph, "FOLLOWER_PAGE", 2)  # more followers than a page: keyset pages
    assert run(client, lambda: batches(2)) == [everyone[0:2], everyone[2:4], everyone[4:6], everyone[6:]]
    assert run(client, lambda: batches(2, since)) == [active[0:2], active[2:]]

    async def first_only() -> list[int]:
        async for batch in feed_graph.follower_batches(graph, author_id, 2):
            return batch  # stops with a page read ahead in flight: dropped, no error
        return []

    assert run(client, first_only) == everyone[0:2]


def test_a_fan_out_failing_half_way_is_completed_by_redelivery(
    client: TestClient, make_user: MakeUser
) -> None:
    author = make_user()
    readers = [make_user() for _ in range(7)]
    for reader in readers:
        follow(client, reader, author)
        feed_ids(client, reader)
    drain(client)
    feed = app_services(client).feed
    failing = _FailingAfter(feed.home, batches=2)
    parts = (feed.pulls, feed.pull_cache, CelebrityPolicy(threshold=10**9, grace_ms=0), feed.bus)
    broken = FanOut(app_services(client).graph, failing, *parts, batch_size=2, active_days=7)
    working = FanOut(app_services(client).graph, feed.home, *parts, batch_size=2, active_days=7)
    entry = new_id()

    with pytest.raises(ConnectionError):
        run(client, lambda: broken.deliver(int(author.user_id), entry, "public"))
    reached = [r for r in readers if entry in (timeline(client, r) or [])]
    assert len(reached) < len(readers)  # the failure stopped it part-way
    # The event stayed pending; its redelivery runs the whole fan-out again.
    inserted = run(client, lambda: working.deliver(int(author.user_id), entry, "public"))
    assert inserted == 1 + len(readers) - len(reached)
    assert all((timeline(client, r) or []).count(entry) == 1 for r in readers)


class _FailingAfter(Timelines):
    """The real timelines, but the connection "drops" after a number of follower batches."""

    def __init__(self, home: Timelines, *, batches: int) -> None:
        super().__init__(home._redis, prefix=home.prefix, cap=home.cap, ttl_seconds=home.ttl_seconds)
        self._left = batches + 1  # the author's own timeline is a push too

    async def push(self, entry_id: int, owner_ids: Iterable[int]) -> int:
        if self._left == 0:
            raise ConnectionError("redis went away")
        self._left -= 1
        return await super().push(entry_id, owner_ids)


async def _loaded(ids: list[int]) -> list[int]:
    return sorted(ids, reverse=True)


async def _none_exist(home: Timelines, owners: list[int]) -> bool:
    return not any([await home.exists(owner) for owner in owners[:50]])
