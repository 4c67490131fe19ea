"""Fan-out's batched, overlapped path against real Neo4j and Redis: the timeline push script (order,
dedupe, cap, existing timelines only, the newest-id mark), presence checks, follower pages, batches
in flight, and a fan-out that fails half-way and is redelivered."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from fastapi.testclient import TestClient

from cache.timeline import PUSH_BATCH, Timelines
from core.clock import now_ms
from core.ids import min_id_for_ms, new_id
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


def test_a_full_timeline_grows_by_its_slack_before_one_trim_takes_it_back_to_the_cap(
    client: TestClient,
) -> None:
    """Trimming is lazy (an LTRIM per insert into a full timeline cost Redis twice the insert): a list
    grows to ``trim_at`` and is then cut back to the newest ``cap`` entries, on the fast path and the
    careful one alike; what it holds is always a complete run of the newest entries, and a late
    arrival older than the tail of a full timeline is dropped."""
    redis = app_services(client).redis
    home = Timelines(redis, prefix=f"t{new_id()}", cap=24, ttl_seconds=60)
    assert home.trim_at == 26
    owner = new_id()
    # Ids "made" a minute from now, above the bound a fresh newest-id mark starts at, so that newer
    # ones take the fast path; room between them for late arrivals.
    base = min_id_for_ms(now_ms() + 60_000)
    ids = [base + 10 * i for i in range(32)]
    loaded = ids[4:28]  # exactly the cap, ids[0..3] older, ids[28..31] newer
    key = home.key(owner)

    async def scenario() -> dict[str, object]:
        seen: dict[str, object] = {}
        await home.rebuild(owner, lambda: _loaded(loaded))
        await home.push(ids[28], [owner])
        await home.push(ids[29], [owner])  # the fast path: 26 entries, not trimmed yet
        seen["at trim_at"] = [int(v) for v in await redis.lrange(key, 0, -1)]
        seen["too old while past the cap"] = await home.push(ids[3], [owner])
        await home.push(ids[30], [owner])  # 27: back to the cap
        seen["trimmed"] = [int(v) for v in await redis.lrange(key, 0, -1)]
        await home.push(ids[31], [owner])
        await home.push(ids[27] - 5, [owner])  # a late arrival (the careful path) inside the list
        seen["careful"] = [int(v) for v in await redis.lrange(key, 0, -1)]
        await home.push(ids[26] - 5, [owner])  # careful again: 27 entries, back to the cap
        seen["careful trimmed"] = [int(v) for v in await redis.lrange(key, 0, -1)]
        page = await home.page(owner, None, 30)
        seen["page length"] = page.length
        await home.drop(owner)
        return seen

    seen = run(client, scenario)
    assert seen["at trim_at"] == sorted(ids[4:30], reverse=True)
    assert seen["too old while past the cap"] == 0
    assert seen["trimmed"] == sorted(ids[7:31], reverse=True)
    careful = seen["careful"]
    assert careful == sorted([*ids[7:32], ids[27] - 5], reverse=True) and len(careful) == 26
    assert seen["careful trimmed"] == sorted([*ids[7:32], ids[27] - 5, ids[26] - 5], reverse=True)[:24]
    assert seen["page length"] == 24


def test_the_newest_id_mark_bounds_every_head_so_newer_ids_go_straight_to_the_front(
    client: TestClient,
) -> None:
    """Pushes above the slot's mark skip reading heads; a rebuild that loads an entry before its
    fan-out raises the mark, so that fan-out later cannot put it in twice; a lost mark is replaced
    by a bound above every id made so far, and the pushes meanwhile stay careful."""
    redis = app_services(client).redis
    prefix = f"t{new_id()}"
    home = Timelines(redis, prefix=prefix, cap=50, ttl_seconds=60)
    mark_key = f"{prefix}:newest"
    a, b, d, missing = (new_id() for _ in range(4))
    old = new_id()
    # Ids of posts "made" a minute from now: above the bound a fresh mark starts at.
    f1, f2, f3, f4 = (min_id_for_ms(now_ms() + 60_000) + i for i in (1, 2, 3, 4))

    async def mark() -> int:
        value = await redis.get(mark_key)
        assert isinstance(value, bytes)
        return int(value.split(b":")[0])

    async def entries(owner: int) -> list[int]:
        return (await home.page(owner, None, 50)).entries

    async def scenario() -> dict[str, object]:
        seen: dict[str, object] = {}
        made_before = min_id_for_ms(now_ms())
        await home.rebuild(a, lambda: _loaded([old]))
        await home.rebuild(b, lambda: _loaded([old]))
        seen["fresh mark above every id made"] = await mark() > made_before
        seen["f1 inserted"] = await home.push(f1, [a, b, missing])
        seen["mark after f1"] = await mark()
        seen["f1 again"] = await home.push(f1, [a, b])
        await home.rebuild(d, lambda: _loaded([f3]))  # f3 read from the graph before its fan-out
        seen["mark after rebuild"] = await mark()
        await home.push(f2, [a, d])  # below the mark: placed by reading each list
        seen["f3 inserted"] = await home.push(f3, [a, d])  # d holds it already
        await redis.delete(mark_key)  # evicted or deleted
        seen["f3 after the mark is lost"] = await home.push(f3, [a, d])
        seen["replaced mark"] = await mark()
        seen["f4 inserted"] = await home.push(f4, [a, b, d])
        seen["mark after f4"] = await mark()
        for owner in (a, b, d):
            seen[f"timeline {owner}"] = await entries(owner)
        seen["missing untouched"] = not await home.exists(missing)
        for owner in (a, b, d):
            await home.drop(owner)
        await redis.delete(mark_key)
        return seen

    seen = run(client, scenario)
    assert seen["fresh mark above every id made"] is True
    assert seen["f1 inserted"] == 2 and seen["mark after f1"] == f1
    assert seen["f1 again"] == 0
    assert seen["mark after rebuild"] == f3
    assert seen["f3 inserted"] == 1  # a only
    assert seen["f3 after the mark is lost"] == 0 and seen["replaced mark"] == f3
    assert seen["f4 inserted"] == 3 and seen["mark after f4"] == f4
    assert seen[f"timeline {a}"] == [f4, f3, f2, f1, old]
    assert seen[f"timeline {b}"] == [f4, f1, old]
    assert seen[f"timeline {d}"] == [f4, f3, f2]
    assert seen["missing untouched"] is True


def test_a_second_attempt_at_the_marking_id_sends_both_attempts_the_careful_way(
    client: TestClient,
) -> None:
    """The marking attempt's later calls skip reading heads; a redelivery of the same entry running
    alongside it, or a rebuild that loads the entry, must stop that, or the entry would be pushed
    twice into the timelines they reached."""
    redis = app_services(client).redis
    home = Timelines(redis, prefix=f"t{new_id()}", cap=50, ttl_seconds=60)
    t1, t2, t3, t4, t5 = (new_id() for _ in range(5))
    old = new_id()
    entry = min_id_for_ms(now_ms() + 60_000)  # above the bound a fresh mark starts at

    async def scenario() -> dict[int, list[int]]:
        for owner in (t1, t2, t3, t5):
            await home.rebuild(owner, lambda: _loaded([old]))
        await home.push(entry, [t1], attempt="a")  # attempt a starts: it holds the mark
        await home.push(entry, [t2], attempt="b")  # a redelivery reaches t2 first
        await home.push(entry, [t2, t3], attempt="a")  # a goes on: must not push t2 again
        await home.push(entry + 1, [t1], attempt="c")  # c holds the mark now
        await home.rebuild(t4, lambda: _loaded([entry + 1]))  # t4 loads c's entry from the graph
        await home.push(entry + 1, [t4, t5], attempt="c")  # c goes on: must not push t4 again
        timelines = {owner: (await home.page(owner, None, 50)).entries for owner in (t1, t2, t3, t4, t5)}
        for owner in timelines:
            await home.drop(owner)
        await redis.delete(f"{home.prefix}:newest")
        return timelines

    timelines = run(client, scenario)
    assert timelines[t1] == [entry + 1, entry, old]
    assert timelines[t2] == [entry, old]
    assert timelines[t3] == [entry, old]
    assert timelines[t4] == [entry + 1]
    assert timelines[t5] == [entry + 1, old]


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
    parts = (
        feed.pulls,
        feed.pull_heads,
        feed.pull_cache,
        CelebrityPolicy(threshold=10**9, grace_ms=0),
        feed.bus,
    )
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

    async def push(self, entry_id: int, owner_ids: Iterable[int], *, attempt: str | None = None) -> int:
        if self._left == 0:
            raise ConnectionError("redis went away")
        self._left -= 1
        return await super().push(entry_id, owner_ids, attempt=attempt)


async def _loaded(ids: list[int]) -> list[int]:
    return sorted(ids, reverse=True)


async def _none_exist(home: Timelines, owners: list[int]) -> bool:
    return not any([await home.exists(owner) for owner in owners[:50]])
