"""Likes of one post group-committed per process (feed/likes.py, interactions/like_post_batch): exact
counts under concurrency, one like per user, visibility per liker, events still published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from cache.events import Event
from core.clock import now_ms
from core.errors import NotFound, Unavailable
from core.ids import new_id
from core.settings import Settings
from feed.likes import LikeBatcher
from graph.driver import Graph, Record
from graph.queries import load_queries
from graph.repositories import interactions, outbox
from tests.conftest import Account, app_services, create_post, run
from tests.private_servers import free_port

MakeUser = Callable[..., Account]


def _like_all(client: TestClient, post_id: str, user_ids: list[str]) -> list[int | BaseException]:
    """Every like submitted at once to the app's own batcher, on the app's loop."""
    likes = app_services(client).likes

    async def like_all() -> list[int | BaseException]:
        return await asyncio.gather(
            *(likes.like(int(uid), int(post_id)) for uid in user_ids), return_exceptions=True
        )

    return run(client, like_all)


def test_many_concurrent_likes_coalesce_and_the_count_ends_exact(
    client: TestClient, make_user: MakeUser
) -> None:
    author = make_user()
    post_id = create_post(client, author, "going viral in batches")
    fans = [make_user().user_id for _ in range(150)]
    counts = _like_all(client, post_id, fans)
    assert all(isinstance(c, int) and 1 <= c <= len(fans) for c in counts), counts
    assert len(set(counts)) < len(fans)  # likes shared transactions: fewer distinct counts than likes
    assert app_services(client).likes.posts_in_flight == 0  # the post's state went with its queue
    post = client.get(f"/api/v1/posts/{post_id}", headers=author.headers).json()
    assert post["like_count"] == len(fans)
    # Liking again changes nothing, through the API as well.
    again = _like_all(client, post_id, fans[:10])
    assert again == [len(fans)] * 10
    response = client.post(f"/api/v1/posts/{post_id}/like", headers=author.headers)
    assert response.json() == {"post_id": post_id, "liked": True, "like_count": len(fans) + 1}


def test_the_same_user_twice_in_one_batch_is_one_like(client: TestClient, make_user: MakeUser) -> None:
    author, fan, other = make_user(), make_user(), make_user()
    post_id = create_post(client, author)
    counts = _like_all(client, post_id, [fan.user_id, fan.user_id, other.user_id, fan.user_id])
    assert counts == [2, 2, 2, 2]
    post = client.get(f"/api/v1/posts/{post_id}", headers=author.headers).json()
    assert post["like_count"] == 2
    likers = client.get(f"/api/v1/posts/{post_id}/likes", headers=author.headers).json()["users"]
    assert sorted(u["user_id"] for u in likers) == sorted([fan.user_id, other.user_id])


def test_the_batch_query_writes_one_event_per_new_like(client: TestClient, make_user: MakeUser) -> None:
    author, fan, other = make_user(), make_user(), make_user()
    post_id = int(create_post(client, author))
    graph = app_services(client).graph
    events = [new_id() for _ in range(4)]
    pairs = [(int(fan.user_id), events[0]), (int(fan.user_id), events[1]), (int(other.user_id), events[2])]

    async def like_and_read() -> tuple[interactions.BatchLikes, list[Record]]:
        result = await interactions.like_batch(graph, post_id, pairs, now_ms())
        return result, await outbox.events_by_id(graph, events)

    result, written = run(client, like_and_read)
    assert result.like_count == 2
    assert set(result.by_user) == {int(fan.user_id), int(other.user_id)}
    assert all(like.visible and like.created for like in result.by_user.values())
    assert sorted(e["id"] for e in written) == sorted(like.event_id for like in result.by_user.values())
    assert {(e["type"], e["post_id"], e["actor_id"]) for e in written} == {
        ("post_liked", post_id, int(fan.user_id)),
        ("post_liked", post_id, int(other.user_id)),
    }
    # A repeated like creates nothing and writes no event.
    repeat = run(client, lambda: interactions.like_batch(graph, post_id, [(int(fan.user_id), events[3])], 1))
    assert repeat.like_count == 2 and not repeat.by_user[int(fan.user_id)].created
    assert run(client, lambda: outbox.events_by_id(graph, [events[3]])) == []
    missing = run(client, lambda: interactions.like_batch(graph, new_id(), pairs, now_ms()))
    assert missing.like_count == 0 and missing.by_user == {}


def test_who_may_not_see_the_post_gets_404_alone_in_a_shared_batch(
    client: TestClient, make_user: MakeUser
) -> None:
    author, blocked, blocker, follower, stranger = (make_user() for _ in range(5))
    client.post(f"/api/v1/users/{blocked.user_id}/block", headers=author.headers)
    client.post(f"/api/v1/users/{author.user_id}/block", headers=blocker.headers)
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=follower.headers)
    public = create_post(client, author, "for everyone")
    followers_only = create_post(client, author, "for followers", "followers")

    results = _like_all(
        client, public, [blocked.user_id, follower.user_id, blocker.user_id, stranger.user_id]
    )
    assert results[1] == results[3] == 2
    for refused in (results[0], results[2]):
        assert isinstance(refused, NotFound) and refused.code == "post_not_found"

    results = _like_all(client, followers_only, [stranger.user_id, follower.user_id, author.user_id])
    assert isinstance(results[0], NotFound) and results[1:] == [2, 2]
    assert client.post(f"/api/v1/posts/{public}/like", headers=blocked.headers).status_code == 404
    assert client.get(f"/api/v1/posts/{public}", headers=author.headers).json()["like_count"] == 2
    unknown = _like_all(client, str(new_id()), [follower.user_id])
    assert isinstance(unknown[0], NotFound)


def test_a_failed_batch_fails_each_of_its_likes_with_the_same_error(settings: Settings) -> None:
    dead = f"bolt://127.0.0.1:{free_port()}"
    broken = settings.model_copy(update={"neo4j_uri": dead, "neo4j_retry_seconds": 0})

    async def like_on_a_dead_graph() -> tuple[list[int | BaseException], int]:
        load_queries()
        graph = Graph.connect(broken)
        published: list[Event] = []

        async def publish(events: list[Event]) -> None:
            published.extend(events)

        likes = LikeBatcher.for_graph(graph, publish)
        try:
            results = await asyncio.gather(
                *(likes.like(uid, 42) for uid in range(1, 6)), return_exceptions=True
            )
        finally:
            await graph.close()
        assert published == []
        return results, likes.posts_in_flight

    results, in_flight = asyncio.run(like_on_a_dead_graph())
    assert in_flight == 0
    assert all(isinstance(r, Unavailable) and r.code == "dependency_unavailable" for r in results), results
    assert len({id(r) for r in results}) == 1  # one transaction, one error


def test_likes_of_a_batch_reach_the_stream_and_notify(client: TestClient, make_user: MakeUser) -> None:
    from feed.worker import Worker

    author = make_user()
    fans = [make_user() for _ in range(5)]
    post_id = create_post(client, author, "notify my likers")
    assert all(isinstance(c, int) for c in _like_all(client, post_id, [f.user_id for f in fans]))
    worker = Worker.for_services(app_services(client), consumer="like-batch-test")
    run(client, lambda: worker.drain(sweep_age_ms=0))
    body = client.get("/api/v1/notifications", headers=author.headers).json()
    liked = [n for n in body["notifications"] if n["kind"] == "like" and n["post_id"] == post_id]
    assert sorted(n["actor"]["user_id"] for n in liked) == sorted(f.user_id for f in fans)


@pytest.mark.parametrize("cancelled", [0, 2])
def test_a_cancelled_like_does_not_break_its_batch(
    client: TestClient, make_user: MakeUser, cancelled: int
) -> None:
    """Cancelled while queued: skipped, the others of its batch are answered (cancelled while in flight:
    tests/unit/test_like_batcher.py, where the transaction can be held)."""
    author = make_user()
    fans = [make_user().user_id for _ in range(4)]
    post_id = int(create_post(client, author))
    likes = app_services(client).likes

    async def like_with_one_cancelled() -> list[int | BaseException]:
        tasks = [asyncio.create_task(likes.like(int(uid), post_id)) for uid in fans]
        await asyncio.sleep(0)  # every like is queued; the batch's task has not started yet
        tasks[cancelled].cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = run(client, like_with_one_cancelled)
    assert isinstance(results.pop(cancelled), asyncio.CancelledError)
    assert results == [3, 3, 3]
    assert likes.posts_in_flight == 0
