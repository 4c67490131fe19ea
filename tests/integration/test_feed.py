"""The hybrid home feed against real Neo4j and Redis: fan-out, rebuilds, celebrities, recovery."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.events import Event
from core.clock import now_ms
from core.ids import new_id
from core.settings import Settings
from feed.worker import Worker
from graph.repositories import posts as posts_repo
from tests.conftest import Account, app_services, create_post, register, run, wait_until_prepared

MakeUser = Callable[..., Account]


def drain(client: TestClient, reclaim_idle_ms: int = 30_000) -> int:
    """Let the worker relay the outbox and handle every event now (what `feedgraph worker` does)."""
    worker = Worker.for_services(app_services(client), consumer="test-worker")
    return run(client, lambda: worker.drain(reclaim_idle_ms=reclaim_idle_ms))


def feed_ids(client: TestClient, reader: Account, limit: int = 100) -> list[str]:
    response = client.get("/api/v1/feed", params={"limit": limit}, headers=reader.headers)
    assert response.status_code == 200, response.text
    return [p["post_id"] for p in response.json()["posts"]]


def timeline(client: TestClient, user: Account) -> list[int] | None:
    home = app_services(client).feed.home

    async def read() -> list[int] | None:
        page = await home.page(int(user.user_id), None, 1000)
        return page.entries if page.state.value == "ok" else None

    return run(client, read)


def follow(client: TestClient, follower: Account, followee: Account) -> None:
    response = client.post(f"/api/v1/users/{followee.user_id}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


def test_a_post_is_pushed_into_active_followers_timelines(client: TestClient, make_user: MakeUser) -> None:
    author, reader, lurker = make_user(), make_user(), make_user()
    follow(client, reader, author)
    follow(client, lurker, author)
    assert feed_ids(client, reader) == []  # reading makes the reader active and builds their timeline
    drain(client)
    post_id = create_post(client, author, "fresh news")
    drain(client)
    assert timeline(client, reader) == [int(post_id)]  # pushed, not rebuilt
    assert timeline(client, lurker) is None  # never read a feed: no fan-out
    assert feed_ids(client, reader) == [post_id]
    assert feed_ids(client, author) == [post_id]  # own posts are in one's own feed


def test_a_returning_user_gets_a_complete_feed_rebuilt_from_the_graph(
    client: TestClient, make_user: MakeUser
) -> None:
    alice, bob, reader = make_user(), make_user(), make_user()
    follow(client, reader, alice)
    follow(client, reader, bob)
    made = [create_post(client, (alice, bob)[i % 2], f"post {i}") for i in range(25)]
    drain(client)
    assert timeline(client, reader) is None
    first = client.get("/api/v1/feed", params={"limit": 20}, headers=reader.headers).json()
    assert [p["post_id"] for p in first["posts"]] == list(reversed(made))[:20]
    assert first["has_more"] is True
    second = client.get(
        "/api/v1/feed", params={"limit": 20, "before": first["next_cursor"]}, headers=reader.headers
    ).json()
    assert [p["post_id"] for p in second["posts"]] == list(reversed(made))[20:]
    assert second["has_more"] is False and second["next_cursor"] is None
    # from now on push takes over
    later = create_post(client, alice, "after the return")
    drain(client)
    assert timeline(client, reader)[0] == int(later)  # type: ignore[index]


def test_feed_pages_have_no_gaps_or_duplicates(client: TestClient, make_user: MakeUser) -> None:
    authors = [make_user() for _ in range(3)]
    reader = make_user()
    for author in authors:
        follow(client, reader, author)
    feed_ids(client, reader)
    made = [create_post(client, authors[i % 3], f"n{i}") for i in range(17)]
    drain(client)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 5, **({"before": cursor} if cursor else {})}
        body = client.get("/api/v1/feed", params=params, headers=reader.headers).json()
        seen += [p["post_id"] for p in body["posts"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert seen == list(reversed(made))


def test_visibility_mutes_blocks_and_deletions_apply_to_the_feed(
    client: TestClient, make_user: MakeUser
) -> None:
    author, muted, reader = make_user(), make_user(), make_user()
    follow(client, reader, author)
    follow(client, reader, muted)
    feed_ids(client, reader)
    public = create_post(client, author, "public")
    followers = create_post(client, author, "followers", "followers")
    private = create_post(client, author, "private", "private")
    doomed = create_post(client, author, "to be deleted")
    noise = create_post(client, muted, "noise")
    drain(client)
    assert feed_ids(client, reader) == [noise, doomed, followers, public]
    assert private in feed_ids(client, author)
    client.post(f"/api/v1/users/{muted.user_id}/mute", headers=reader.headers)
    assert client.delete(f"/api/v1/posts/{doomed}", headers=author.headers).status_code == 204
    drain(client)
    assert feed_ids(client, reader) == [followers, public]
    assert int(doomed) not in (timeline(client, reader) or [])  # withdrawn from the timeline too
    client.post(f"/api/v1/users/{reader.user_id}/block", headers=author.headers)
    assert feed_ids(client, reader) == []


def test_a_page_whose_newest_entries_are_all_hidden_is_refilled_from_older_ones(
    client: TestClient, make_user: MakeUser
) -> None:
    loud, quiet, reader = make_user(), make_user(), make_user()
    follow(client, reader, loud)
    follow(client, reader, quiet)
    feed_ids(client, reader)
    kept = [create_post(client, quiet, f"quiet {i}") for i in range(3)]
    # Newer than the kept ones and more than two rounds of candidates: all hidden by the mute.
    for i in range(45):
        create_post(client, loud, f"loud {i}")
    drain(client)
    client.post(f"/api/v1/users/{loud.user_id}/mute", headers=reader.headers)
    page = client.get("/api/v1/feed?limit=20", headers=reader.headers).json()
    assert [p["post_id"] for p in page["posts"]] == list(reversed(kept))
    assert page["has_more"] is False


def test_shares_reach_the_sharers_followers_with_who_shared(client: TestClient, make_user: MakeUser) -> None:
    author, sharer, reader = make_user(), make_user(), make_user()
    follow(client, reader, sharer)
    feed_ids(client, reader)
    post_id = create_post(client, author, "worth sharing")
    client.post(f"/api/v1/posts/{post_id}/share", json={"quote": "read this"}, headers=sharer.headers)
    drain(client)
    items = client.get("/api/v1/feed", headers=reader.headers).json()["posts"]
    assert [(i["post_id"], i["shared_by"]["user_id"], i["quote"]) for i in items] == [
        (post_id, sharer.user_id, "read this")
    ]
    assert items[0]["user"]["user_id"] == author.user_id and items[0]["entry_id"] != post_id
    client.delete(f"/api/v1/posts/{post_id}/share", headers=sharer.headers)
    drain(client)
    assert feed_ids(client, reader) == []


def test_a_post_whose_event_was_never_published_is_still_delivered(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    feed_ids(client, reader)
    services = app_services(client)
    post_id = new_id()

    async def write_then_crash() -> None:
        # The graph write commits, then the process dies before publishing the event.
        await posts_repo.create_post(
            services.graph,
            post_id=post_id,
            author_id=int(author.user_id),
            content="survives a crash",
            visibility="public",
            media_ids=[],
            event_id=new_id(),
            now_ms=now_ms() - 10_000,
        )

    run(client, write_then_crash)
    assert timeline(client, reader) == []
    drain(client)  # the worker's outbox sweep finds the event
    assert timeline(client, reader) == [post_id]
    assert feed_ids(client, reader) == [str(post_id)]


def test_an_event_left_pending_by_a_dead_worker_is_reclaimed(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    feed_ids(client, reader)
    drain(client)
    feed = app_services(client).feed

    async def crash(_: list[Event]) -> None:
        raise RuntimeError("worker died mid-batch")

    post_id = create_post(client, author, "pending")
    with pytest.raises(RuntimeError):
        run(client, lambda: feed.stream.consume_once("fanout", "doomed-worker", crash, block_ms=10))
    assert timeline(client, reader) == []
    drain(client, reclaim_idle_ms=0)  # another worker claims what the dead one left
    assert timeline(client, reader) == [int(post_id)]


def test_redelivered_events_never_duplicate_timeline_entries(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    feed_ids(client, reader)
    post_id = int(create_post(client, author, "once"))
    drain(client)
    fanout = app_services(client).feed.fanout
    event = Event(
        id=new_id(), type="post_created", post_id=post_id, actor_id=int(author.user_id), visibility="public"
    )
    for _ in range(3):
        run(client, lambda: fanout.handle([event]))
    assert timeline(client, reader) == [post_id]


def test_timeline_memory_is_at_most_16_bytes_per_entry_at_the_cap(client: TestClient) -> None:
    home = app_services(client).feed.home
    owner = new_id()

    async def fill_and_measure() -> int:
        await home.rebuild(owner, lambda: _ids(home.cap))
        size = await home.memory_usage(owner)
        await home.drop(owner)
        return size

    async def _ids(n: int) -> list[int]:
        return [new_id() for _ in range(n)]

    used = run(client, fill_and_measure)
    assert used / home.cap <= 16, f"{used / home.cap:.1f} bytes per entry"


@pytest.fixture
def celebrity_client(settings: Settings) -> Iterator[TestClient]:
    """An app where 3 followers make a celebrity (pull) and fewer than 3 * 0.8 make them ordinary again."""
    tuned = settings.model_copy(update={"celebrity_threshold": 3, "pull_cache_ttl_seconds": 1})
    with TestClient(create_app(tuned)) as other:
        wait_until_prepared(other)
        yield other


def test_crossing_the_celebrity_threshold_both_ways_leaves_no_gap_or_duplicate(
    celebrity_client: TestClient,
) -> None:
    client = celebrity_client
    star = register(client)
    fans = [register(client) for _ in range(3)]
    reader = fans[0]
    follow(client, reader, star)
    feed_ids(client, reader)
    made = [create_post(client, star, "while ordinary")]
    drain(client)
    for fan in fans[1:]:
        follow(client, fan, star)  # 3 followers: the next post switches the star to pull
    made.append(create_post(client, star, "the switching post"))
    drain(client)
    time.sleep(2.1)  # past the grace period (cache TTL 1 s + 1 s margin): pushes stop
    made.append(create_post(client, star, "while a celebrity"))
    drain(client)
    services = app_services(client)
    assert run(client, lambda: services.feed.pulls.exists(int(star.user_id)))
    assert int(made[-1]) not in (timeline(client, reader) or [])  # not pushed: pulled at read time
    assert feed_ids(client, reader) == list(reversed(made))
    # This process now holds the head of the star's pull list; its own fan-out makes it forget it.
    made.append(create_post(client, star, "again while a celebrity"))
    drain(client)
    assert feed_ids(client, reader) == list(reversed(made))
    # Two unfollows: 1 follower < 3 * 0.8, so the next post switches back to push.
    for fan in fans[1:]:
        client.delete(f"/api/v1/users/{star.user_id}/follow", headers=fan.headers)
    made.append(create_post(client, star, "ordinary again"))
    drain(client)
    assert not run(client, lambda: services.feed.pulls.exists(int(star.user_id)))
    made.append(create_post(client, star, "pushed again"))
    drain(client)
    assert feed_ids(client, reader) == list(reversed(made))
    assert set(made) <= {str(i) for i in timeline(client, reader) or []}  # backfilled: no pull needed


def test_following_shows_the_followees_posts_at_once_and_unfollowing_removes_them(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader, other = make_user(), make_user(), make_user()
    follow(client, reader, other)
    older = [create_post(client, author, f"before the follow {i}") for i in range(3)]
    kept = create_post(client, other, "from someone still followed")
    drain(client)
    assert feed_ids(client, reader) == [kept]  # the reader's timeline exists now
    follow(client, reader, author)
    assert feed_ids(client, reader) == [kept, *reversed(older)]
    client.delete(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    assert feed_ids(client, reader) == [kept]
