"""The post cache and viewer state behind feed hydration, against real Neo4j and Redis: cards are
shared by viewers, writes are seen at once, a fill cannot resurrect a forgotten card, counts keep the
newest commit, a warm page needs no Neo4j, a page missing some cards reads only those from the graph
(and forgets entries the graph no longer has), and a crash between a commit and the API's cache update is
repaired (by the worker from the outbox, or by the tombstone laid before the commit)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.post_cards import HOLD_OFF_MS
from core.clock import now_ms
from core.ids import new_id
from core.settings import Settings
from feed import hydration
from feed.worker import Worker
from graph.queries import CypherQuery
from graph.repositories import interactions
from tests.conftest import Account, app_services, create_post, run, wait_until_prepared
from tests.integration.test_feed import drain, follow
from tests.private_servers import free_port

MakeUser = Callable[..., Account]


def feed_posts(client: TestClient, reader: Account) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/feed", params={"limit": 50}, headers=reader.headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Feed-Source"] == "hybrid"
    return {p["post_id"]: p for p in response.json()["posts"]}


def cached_card(client: TestClient, post_id: str) -> dict[str, Any] | None:
    cards = app_services(client).feed.cards
    posts, _ = run(client, lambda: cards.get([int(post_id)], []))
    return posts.get(int(post_id))


def test_a_feed_read_fills_the_cache_and_other_viewers_get_their_own_flags(
    client: TestClient, make_user: MakeUser
) -> None:
    author, fan, other = make_user(), make_user(), make_user()
    follow(client, fan, author)
    follow(client, other, author)
    post_id = create_post(client, author, "cache me")
    assert feed_posts(client, fan)[post_id]["like_count"] == 0
    card = cached_card(client, post_id)
    assert card is not None and card["content"] == "cache me" and card["like_count"] == 0
    assert "is_liked" not in card  # the card is shared by every viewer; the viewer's flags are not in it
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=fan.headers).status_code == 200
    card = cached_card(client, post_id)  # a count change keeps the card: the committed counts ride along
    assert card is not None and card["like_count"] == 1 and card["content"] == "cache me"
    assert (feed_posts(client, fan)[post_id]["is_liked"], feed_posts(client, fan)[post_id]["like_count"]) == (
        True,
        1,
    )
    assert (
        feed_posts(client, other)[post_id]["is_liked"],
        feed_posts(client, other)[post_id]["like_count"],
    ) == (False, 1)


def test_likes_comments_and_shares_show_in_the_next_feed_read(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader, sharer = make_user(), make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "count me")
    assert feed_posts(client, reader)[post_id]["like_count"] == 0  # cached with zero counts
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers).status_code == 200
    seen = feed_posts(client, reader)[post_id]
    assert (seen["like_count"], seen["is_liked"]) == (1, True)
    comment = client.post(f"/api/v1/posts/{post_id}/comments", json={"content": "hi"}, headers=reader.headers)
    assert comment.status_code == 201, comment.text
    assert feed_posts(client, reader)[post_id]["comment_count"] == 1
    assert (
        client.delete(f"/api/v1/comments/{comment.json()['comment_id']}", headers=reader.headers).status_code
        == 204
    )
    assert feed_posts(client, reader)[post_id]["comment_count"] == 0
    assert client.post(f"/api/v1/posts/{post_id}/share", headers=sharer.headers).status_code == 200
    assert feed_posts(client, reader)[post_id]["share_count"] == 1
    assert client.delete(f"/api/v1/posts/{post_id}/like", headers=reader.headers).status_code == 200
    seen = feed_posts(client, reader)[post_id]
    assert (seen["like_count"], seen["is_liked"]) == (0, False)


def test_a_profile_change_shows_on_cached_posts(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "who wrote this")
    feed_posts(client, reader)
    response = client.patch(
        "/api/v1/users/me", json={"display_name": "Renamed Author"}, headers=author.headers
    )
    assert response.status_code == 200, response.text
    assert feed_posts(client, reader)[post_id]["user"]["display_name"] == "Renamed Author"


def test_a_deleted_post_with_a_cached_card_is_not_shown(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    kept, gone = create_post(client, author, "kept"), create_post(client, author, "gone")
    assert set(feed_posts(client, reader)) == {kept, gone}
    assert client.delete(f"/api/v1/posts/{gone}", headers=author.headers).status_code == 204
    assert set(feed_posts(client, reader)) == {kept}  # before the worker withdraws it from timelines


def test_a_fill_after_a_forget_does_not_bring_the_old_card_back(client: TestClient) -> None:
    cards, redis = app_services(client).feed.cards, app_services(client).cache_redis
    post_id = new_id()
    stale: dict[str, Any] = {"id": post_id, "content": "old", "like_count": 3}
    run(client, lambda: cards.forget([post_id]))  # a write committed; a slow reader fills after it
    run(client, lambda: cards.fill([stale], []))
    assert run(client, lambda: cards.get([post_id], []))[0] == {}
    assert 0 < run(client, lambda: redis.pttl(cards.post_key(post_id))) <= HOLD_OFF_MS  # the tombstone ends
    run(client, lambda: redis.delete(cards.post_key(post_id)))  # as it does when the hold-off is over
    run(client, lambda: cards.fill([stale], []))
    assert run(client, lambda: cards.get([post_id], []))[0] == {post_id: stale}
    run(client, lambda: redis.delete(cards.post_key(post_id)))


def test_recorded_counts_keep_the_latest_commit_whatever_the_order_of_arrival(
    client: TestClient, make_user: MakeUser
) -> None:
    author = make_user()
    post_id = int(create_post(client, author, "counted"))
    cards = app_services(client).feed.cards
    run(
        client,
        lambda: cards.fill([{"id": post_id, "author_id": 1, "like_count": 0, "counts_version": 0}], []),
    )
    newer = {"like_count": 7, "comment_count": 2, "share_count": 1, "counts_version": 5}
    older = {"like_count": 6, "comment_count": 2, "share_count": 1, "counts_version": 4}
    run(client, lambda: cards.record_counts(post_id, newer))
    run(client, lambda: cards.record_counts(post_id, older))  # a slower writer's earlier commit
    card = run(client, lambda: cards.get([post_id], []))[0][post_id]
    assert (card["like_count"], card["comment_count"], card["counts_version"]) == (7, 2, 5)
    # A card filled later from the graph with a newer version wins over the record.
    run(client, lambda: app_services(client).cache_redis.delete(cards.post_key(post_id)))
    fresh = {
        "id": post_id,
        "author_id": 1,
        "like_count": 9,
        "comment_count": 2,
        "share_count": 1,
        "counts_version": 6,
    }
    run(client, lambda: cards.fill([fresh], []))
    assert run(client, lambda: cards.get([post_id], []))[0][post_id]["like_count"] == 9


def test_a_crash_between_a_commit_and_the_cache_update_is_repaired_by_the_worker(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader, liker = make_user(), make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "crash test")
    drain(client)
    assert feed_posts(client, reader)[post_id]["like_count"] == 0
    graph = app_services(client).graph
    # What the API does up to the commit, then "dies": no forget, no fast-path publish.
    run(client, lambda: interactions.like(graph, int(liker.user_id), int(post_id), now_ms()))
    assert feed_posts(client, reader)[post_id]["like_count"] == 0  # stale, until ...
    worker = Worker.for_services(app_services(client), consumer="test-worker")
    # ... the worker's sweep relays the outbox event (any age here) and the post-cache group forgets it.
    run(client, lambda: worker.drain(sweep_age_ms=0))
    assert feed_posts(client, reader)[post_id]["like_count"] == 1


def warm(client: TestClient, reader: Account) -> dict[str, dict[str, Any]]:
    """Two reads: the first fills the cards and the viewer state, the second is served from them."""
    feed_posts(client, reader)
    return feed_posts(client, reader)


def test_a_warm_feed_is_served_from_redis_alone(
    client: TestClient, settings: Settings, make_user: MakeUser
) -> None:
    author, sharer, reader = make_user(), make_user(), make_user()
    follow(client, reader, author)
    follow(client, reader, sharer)
    post_id = create_post(client, author, "no graph needed")
    assert (
        client.post(
            f"/api/v1/posts/{post_id}/share", json={"quote": "look"}, headers=sharer.headers
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers).status_code == 200
    drain(client)  # the repost reaches the reader's timeline
    time.sleep(HOLD_OFF_MS / 1000 + 0.1)  # the like's tombstones end; the next read fills the caches
    expected = client.get("/api/v1/feed", headers=reader.headers).json()
    assert [
        (p["post_id"], p["shared_by"]["user_id"], p["quote"], p["is_liked"]) for p in expected["posts"]
    ] == [
        (post_id, sharer.user_id, "look", True)  # the repost; the post itself is the same post, shown once
    ]
    assert client.get("/api/v1/feed", headers=reader.headers).json() == expected
    # A second API process sharing Redis, whose Neo4j does not answer: only caches can serve the page.
    no_graph = settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}"})
    with TestClient(create_app(no_graph)) as other:
        page = other.get("/api/v1/feed", headers=reader.headers)
        assert page.status_code == 200, page.text
        assert page.headers["X-Feed-Source"] == "hybrid"
        assert page.json() == expected
        # Redis lost its scripts (a restart, a failover): each call reloads them once, no graph needed.
        run(client, lambda: app_services(client).cache_redis.script_flush())
        assert other.get("/api/v1/feed", headers=reader.headers).json() == expected
        # Something the caches cannot answer goes to the graph, and fails cleanly while it is down.
        assert other.get("/api/v1/users/me", headers=reader.headers).status_code == 503


def test_mutes_and_blocks_apply_at_once_to_a_cached_viewer(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "now you see me")
    assert post_id in warm(client, reader)
    assert client.post(f"/api/v1/users/{author.user_id}/mute", headers=reader.headers).status_code == 200
    assert post_id not in feed_posts(client, reader)
    assert client.delete(f"/api/v1/users/{author.user_id}/mute", headers=reader.headers).status_code == 200
    assert post_id in warm(client, reader)
    assert client.post(f"/api/v1/users/{reader.user_id}/block", headers=author.headers).status_code == 200
    assert post_id not in feed_posts(client, reader)  # blocked by the author: hidden both ways


def test_a_withdrawn_repost_leaves_a_cached_feed_at_once(client: TestClient, make_user: MakeUser) -> None:
    author, sharer, reader = make_user(), make_user(), make_user()
    follow(client, reader, sharer)
    post_id = create_post(client, author, "worth sharing")
    assert client.post(f"/api/v1/posts/{post_id}/share", headers=sharer.headers).status_code == 200
    drain(client)
    reposts = [p for p in warm(client, reader).values() if p["shared_by"]]
    assert [p["post_id"] for p in reposts] == [post_id]
    assert client.delete(f"/api/v1/posts/{post_id}/share", headers=sharer.headers).status_code == 200
    assert post_id not in feed_posts(client, reader)  # before the worker takes it out of timelines


def test_a_crash_after_a_like_commit_leaves_no_stale_viewer_state(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "like me later")
    assert warm(client, reader)[post_id]["is_liked"] is False
    services = app_services(client)
    # What the API does for a like, up to the commit; then the process "dies" (no release).
    held = run(client, lambda: services.feed.hold_likers([int(reader.user_id)]))
    assert held.held == {int(reader.user_id)}
    run(client, lambda: interactions.like(services.graph, int(reader.user_id), int(post_id), now_ms()))
    assert feed_posts(client, reader)[post_id]["is_liked"] is True  # graph path: the state is held
    time.sleep(HOLD_OFF_MS / 1000 + 0.1)
    assert warm(client, reader)[post_id]["is_liked"] is True  # refilled after the commit, then cached


def test_a_like_keeps_the_likers_viewer_state_cached_with_the_like(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "like me now")
    assert warm(client, reader)[post_id]["is_liked"] is False
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers).status_code == 200
    asked = graph_reads(client, monkeypatch)
    assert feed_posts(client, reader)[post_id]["is_liked"] is True
    assert asked == []  # from the caches: the liker's state came back from its hold with the like


def test_a_held_viewer_state_is_not_read_nor_filled_and_any_doubt_forgets_it(
    client: TestClient, make_user: MakeUser
) -> None:
    states = app_services(client).feed.viewer_states
    redis = app_services(client).cache_redis
    viewer, post, old_post = int(make_user().user_id), new_id(), 5

    def fill() -> bool:
        return run(client, lambda: states.fill(viewer, 10, [], [], []))

    def liked() -> set[int] | None:
        flags = run(client, lambda: states.flags(viewer, [post, old_post], []))
        return None if flags is None else flags.liked

    assert fill() and liked() == set()
    held = run(client, lambda: states.hold([viewer]))
    assert held.held == {viewer}
    assert liked() is None and not fill()  # read as not cached; a fill (maybe older than the write) refused
    run(client, lambda: states.release(held, post, [viewer]))
    assert liked() == {post}
    assert run(client, lambda: redis.pttl(states.keys(viewer)[1])) > 0  # the likes set expires with the state

    # A like of a post older than the state's cutoff: the state comes back unchanged.
    held = run(client, lambda: states.hold([viewer]))
    run(client, lambda: states.release(held, old_post, [viewer]))
    assert liked() == {post}

    # Another write of the viewer's while held: forgotten, and the release does not bring it back.
    held = run(client, lambda: states.hold([viewer]))
    run(client, lambda: states.forget([viewer]))
    run(client, lambda: states.release(held, post, [viewer]))
    assert liked() is None and not fill()

    # A hold of no state forgets (a fill whose graph read predates the write is refused) ...
    time.sleep(HOLD_OFF_MS / 1000 + 0.1)
    held = run(client, lambda: states.hold([viewer]))
    assert held.held == set() and not fill()
    run(client, lambda: states.release(held, post, [viewer]))  # ... and so does its release
    assert liked() is None and not fill()

    # The state's lifetime ends while held: released as forgotten.
    time.sleep(HOLD_OFF_MS / 1000 + 0.1)
    assert fill()
    run(client, lambda: redis.pexpire(states.keys(viewer)[0], 50))
    held = run(client, lambda: states.hold([viewer]))
    time.sleep(0.1)
    run(client, lambda: states.release(held, post, [viewer]))
    assert liked() is None and not fill()


def graph_reads(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the read queries the app's graph runs from now on (still run by the real Neo4j)."""
    graph = app_services(client).graph
    asked: list[str] = []
    real_read = graph.read

    async def read(query: CypherQuery, **params: Any) -> list[dict[str, Any]]:
        asked.append(query.name)
        return await real_read(query, **params)

    monkeypatch.setattr(graph, "read", read)
    return asked


