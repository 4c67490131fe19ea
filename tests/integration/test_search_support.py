"""Helpers of the search tests (no tests here): private servers and an isolated app.

Search tests run an app of their own: a private redis-server (so no other test session's worker can
take their events from the shared stream, nor they another's) and a unique index prefix (so rankings
such as explore and trending contain only the test's own posts). Neo4j is shared; every test makes its
own users and posts."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services
from core.settings import Settings
from feed.worker import Worker
from search.indexer import GROUP as SEARCH_GROUP
from tests.conftest import app_services, run, wait_until_prepared
from tests.private_servers import PrivateRedis, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
OPENSEARCH_BUILD = ROOT / "infra" / "opensearch" / "target"


class PrivateOpenSearch:
    """A single-node OpenSearch of our own, started as infra/lib/opensearch.sh starts the shared one
    (the same launcher build), on free ports, with its data under ``home`` (kept across restarts)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.transport_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None
        java = java or shutil.which("java")
        assert java, "java is needed by the local OpenSearch (make services)"
        assert (OPENSEARCH_BUILD / "classes").is_dir(), "build the launcher first: make services"
        for sub in ("data", "logs", "tmp"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        classpath = f"{OPENSEARCH_BUILD / 'classes'}:{OPENSEARCH_BUILD / 'lib'}/*"
        log = (self.home / "opensearch.log").open("ab")
        self._process = subprocess.Popen(
            [
                java,
                "-Xms256m",
                "-Xmx256m",
                "-XX:+UseG1GC",
                "-XX:+ExitOnOutOfMemoryError",
                "-Dfile.encoding=UTF-8",
                "-Djava.awt.headless=true",
                "-Djna.nosys=true",
                "-Djava.locale.providers=SPI,CLDR",
                "-Dio.netty.noUnsafe=true",
                "-Dio.netty.noKeySetOptimization=true",
                "-Dio.netty.recycler.maxCapacityPerThread=0",
                "-Dio.netty.allocator.numDirectArenas=0",
                "-Dlog4j.shutdownHookEnabled=false",
                "-Dlog4j2.disable.jmx=true",
                f"-Djava.io.tmpdir={self.home / 'tmp'}",
                "-cp",
                classpath,
                "io.feedgraph.infra.OpenSearchLauncher",
                f"path.home={self.home}",
                f"path.data={self.home / 'data'}",
                f"path.logs={self.home / 'logs'}",
                f"http.port={self.port}",
                f"transport.port={self.transport_port}",
                "network.host=127.0.0.1",
                "discovery.type=single-node",
                "cluster.name=feedgraph-search-test",
                "node.name=feedgraph-search-test-node",
                "cluster.routing.allocation.disk.threshold_enabled=false",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self._process, 180, "private OpenSearch")
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                health = httpx.get(
                    f"{self.url}/_cluster/health", params={"wait_for_status": "yellow"}, timeout=5
                )
                if health.status_code == 200 and health.json()["status"] in {"green", "yellow"}:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("private OpenSearch did not become healthy")

    def stop(self) -> None:
        """SIGTERM: the launcher closes the node cleanly (acknowledged writes are on disk already)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=20)
            self._process = None


@contextmanager
def isolated_app(settings: Settings, **overrides: object) -> Iterator[TestClient]:
    """An app with a private Redis and a unique index prefix; its indices, templates and trending
    keys are removed afterwards."""
    redis = PrivateRedis()
    redis.start()
    prefix = f"feedgraph-test-s{secrets.token_hex(4)}"
    update = {
        "redis_url": f"redis://127.0.0.1:{redis.port}/0",
        "opensearch_index_prefix": prefix,
        **overrides,
    }
    try:
        with TestClient(create_app(settings.model_copy(update=update))) as client:
            wait_until_prepared(client)
            try:
                yield client
            finally:
                run(client, lambda: _remove_indices(app_services(client), prefix))
    finally:
        redis.stop()


async def _remove_indices(services: Services, prefix: str) -> None:
    client = services.search
    try:
        await client.indices.delete(index=f"{prefix}-*", expand_wildcards="all", ignore_unavailable=True)
        for kind in ("posts", "users"):
            await client.indices.delete_index_template(name=f"{prefix}-{kind}", ignore=[404])
    except Exception:  # the private OpenSearch of the outage test may be gone already
        pass


def drain_search(client: TestClient) -> int:
    """Handle every event of the search group now (what `feedgraph worker` does, minus other groups).
    No outbox sweep: the app publishes its own events, and a sweep could take another test session's."""
    services = app_services(client)
    worker = Worker.for_services(services, consumer="search-test")

    async def _drain() -> int:
        await worker.setup()
        handled = 0
        while batch := await worker.consume_once(SEARCH_GROUP, block_ms=1, reclaim_idle_ms=0):
            handled += batch
        await services.search_service.refresh()
        return handled

    return run(client, _drain)
