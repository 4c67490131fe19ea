"""The timeline key scheme, fan-out and the caches' refresh ahead on a real 3-master Redis Cluster (same
redis-server binary)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from redis.asyncio import RedisCluster
from redis.asyncio.cluster import ClusterNode

from api.app import create_app
from cache import cluster_reads
from cache.client import MultiplexingCluster
from cache.cluster_reads import get_many
from cache.exchange import command_on_node, routed
from cache.timeline import Timelines
from core.clock import now_ms
from core.ids import min_id_for_ms, new_id
from core.settings import Settings
from feed.worker import Worker
from tests.conftest import Account, app_services, create_post, register, run, wait_until_prepared

ROOT = Path(__file__).resolve().parents[2]
# The first node of the local cluster (infra/lib/redis_cluster.sh reads the same variable).
CLUSTER_URL = f"redis://127.0.0.1:{os.environ.get('FEEDGRAPH_REDIS_CLUSTER_PORTS', '7001').split()[0]}/0"


@pytest.fixture(scope="module")
def cluster_client(settings: Settings) -> Iterator[TestClient]:
    # Idempotent: starts the 3 masters and creates the cluster only when needed.
    subprocess.run(["bash", str(ROOT / "infra/services.sh"), "cluster-start"], check=True, timeout=120)
    # One cluster holds both roles here (the caches' Redis is standalone in the rest of the suite).
    clustered = settings.model_copy(
        update={"redis_cluster": True, "redis_url": CLUSTER_URL, "cache_redis_url": None}
    )
    with TestClient(create_app(clustered)) as client:
        wait_until_prepared(client)
        yield client


def test_fan_out_reaches_timelines_spread_over_every_master(cluster_client: TestClient) -> None:
    client = cluster_client
    services = app_services(client)
    assert isinstance(services.redis, RedisCluster)
    author = register(client)
    readers = [register(client) for _ in range(24)]
    for reader in readers:
        assert (
            client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers).status_code == 200
        )
        assert client.get("/api/v1/feed", headers=reader.headers).json()["posts"] == []
    worker = Worker.for_services(services, consumer="cluster-test")
    post_id = create_post(client, author, "to every shard")
    run(client, lambda: worker.drain(sweep_age_ms=0))

    home = services.feed.home

    async def timelines() -> list[list[int]]:
        return [(await home.page(int(r.user_id), None, 10)).entries for r in readers]

    assert run(client, timelines) == [[int(post_id)]] * len(readers)

    async def masters_holding_timelines() -> set[str]:
        cluster = services.redis
        assert isinstance(cluster, RedisCluster)
        nodes = [cluster.get_node_from_key(home.key(int(r.user_id))) for r in readers]
        return {node.name for node in nodes if node is not None}

    assert len(run(client, masters_holding_timelines)) == 3
    for reader in readers[:3]:
        feed = client.get("/api/v1/feed", headers=reader.headers).json()
        assert [p["post_id"] for p in feed["posts"]] == [post_id]


def test_a_cluster_timeline_rebuild_and_deletion(cluster_client: TestClient) -> None:
    client = cluster_client
    author, reader = register(client), register(client)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    made = [create_post(client, author, f"p{i}") for i in range(5)]
    worker = Worker.for_services(app_services(client), consumer="cluster-test")
    run(client, lambda: worker.drain(sweep_age_ms=0))
    ids = [p["post_id"] for p in client.get("/api/v1/feed", headers=reader.headers).json()["posts"]]
    assert ids == list(reversed(made))  # rebuilt from the graph on first read
    client.delete(f"/api/v1/posts/{made[-1]}", headers=author.headers)
    run(client, lambda: worker.drain(sweep_age_ms=0))
    ids = [p["post_id"] for p in client.get("/api/v1/feed", headers=reader.headers).json()["posts"]]
    assert ids == list(reversed(made[:-1]))


def test_real_time_events_cross_the_cluster(cluster_client: TestClient) -> None:
    client = cluster_client
    author, reader = register(client), register(client)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    client.get("/api/v1/feed", headers=reader.headers)
    worker = Worker.for_services(app_services(client), consumer="cluster-test")
    with client.websocket_connect(f"/api/v1/stream?access_token={reader.token}") as ws:
        assert ws.receive_json()["type"] == "ready"
        post_id = create_post(client, author, "over the cluster bus")
        run(client, lambda: worker.drain(sweep_age_ms=0))
        event = ws.receive_json()  # a heartbeat ("ping") instead would mean nothing arrived
        assert event["type"] == "new_post" and event["data"]["post_id"] == post_id


def _reader_of_six_posts(client: TestClient, label: str) -> tuple[Account, list[str]]:
    """A reader following an author whose six new posts the worker has fanned out; the posts' ids."""
    author, reader = register(client), register(client)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    made = [create_post(client, author, f"{label} {i}") for i in range(6)]
    services = app_services(client)
    run(client, lambda: Worker.for_services(services, consumer="cluster-test").drain(sweep_age_ms=0))
    return reader, made


