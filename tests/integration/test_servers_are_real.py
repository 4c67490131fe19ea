"""Smoke tests: each dependency is the real server, reached through the app's own clients."""

from __future__ import annotations

import io
import secrets
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from tests.conftest import app_services, run
from tests.private_servers import free_port


def test_neo4j_answers_dbms_components_with_its_kernel_version(client: TestClient) -> None:
    version = run(client, app_services(client).graph.ping)
    assert version.startswith("Neo4j Kernel 5.26"), version


def test_opensearch_root_document_names_the_opensearch_distribution(client: TestClient) -> None:
    info = run(client, app_services(client).search.info)
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("2.19")


def test_object_written_to_the_bucket_reads_back_byte_for_byte(client: TestClient) -> None:
    store = app_services(client).store
    payload = secrets.token_bytes(300_000)
    key = f"smoke/{secrets.token_hex(8)}"
    store.client.put_object(store.bucket, key, io.BytesIO(payload), len(payload))
    try:
        response = store.client.get_object(store.bucket, key)
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
    finally:
        store.client.remove_object(store.bucket, key)


def test_both_redis_servers_answer_info_server(client: TestClient) -> None:
    services = app_services(client)
    assert services.cache_redis is not services.redis  # the suite runs the production shape
    for redis in (services.redis, services.cache_redis):
        info = run(client, lambda redis=redis: redis.info("server"))  # type: ignore[misc]
        assert int(info["redis_version"].split(".")[0]) >= 7
        assert "redis_mode" in info
    # The caches' Redis persists nothing, so a restart brings it back empty (docs/FEED.md).
    persistence: dict[str, Any] = run(client, lambda: services.cache_redis.info("persistence"))
    assert persistence["aof_enabled"] == 0
    snapshots: Any = run(client, lambda: services.cache_redis.config_get("save"))
    assert snapshots == {"save": ""}


def test_readyz_reports_every_dependency_up(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["dependencies"]) == {"neo4j", "redis", "redis_cache", "s3", "opensearch"}
    assert all(dep["ok"] for dep in body["dependencies"].values())


def test_healthz_is_alive(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_names_the_dependency_that_is_down(settings: Settings) -> None:
    # A port nothing listens on stands for a Redis that is down; the other three stay real.
    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(broken)) as other:
        response = other.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "service_unavailable"
    assert "redis" in body["detail"]
    assert body["dependencies"]["redis"]["ok"] is False
    assert body["dependencies"]["neo4j"]["ok"] is True