def home_entries(client: TestClient, reader: Account) -> list[int]:
    home = app_services(client).feed.home
    return run(client, lambda: home.page(int(reader.user_id), None, 100)).entries


def test_a_page_missing_some_cards_reads_only_those_from_the_graph(
    client: TestClient, settings: Settings, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, sharer, reader = make_user(), make_user(), make_user()
    follow(client, reader, author)
    follow(client, reader, sharer)
    shared, plain = create_post(client, author, "shared"), create_post(client, author, "plain")
    response = client.post(f"/api/v1/posts/{shared}/share", json={"quote": "see"}, headers=sharer.headers)
    assert response.status_code == 200, response.text
    drain(client)
    expected = warm(client, reader)
    assert expected[shared]["shared_by"]["user_id"] == sharer.user_id
    (repost,) = set(home_entries(client, reader)) - {int(shared), int(plain)}
    cards = app_services(client).feed.cards
    # Expired: a post's card, the repost's card and the sharer's profile.
    expired = [cards.post_key(int(plain)), cards.post_key(repost), cards.user_key(int(sharer.user_id))]
    run(client, lambda: app_services(client).cache_redis.delete(*expired))
    asked = graph_reads(client, monkeypatch)
    assert feed_posts(client, reader) == expected
    assert asked == ["feed/entry_cards"]  # not the per-viewer graph check of the whole page
    asked.clear()
    assert feed_posts(client, reader) == expected
    assert asked == []  # the cards are back in the cache
    # A process that never saw these entries reads their cards first; a missing post card and the
    # missing profile of a found repost's sharer still come in one graph read.
    run(client, lambda: app_services(client).cache_redis.delete(*expired[:1], *expired[2:]))
    with TestClient(create_app(settings)) as other:
        wait_until_prepared(other)
        asked = graph_reads(other, monkeypatch)
        assert feed_posts(other, reader) == expected
        assert asked == ["feed/entry_cards"]


def test_a_deleted_accounts_entries_leave_the_page_and_then_the_readers_timeline(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaving, staying, reader = make_user(), make_user(), make_user()
    follow(client, reader, leaving)
    follow(client, reader, staying)
    gone, kept = create_post(client, leaving, "soon gone"), create_post(client, staying, "kept")
    drain(client)
    assert set(warm(client, reader)) == {gone, kept}
    response = client.request(
        "DELETE", "/api/v1/users/me", json={"password": "correct horse"}, headers=leaving.headers
    )
    assert response.status_code == 204, response.text
    drain(client)
    assert int(gone) in home_entries(client, reader)  # the graph no longer knows who followed them
    assert set(feed_posts(client, reader)) == {kept}
    # Younger than GONE_REPAIR_AGE_MS: it might be a new post a lagging replica has not seen yet.
    assert int(gone) in home_entries(client, reader)
    monkeypatch.setattr(hydration, "GONE_REPAIR_AGE_MS", 0)
    assert set(feed_posts(client, reader)) == {kept}
    assert home_entries(client, reader) == [int(kept)]
    asked = graph_reads(client, monkeypatch)
    assert set(feed_posts(client, reader)) == {kept}
    assert asked == []
