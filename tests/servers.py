"""Where the test servers come from: testcontainers when a Docker engine answers, else the local servers
started by ``make services``; ``FEEDGRAPH_TEST_SERVICES=local|testcontainers|external`` overrides."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

# Images of the docker-compose stack, so both paths test the same servers.
NEO4J_IMAGE = "neo4j:5.26-community"
REDIS_IMAGE = "redis:7"
MINIO_IMAGE = "minio/minio:latest"
OPENSEARCH_IMAGE = "opensearchproject/opensearch:2.19.2"


def docker_engine_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def chosen_mode() -> str:
    mode = os.environ.get("FEEDGRAPH_TEST_SERVICES", "auto")
    if mode == "auto":
        return "testcontainers" if docker_engine_available() else "local"
    if mode not in {"local", "testcontainers", "external"}:
        raise ValueError(f"FEEDGRAPH_TEST_SERVICES={mode!r}: use local, testcontainers or external")
    return mode


@contextmanager
def server_overrides(mode: str) -> Iterator[dict[str, str]]:
    """Settings overrides pointing at the servers of ``mode`` (empty for local/external: the env decides)."""
    if mode != "testcontainers":
        yield {}
        return
    from testcontainers.community.minio import MinioContainer
    from testcontainers.community.neo4j import Neo4jContainer
    from testcontainers.community.opensearch import OpenSearchContainer
    from testcontainers.community.redis import RedisContainer

    with ExitStack() as stack:
        neo4j = stack.enter_context(Neo4jContainer(NEO4J_IMAGE))
        redis = stack.enter_context(RedisContainer(REDIS_IMAGE))
        # The caches' Redis, as docker-compose's redis-cache (the image runs without AOF by default).
        caches = stack.enter_context(RedisContainer(REDIS_IMAGE).with_command("redis-server --save ''"))
        minio = stack.enter_context(MinioContainer(MINIO_IMAGE))
        opensearch = stack.enter_context(
            OpenSearchContainer(OPENSEARCH_IMAGE, initial_admin_password="Feedgraph-Test-Only-1!")
        )
        minio_cfg = minio.get_config()
        yield {
            "neo4j_uri": neo4j.get_connection_url(),
            "neo4j_auth": "true",
            "neo4j_user": neo4j.username,
            "neo4j_password": neo4j.password,
            "redis_url": f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0",
            "cache_redis_url": f"redis://{caches.get_container_host_ip()}:{caches.get_exposed_port(6379)}/0",
            "s3_endpoint": f"http://{minio_cfg['endpoint']}",
            "s3_access_key": minio_cfg["access_key"],
            "s3_secret_key": minio_cfg["secret_key"],
            "opensearch_url": f"http://{opensearch.get_container_host_ip()}:{opensearch.get_exposed_port(9200)}",
        }