def test_cache_refresh_ahead_on_the_cluster(cluster_client: TestClient) -> None:
    """Cards spread over the masters are refreshed in one background round (one script call per key,
    routed by key); a viewer state is refilled over the marker seen."""
    client = cluster_client
    services = app_services(client)
    reader, made = _reader_of_six_posts(client, "card")
    assert len(client.get("/api/v1/feed", headers=reader.headers).json()["posts"]) == 6  # fills the cards
    cards, redis = services.feed.cards, services.redis
    keys = [cards.post_key(int(p)) for p in made]

    async def card(key: str) -> dict[str, Any]:
        value = await redis.get(key)
        assert value is not None
        loaded: dict[str, Any] = orjson.loads(value)
        return loaded

    async def mark_stale() -> None:
        for key in keys:
            await redis.set(key, orjson.dumps({**await card(key), "_fresh_until": 1}), keepttl=True)

    async def stamps() -> list[int]:
        return [(await card(key))["_fresh_until"] for key in keys]

    run(client, mark_stale)
    assert client.get("/api/v1/feed", headers=reader.headers).status_code == 200  # served, and noticed
    run(client, services.feed.card_refresh.idle)
    assert all(stamp > 1 for stamp in run(client, stamps))

    viewer = int(reader.user_id)
    states = services.feed.viewer_states
    assert run(client, lambda: states.refill(viewer, 1, 2, [], [], [])) is False  # not the marker seen
    assert run(client, lambda: redis.set(states.keys(viewer)[0], 1))
    assert run(client, lambda: states.refill(viewer, 1, 2, [int(made[0])], [], [])) is True
    flags = run(client, lambda: states.flags(viewer, [int(made[0])], []))
    assert flags is not None and flags.cutoff == 2 and flags.liked == {int(made[0])}


def _cluster_timelines(client: TestClient, cap: int = 50) -> tuple[RedisCluster, Timelines]:
    redis = app_services(client).redis
    assert isinstance(redis, RedisCluster)
    return redis, Timelines(redis, prefix=f"t{new_id()}", cap=cap, ttl_seconds=60)


def test_one_push_call_per_master_carries_every_slot_it_serves(cluster_client: TestClient) -> None:
    """A batch spanning hundreds of slots goes out as one script call per master (the first slot's keys
    declared, the others' passed along); every existing timeline gets the entry once, in order, under
    its own slot's newest-id mark, and a second push of the same entry adds nothing."""
    redis, home = _cluster_timelines(cluster_client)
    owners = [new_id() for _ in range(600)]
    present = owners[::2]  # the others have no timeline: untouched
    older = new_id()
    entry = min_id_for_ms(now_ms() + 60_000)  # above the bound a fresh mark starts at

    async def scenario() -> dict[str, Any]:
        for owner in present:
            await home.rebuild(owner, lambda: _newest_first([older]))
        calls: list[int] = []
        original = redis.execute_command

        async def counting(*args: Any, **kwargs: Any) -> Any:
            if args[0] == "EVALSHA":
                calls.append(len(args))
            return await original(*args, **kwargs)

        redis.execute_command = counting  # type: ignore[method-assign]
        try:
            inserted = await home.push(entry, owners)
        finally:
            del redis.execute_command
        again = await home.push(entry, owners)
        pages = [(await home.page(owner, None, 5)).entries for owner in present]
        untouched = [await home.exists(owner) for owner in owners[1::2]]
        slots = {redis.keyslot(home.key(owner)) for owner in present}
        marks = [
            await redis.get(home._slot_groups([owner])[redis.keyslot(home.key(owner))][0])
            for owner in present
        ]
        for owner in present:
            await home.drop(owner)
        return {
            "inserted": inserted,
            "again": again,
            "calls": calls,
            "pages": pages,
            "untouched": untouched,
            "slots": slots,
            "marks": marks,
        }

    seen = run(cluster_client, scenario)
    assert seen["inserted"] == len(present) and seen["again"] == 0
    assert len(seen["slots"]) > 250  # the batch spans hundreds of slots ...
    assert len(seen["calls"]) == 3  # ... and went out as one call per master
    assert seen["pages"] == [[entry, older]] * len(present)
    assert not any(seen["untouched"])
    assert all(mark is not None and mark.split(b":")[0] == str(entry).encode() for mark in seen["marks"])


