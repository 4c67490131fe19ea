"""The caches on a Redis of their own, without persistence (settings.cache_redis_url): what lives where,
and a restart that brings it back empty loses nothing a reader sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.events import MAX_DELIVERIES, RetryLater
from cache.post_cards import PostCards
from core.settings import Settings
from feed.worker import Worker
from tests.conftest import Account, app_services, create_post, register, run, wait_until_prepared
from tests.private_servers import PrivateRedis


@pytest.fixture
def cache_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()  # no workdir: nothing persisted, a restart comes back empty
    server.start()
    yield server
    server.stop()


def _feed(client: TestClient, reader: Account) -> tuple[str, list[str]]:
    response = client.get("/api/v1/feed", headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.headers["X-Feed-Source"], [post["post_id"] for post in response.json()["posts"]]


def _a_reader_with_one_post(client: TestClient, consumer: str) -> tuple[Account, Account, str, Worker]:
    """An author, a follower whose timeline holds the author's first post (delivered), and the worker."""
    author, reader = register(client), register(client)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    first = create_post(client, author, "before the caches' outage")
    worker = Worker.for_services(app_services(client), consumer=consumer)
    run(client, worker.drain)
    assert _feed(client, reader) == ("hybrid", [first])
    return author, reader, first, worker


def test_caches_live_on_their_own_redis_and_a_restart_that_empties_it_loses_nothing(
    settings: Settings, cache_redis: PrivateRedis
) -> None:
    split = settings.model_copy(update={"cache_redis_url": cache_redis.url})
    with TestClient(create_app(split)) as client:
        wait_until_prepared(client)
        services = app_services(client)
        assert services.cache_redis is not services.redis
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["dependencies"]["redis_cache"]["ok"]

        author, reader, first, worker = _a_reader_with_one_post(client, "cache-redis-test")

        # What lives where: the reader's timeline and the post's card in the caches' Redis only; the
        # event stream (accepted work) in the durable one only.
        timeline, card = f"tl:{{{reader.user_id}}}", PostCards.post_key(int(first))
        stream = services.feed.stream.stream
        assert run(client, lambda: services.cache_redis.exists(timeline, card)) == 2
        assert run(client, lambda: services.redis.exists(timeline, card)) == 0
        assert run(client, lambda: services.redis.exists(stream)) == 1
        assert run(client, lambda: services.cache_redis.exists(stream)) == 0

        cache_redis.stop()
        during = create_post(client, author, "while the caches are down")  # accepted: graph + stream
        assert _feed(client, reader) == ("pull", [during, first])  # degraded but complete
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503 and "redis_cache" in not_ready.json()["detail"]
        with pytest.raises(RetryLater):  # fan-out cannot push: the event stays pending
            run(client, worker.drain)

        cache_redis.start()  # a new process, empty: every timeline and card is gone
        assert run(client, lambda: services.cache_redis.exists(timeline, card)) == 0
        run(client, lambda: worker.drain(reclaim_idle_ms=0))  # the pending fan-out, now a no-op
        assert _feed(client, reader) == ("hybrid", [during, first])  # rebuilt from the graph
        after = create_post(client, author, "after the cache restart")
        run(client, worker.drain)
        assert run(client, lambda: services.cache_redis.lrange(timeline, 0, 0)) == [after.encode()]
        assert _feed(client, reader) == ("hybrid", [after, during, first])
        assert client.get("/readyz").status_code == 200


def test_fan_out_waits_out_a_caches_outage_of_any_length_and_lands_when_they_return(
    settings: Settings, tmp_path: Path
) -> None:
    """Caches unreachable (a network partition, say) and then back with their data: a fan-out that
    failed meanwhile must still land, however often it was retried, or the timelines that come back
    (complete by rule) would miss the post for good. Attempts during an outage are not counted toward
    the dead-letter stream."""
    caches = PrivateRedis(tmp_path)  # keeps its data across the restart: the partition heals
    caches.start()
    try:
        split = settings.model_copy(update={"cache_redis_url": caches.url})
        with TestClient(create_app(split)) as client:
            wait_until_prepared(client)
            author, reader, first, worker = _a_reader_with_one_post(client, "cache-partition-test")

            caches.stop()
            during = create_post(client, author, "during the partition")
            for _ in range(MAX_DELIVERIES + 3):  # more attempts than a poison event gets
                with pytest.raises(RetryLater):
                    run(client, lambda: worker.drain(reclaim_idle_ms=0))

            caches.start()  # back with the reader's timeline, which lacks the new post
            run(client, lambda: worker.drain(reclaim_idle_ms=0))
            assert _feed(client, reader) == ("hybrid", [during, first])
    finally:
        caches.stop()
