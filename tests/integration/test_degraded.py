"""Dependencies that go down and come back: the API degrades correctly and recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.events import EventStream
from core.clock import now_ms
from core.settings import Settings
from feed.relay import OutboxRelay
from feed.worker import Worker
from graph.repositories import outbox
from search.indices import POSTS
from tests.conftest import app_services, create_post, register, run, wait_until_prepared
from tests.private_servers import PrivateRedis, free_port


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)  # append-only file: a restart brings the data back
    server.start()
    yield server
    server.stop()


def test_feed_is_served_by_pure_pull_while_redis_is_down_and_recovers(
    settings: Settings, private_redis: PrivateRedis
) -> None:
    # One Redis for both roles: the whole of Redis goes down.
    isolated = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{private_redis.port}/0", "cache_redis_url": None}
    )
    with TestClient(create_app(isolated)) as client:
        wait_until_prepared(client)
        author, reader = register(client), register(client)
        client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
        before = create_post(client, author, "before the outage")
        worker = Worker.for_services(app_services(client), consumer="degraded-test")
        run(client, worker.drain)
        normal = client.get("/api/v1/feed", headers=reader.headers)
        assert normal.headers["X-Feed-Source"] == "hybrid"
        assert [p["post_id"] for p in normal.json()["posts"]] == [before]
        client.get("/api/v1/feed", headers=reader.headers)  # remembered (feed/page_memo.py) ...
        memo = app_services(client).feed.reader.memo
        hits = memo.hits
        assert client.get("/api/v1/feed", headers=reader.headers).content == normal.content
        assert memo.hits == hits + 1  # ... and served from the memo: the outage must not serve it

        private_redis.stop()
        during = create_post(client, author, "during the outage")  # writes go on: Neo4j is the record
        degraded = client.get("/api/v1/feed", headers=reader.headers)
        assert degraded.status_code == 200
        assert degraded.headers["X-Feed-Source"] == "pull"
        assert [p["post_id"] for p in degraded.json()["posts"]] == [during, before]

        private_redis.start()  # back, with the same data (append-only file)
        # The outbox sweep publishes what could not be published (at once here, not after its usual delay).
        run(client, lambda: worker.drain(sweep_age_ms=0))
        recovered = client.get("/api/v1/feed", headers=reader.headers)
        assert recovered.headers["X-Feed-Source"] == "hybrid"
        assert [p["post_id"] for p in recovered.json()["posts"]] == [during, before]


def test_with_neo4j_down_writes_answer_503_with_a_clear_error(settings: Settings) -> None:
    broken = settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}"})
    with TestClient(create_app(broken)) as client:
        response = client.post(
            "/api/v1/auth/register",
            json={"username": "nobody_here", "email": "nobody@example.com", "password": "long enough"},
        )
        assert response.status_code == 503
        assert response.json() == {"error": "dependency_unavailable", "detail": "neo4j is unavailable"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "neo4j" in ready.json()["detail"]


def test_events_a_redis_crash_lost_from_the_stream_are_published_again(
    settings: Settings, private_redis: PrivateRedis
) -> None:
    """Redis acknowledges a write before its append-only file is on disk: a crash of its host loses the
    last second, here the events of a post just published. They stay in the graph, marked with the
    Redis process that took them, until that process has held them long enough; after a restart (a
    new process) the sweep publishes them again, and the post is indexed after all. Events of another
    stream sharing the graph are that stream's to settle."""
    isolated = settings.model_copy(update={"redis_url": private_redis.url})
    with TestClient(create_app(isolated)) as client:
        wait_until_prepared(client)
        services = app_services(client)
        relay, stream, redis, graph = (
            services.feed.relay,
            services.feed.stream,
            services.redis,
            services.graph,
        )
        author = register(client)
        post_id = create_post(client, author, "taken by Redis, then lost")  # published by the API at once

        async def on_stream() -> set[str]:
            entries: Any = await redis.xrange(stream.stream)
            return {fields[b"post_id"].decode() for _, fields in entries}

        async def kept() -> set[str]:
            origin = (await stream.server()).origin
            rows = await outbox.published_events(graph, origin, now_ms(), 100_000)
            return {str(event["post_id"]) for event, _ in rows}

        assert post_id in run(client, on_stream) and post_id in run(client, kept)
        run(client, lambda: relay.sweep(0, durable_after_ms=60_000))
        assert post_id in run(client, kept)  # not forgotten before it is surely on disk

        elsewhere = OutboxRelay(graph, EventStream(redis, stream=f"{stream.stream}:elsewhere"))
        assert run(client, lambda: elsewhere.sweep(0, durable_after_ms=0)) == 0
        assert post_id in run(client, kept)  # another stream's sweep leaves it alone

        # The crash: the stream loses its newest entries (as with the AOF's last second), and the Redis
        # process that comes back is a new one.
        run(client, lambda: redis.xtrim(stream.stream, maxlen=0))
        private_redis.stop()
        private_redis.start()
        assert post_id not in run(client, on_stream)
        assert run(client, lambda: relay.sweep(0, durable_after_ms=0)) >= 1
        assert post_id in run(client, on_stream)

        run(client, Worker.for_services(services, consumer="degraded-test").drain)
        run(client, services.search_service.refresh)
        posts_alias = services.search_service.indices.read_alias(POSTS)
        found = run(client, lambda: services.search.get(index=posts_alias, id=post_id, ignore=[404]))
        assert found["found"]  # indexed: the search group handled the event published again
        # The same process has held it since: forgotten, not published again.
        assert run(client, lambda: relay.sweep(0, durable_after_ms=0)) == 0
        assert post_id not in run(client, kept)
