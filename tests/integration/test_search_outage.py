"""OpenSearch goes down while posts are written and deleted: nothing is lost, nothing is parked, and
the index is right once it is back. A private OpenSearch node is stopped, never the shared one."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cache.events import DEAD_LETTERS, RetryLater
from core.settings import Settings
from search.indexer import GROUP as SEARCH_GROUP
from search.indices import POSTS
from tests.conftest import app_services, create_post, register, run
from tests.integration.test_search_support import PrivateOpenSearch, drain_search, isolated_app

API = "/api/v1"


@pytest.fixture
def private_opensearch(tmp_path: Path) -> Iterator[PrivateOpenSearch]:
    node = PrivateOpenSearch(tmp_path / "opensearch")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_events_wait_for_opensearch_and_the_index_ends_up_right(
    settings: Settings, private_opensearch: PrivateOpenSearch
) -> None:
    with isolated_app(settings, opensearch_url=private_opensearch.url) as client:
        _outage(client, private_opensearch)


def _outage(client: TestClient, node: PrivateOpenSearch) -> None:
    author, fan = register(client), register(client)
    topic = f"o{secrets.token_hex(5)}"

    def found() -> list[str]:
        response = client.get(
            f"{API}/search/posts", params={"q": f"#{topic}", "sort": "recent"}, headers=fan.headers
        )
        assert response.status_code == 200, response.text
        return [p["post_id"] for p in response.json()["posts"]]

    doomed = create_post(client, author, f"before the outage #{topic}")
    kept = create_post(client, author, f"also before #{topic}")
    drain_search(client)
    assert found() == [kept, doomed]

    node.stop()
    down = client.get(f"{API}/search/posts", params={"q": f"#{topic}"}, headers=fan.headers)
    assert down.status_code == 503
    assert down.json() == {"error": "search_unavailable", "detail": "search is unavailable"}
    during = [create_post(client, author, f"during the outage {i} #{topic}") for i in range(3)]
    assert client.delete(f"{API}/posts/{doomed}", headers=author.headers).status_code == 204
    assert client.post(f"{API}/posts/{kept}/like", headers=fan.headers).status_code == 200
    services = app_services(client)
    # More failed attempts than the dead-letter limit (5): an outage must not count against it.
    for _ in range(7):
        with pytest.raises(RetryLater):
            drain_search(client)
    stream = services.feed.stream
    assert run(client, lambda: stream.pending_count(SEARCH_GROUP)) == 5  # 3 posts, a delete, a like
    assert run(client, lambda: services.redis.xlen(DEAD_LETTERS)) == 0

    node.start()  # same data directory: the index from before the outage is still there
    assert drain_search(client) == 5
    assert found() == [*reversed(during), kept]
    assert run(client, lambda: stream.pending_count(SEARCH_GROUP)) == 0
    doc = run(
        client,
        lambda: services.search.get(index=services.search_service.indices.read_alias(POSTS), id=kept),
    )
    assert doc["_source"]["like_count"] == 1
