"""A reindex to a new mapping, behind the aliases, while searches keep answering and writes go on."""

from __future__ import annotations

import secrets

import httpx
from fastapi.testclient import TestClient

from core.settings import Settings
from feed.worker import Worker
from search.indexer import GROUP as SEARCH_GROUP
from search.indices import POSTS
from search.reindex import reindex_all
from tests.conftest import app_services, create_post, register, run
from tests.integration.test_search_support import drain_search, isolated_app

# The new mapping: one more field (a keyword copy of the author's username, say) and a new version.
POSTS_V2 = POSTS.with_changes(version=2, properties={"author_username_raw": {"type": "keyword"}})


def test_reindex_to_a_new_mapping_while_searches_keep_answering(settings: Settings) -> None:
    with isolated_app(settings) as client:
        _reindex_while_searching(client)


def _reindex_while_searching(client: TestClient) -> None:
    services = app_services(client)
    author = register(client)
    topic = f"r{secrets.token_hex(5)}"
    first, second, third = (create_post(client, author, f"before #{topic} {i}") for i in range(3))
    drain_search(client)
    indices = services.search_service.indices
    old_index = run(client, lambda: indices.read_target(POSTS))
    worker = Worker.for_services(services, consumer="reindex-test")
    answers: dict[str, list[str]] = {}
    added: list[str] = []

    async def search(http: httpx.AsyncClient) -> list[str]:
        response = await http.get(
            "/api/v1/search/posts", params={"q": f"#{topic}", "sort": "recent"}, headers=author.headers
        )
        assert response.status_code == 200, response.text  # searching never stops
        return [p["post_id"] for p in response.json()["posts"]]

    async def on_step(name: str) -> None:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            if name == "posts:writing-both":
                # Writes during the reindex: a new post and a deletion, handled by the search consumer.
                made = await http.post(
                    "/api/v1/posts", json={"content": f"during #{topic}"}, headers=author.headers
                )
                added.append(made.json()["post_id"])
                gone = await http.delete(f"/api/v1/posts/{first}", headers=author.headers)
                assert gone.status_code == 204
                while await worker.consume_once(SEARCH_GROUP, block_ms=1, reclaim_idle_ms=0):
                    pass
                await services.search_service.refresh()
            answers[name] = await search(http)

    copied = run(client, lambda: reindex_all(services, [POSTS_V2], grace_seconds=0.2, on_step=on_step))

    during = added[0]
    assert copied == 2  # second and third; the post written during the reindex was there already
    assert answers["posts:created"] == [third, second, first]  # the old index answers
    assert answers["posts:writing-both"] == [during, third, second]  # writes reach it...
    assert answers["posts:copied"] == [during, third, second]
    assert answers["posts:switched"] == [during, third, second]  # ...and the new one: nothing lost
    assert answers["posts:done"] == [during, third, second]
    new_index = run(client, lambda: indices.read_target(POSTS))
    assert new_index != old_index and "-posts-v2-" in new_index
    mapping = run(client, lambda: services.search.indices.get_mapping(index=new_index))
    assert "author_username_raw" in mapping[new_index]["mappings"]["properties"]
    assert not run(client, lambda: services.search.indices.exists(index=old_index))
    assert run(client, lambda: indices.write_targets(POSTS)) == [new_index]
    # Indexing after the switch goes to the new index only, and search finds it.
    after = create_post(client, author, f"after #{topic}")
    drain_search(client)
    response = client.get(
        "/api/v1/search/posts", params={"q": f"#{topic}", "sort": "recent"}, headers=author.headers
    )
    assert [p["post_id"] for p in response.json()["posts"]] == [after, during, third, second]