def test_a_push_whose_slot_map_is_stale_falls_back_per_slot_without_duplicates(
    cluster_client: TestClient,
) -> None:
    """The client believes a slot is served by the wrong master (as after a resharding it has not seen
    yet): that master's call stops at the slot's first key with the slots before it done; the batch
    is then pushed per slot under a new attempt (redirects followed), and no timeline gets the entry
    twice."""
    redis, home = _cluster_timelines(cluster_client)
    run(cluster_client, redis.initialize)  # the slot map
    older = new_id()
    entry = min_id_for_ms(now_ms() + 60_000)
    by_node: dict[str, list[int]] = {}
    candidate = new_id()
    while len(by_node) < 3 or min(len(v) for v in by_node.values()) < 40:
        candidate += 1
        node = redis.get_node_from_key(home.key(candidate))
        assert node is not None
        by_node.setdefault(node.name, []).append(candidate)
    (_, firsts), (_, others), _ = sorted(by_node.items())
    misplaced = others[0]  # served by another master, but the client will think firsts' master has it
    owners = [*firsts, misplaced]
    slot = redis.keyslot(home.key(misplaced))
    right = redis.nodes_manager.slots_cache[slot]
    wrong = redis.nodes_manager.slots_cache[redis.keyslot(home.key(firsts[0]))]

    async def scenario() -> list[list[int]]:
        for owner in owners:
            await home.rebuild(owner, lambda: _newest_first([older]))
        redis.nodes_manager.slots_cache[slot] = wrong
        try:
            await home.push(entry, owners)
        finally:
            redis.nodes_manager.slots_cache[slot] = right
        pages = [(await home.page(owner, None, 5)).entries for owner in owners]
        for owner in owners:
            await home.drop(owner)
        return pages

    assert run(cluster_client, scenario) == [[entry, older]] * len(owners)


async def _newest_first(ids: list[int]) -> list[int]:
    return sorted(ids, reverse=True)


