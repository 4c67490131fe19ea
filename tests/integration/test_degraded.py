"""Dependencies that go down and come back: the API degrades correctly and recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from feed.worker import Worker
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
    isolated = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{private_redis.port}/0"})
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
