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

from api.app import create_app
from core.settings import Settings
from feed.worker import Worker
from tests.conftest import app_services, create_post, register, run, wait_until_prepared

ROOT = Path(__file__).resolve().parents[2]
# The first node of the local cluster (infra/lib/redis_cluster.sh reads the same variable).
CLUSTER_URL = f"redis://127.0.0.1:{os.environ.get('FEEDGRAPH_REDIS_CLUSTER_PORTS', '7001').split()[0]}/0"


@pytest.fixture(scope="module")
def cluster_client(settings: Settings) -> Iterator[TestClient]:
    # Idempotent: starts the 3 masters and creates the cluster only when needed.
    subprocess.run(["bash", str(ROOT / "infra/services.sh"), "cluster-start"], check=True, timeout=120)
    clustered = settings.model_copy(update={"redis_cluster": True, "redis_url": CLUSTER_URL})
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


def test_cache_refresh_ahead_on_the_cluster(cluster_client: TestClient) -> None:
    """Cards spread over the masters are refreshed in one background round (one script call per key,
    routed by key); a viewer state is refilled over the marker seen."""
    client = cluster_client
    services = app_services(client)
    author, reader = register(client), register(client)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    made = [create_post(client, author, f"card {i}") for i in range(6)]
    run(client, lambda: Worker.for_services(services, consumer="cluster-test").drain(sweep_age_ms=0))
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