def test_many_keys_are_read_in_one_call_per_master_whatever_their_slots(
    cluster_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's cards lie in as many slots as there are cards: they are read with one script call per
    master, values in the order asked (None where missing); with a stale slot map the call that meets
    a moved slot is answered per slot instead."""
    redis = app_services(cluster_client).redis
    assert isinstance(redis, RedisCluster)
    run(cluster_client, redis.initialize)
    keys = [f"t:{{{new_id()}}}" for _ in range(90)]
    present = {key: f"value {i}".encode() for i, key in enumerate(keys) if i % 3}
    masters = {node.name for node in (redis.get_node_from_key(key) for key in keys) if node is not None}

    async def scenario() -> tuple[list[bytes | None], list[str], list[bytes | None]]:
        for key, value in present.items():
            await redis.set(key, value, ex=60)
        calls: list[str] = []
        original = command_on_node

        async def counting(cluster: RedisCluster, node: ClusterNode, command: tuple[Any, ...]) -> Any:
            calls.append(node.name)
            return await original(cluster, node, command)

        monkeypatch.setattr(cluster_reads, "command_on_node", counting)
        values = await get_many(redis, keys)
        monkeypatch.undo()
        # The client believes the first key's slot is served by the master of a key elsewhere.
        slot = redis.keyslot(keys[0])
        other = next(key for key in keys if redis.get_node_from_key(key) != redis.get_node_from_key(keys[0]))
        right = redis.nodes_manager.slots_cache[slot]
        redis.nodes_manager.slots_cache[slot] = redis.nodes_manager.slots_cache[redis.keyslot(other)]
        try:
            stale = await get_many(redis, keys)
        finally:
            redis.nodes_manager.slots_cache[slot] = right
        await redis.delete(*present)
        return values, calls, stale

    values, calls, stale = run(cluster_client, scenario)
    expected = [present.get(key) for key in keys]
    assert len(masters) == 3 and sorted(calls) == sorted(masters)
    assert values == expected
    assert stale == expected


def test_hot_commands_go_on_each_masters_multiplexed_connection_and_redirects_through_the_client(
    cluster_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed read's commands on a cluster go on the multiplexed connection of the master serving
    their slot, not through redis-py's routing; one that meets a redirect (the client's slot map is
    stale) is answered through redis-py's cluster client, which follows it."""
    redis = app_services(cluster_client).redis
    assert isinstance(redis, MultiplexingCluster)
    run(cluster_client, redis.initialize)
    by_master: dict[str, str] = {}
    while len(by_master) < 3:
        key = f"t:{{{new_id()}}}"
        node = redis.get_node_from_key(key)
        assert node is not None
        by_master.setdefault(node.name, key)
    keys = list(by_master.values())
    through_client: list[tuple[Any, ...]] = []
    original = redis.execute_command

    async def counting(*args: Any, **kwargs: Any) -> Any:
        through_client.append(args)
        return await original(*args, **kwargs)

    async def scenario() -> tuple[list[Any], int, Any]:
        for key in keys:
            await redis.set(key, key, ex=60)
        monkeypatch.setattr(redis, "execute_command", counting)
        values = [await routed(redis, key, "GET", key) for key in keys]
        direct = len(through_client)
        slot = redis.keyslot(keys[0])
        right = redis.nodes_manager.slots_cache[slot]
        redis.nodes_manager.slots_cache[slot] = redis.nodes_manager.slots_cache[redis.keyslot(keys[1])]
        try:
            redirected = await routed(redis, keys[0], "GET", keys[0])
        finally:
            redis.nodes_manager.slots_cache[slot] = right
            monkeypatch.undo()
        await redis.delete(*keys)
        return values, direct, redirected

    values, direct, redirected = run(cluster_client, scenario)
    assert values == [key.encode() for key in keys]
    assert direct == 0  # none went through redis-py's routing
    assert redirected == keys[0].encode() and through_client == [("GET", keys[0])]


def test_a_like_batch_holds_and_releases_viewer_states_across_masters(cluster_client: TestClient) -> None:
    """Viewer states of one batch live on several masters: each is held, and put back with the like,
    on its own (the likes' write path of cache/viewer_state.py)."""
    client = cluster_client
    states = app_services(client).feed.viewer_states
    viewers, post = [new_id() for _ in range(12)], new_id()

    async def fill_all() -> None:
        for viewer in viewers:
            assert await states.fill(viewer, 10, [], [], [])

    async def liked() -> list[set[int] | None]:
        found = [await states.flags(viewer, [post], []) for viewer in viewers]
        return [None if flags is None else flags.liked for flags in found]

    run(client, fill_all)
    held = run(client, lambda: states.hold(viewers))
    assert held.held == set(viewers)
    assert run(client, liked) == [None] * len(viewers)  # held: read as not cached
    run(client, lambda: states.release(held, post, viewers[:6]))
    assert run(client, liked) == [{post}] * 6 + [set()] * 6


def test_a_remembered_feed_page_is_checked_and_served_on_the_cluster(cluster_client: TestClient) -> None:
    """The page memo's check re-reads the cards (one script call per master) and the viewer's flags on
    the cluster: an unchanged page is served from the memo, a like makes it afresh."""
    client = cluster_client
    services = app_services(client)
    reader, made = _reader_of_six_posts(client, "memo")
    memo = services.feed.reader.memo
    pages = [client.get("/api/v1/feed", headers=reader.headers).content for _ in range(3)]
    hits = memo.hits
    assert client.get("/api/v1/feed", headers=reader.headers).content == pages[-1]
    assert memo.hits == hits + 1
    assert client.post(f"/api/v1/posts/{made[0]}/like", headers=reader.headers).status_code == 200
    liked = client.get("/api/v1/feed", headers=reader.headers)
    assert memo.hits == hits + 1
    assert next(p for p in liked.json()["posts"] if p["post_id"] == made[0])["is_liked"] is True
