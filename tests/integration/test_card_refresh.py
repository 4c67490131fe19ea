"""Refresh ahead of the post cache and the viewer's state (feed/refresh_ahead.py,
feed/cache_refresh.py), against real Neo4j and Redis: a card read past its freshness stamp is served
from the cache and read again from the graph in the background (one batched read for the page's stale
cards), a refresh never replaces a value other than the one seen stale (a forget's tombstone, a newer
fill), values cached before stamps existed are served and refreshed, with the graph down stale cards
keep serving; a viewer state filled long ago is served and refilled the same way, never over a
forget."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.post_cards import PostCards
from core.clock import now_ms
from core.ids import id_to_ms, min_id_for_ms
from core.settings import Settings
from feed.cache_refresh import STATE_WINDOW_MS
from tests.conftest import Account, app_services, create_post, run
from tests.integration.test_feed import follow
from tests.integration.test_post_cache import feed_posts, graph_reads, warm
from tests.private_servers import free_port

MakeUser = Callable[..., Account]

STAMP = "_fresh_until"


def raw(client: TestClient, key: str) -> bytes | None:
    value = run(client, lambda: app_services(client).cache_redis.get(key))
    assert value is None or isinstance(value, bytes)
    return value


def plant(client: TestClient, key: str, value: bytes) -> None:
    """Overwrite a cached value, keeping its remaining lifetime."""
    assert run(client, lambda: app_services(client).cache_redis.set(key, value, keepttl=True))


def card_of(value: bytes | None) -> dict[str, Any]:
    assert value
    card: dict[str, Any] = orjson.loads(value)
    return card


def stale(value: bytes | None, **changes: Any) -> bytes:
    """The cached card with its freshness stamp long past (and ``changes``)."""
    return orjson.dumps({**card_of(value), STAMP: 1, **changes})


def stamp_of(value: bytes | None) -> bytes:
    """The stamp as a refresh compares it: the value up to the stamp's comma."""
    assert value and value.startswith(b'{"_fresh_until":')
    return value[: value.index(b",") + 1]


def is_fresh(value: bytes | None) -> bool:
    return (
        bool(value)
        and stamp_of(value) != b'{"_fresh_until":1,'
        and card_of(value)[STAMP] > time.time() * 1000
    )


def refresh_done(client: TestClient) -> None:
    run(client, app_services(client).feed.card_refresh.idle)


def test_a_stale_card_is_served_and_refreshed_in_the_background_with_one_graph_read(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    first, second = create_post(client, author, "first"), create_post(client, author, "second")
    expected = warm(client, reader)
    cards = app_services(client).feed.cards
    keys = [cards.post_key(int(first)), cards.post_key(int(second)), cards.user_key(int(author.user_id))]
    fresh = {key: raw(client, key) for key in keys}
    assert all(is_fresh(value) for value in fresh.values())  # stamped at the fill
    # Stale, and wrong (as a lost invalidation would leave it): the reader is still served the cache.
    plant(client, keys[0], stale(fresh[keys[0]], content="stale copy"))
    for key in keys[1:]:
        plant(client, key, stale(fresh[key]))
    asked = graph_reads(client, monkeypatch)
    served = feed_posts(client, reader)
    assert served[first]["content"] == "stale copy"  # from the cache: no graph read on the request's path
    assert {p: v for p, v in served.items() if p != first} == {
        p: v for p, v in expected.items() if p != first
    }
    refresh_done(client)
    assert asked == ["feed/entry_cards"]  # the three stale cards in one batched read, in the background
    assert all(is_fresh(raw(client, key)) for key in keys)
    assert card_of(raw(client, keys[0]))["content"] == "first"  # the graph's version is back
    asked.clear()
    assert feed_posts(client, reader) == expected
    refresh_done(client)
    assert asked == []  # fresh again: nothing to refresh


def test_a_refresh_replaces_only_the_value_seen_stale(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "original")
    warm(client, reader)
    cards: PostCards = app_services(client).feed.cards
    key = cards.post_key(int(post_id))
    seen = raw(client, key)
    assert seen is not None
    stamp, card = stamp_of(seen), card_of(seen)
    newer = {**card, "content": "from the graph"}
    # A write forgot the card after the stale read: its tombstone stays.
    run(client, lambda: cards.forget([int(post_id)]))
    assert run(client, lambda: cards.refresh([(key, stamp, newer)])) == 0
    assert raw(client, key) == b""
    # The hold-off ended and another reader filled the card anew (another stamp): that fill stays.
    run(client, lambda: app_services(client).cache_redis.delete(key))
    run(client, lambda: cards.fill([card], []))
    refilled = raw(client, key)
    assert stamp_of(refilled) != stamp
    assert run(client, lambda: cards.refresh([(key, stamp, newer)])) == 0
    assert raw(client, key) == refilled
    # Expired meanwhile: nothing is put back (the next reader fills it from the graph).
    run(client, lambda: app_services(client).cache_redis.delete(key))
    assert run(client, lambda: cards.refresh([(key, stamp, newer)])) == 0
    assert raw(client, key) is None
    # Still the value seen stale: replaced, stamped afresh, with a lifetime.
    run(client, lambda: cards.fill([card], []))
    current = raw(client, key)
    assert run(client, lambda: cards.refresh([(key, stamp_of(current), newer)])) == 1
    replaced = raw(client, key)
    assert card_of(replaced)["content"] == "from the graph" and stamp_of(replaced) != stamp_of(current)
    assert run(client, lambda: app_services(client).cache_redis.ttl(key)) > 0


def test_a_card_cached_before_stamps_is_served_and_refreshed(client: TestClient, make_user: MakeUser) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "old format")
    expected = warm(client, reader)
    cards = app_services(client).feed.cards
    key = cards.post_key(int(post_id))
    unstamped = {k: v for k, v in card_of(raw(client, key)).items() if k != STAMP}
    plant(client, key, orjson.dumps(unstamped))  # as the previous release cached cards
    assert feed_posts(client, reader) == expected
    refresh_done(client)
    value = raw(client, key)
    assert is_fresh(value) and {k: v for k, v in card_of(value).items() if k != STAMP} == unstamped


def test_with_the_graph_down_stale_cards_keep_serving(
    client: TestClient, settings: Settings, make_user: MakeUser
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "still here")
    expected = warm(client, reader)
    key = app_services(client).feed.cards.post_key(int(post_id))
    stale_value = stale(raw(client, key))
    plant(client, key, stale_value)
    no_graph = settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}"})
    with TestClient(create_app(no_graph)) as other:
        for _ in range(2):  # the failed refresh pauses; reads go on from the cache
            page = other.get("/api/v1/feed", params={"limit": 50}, headers=reader.headers)
            assert page.status_code == 200, page.text
            assert page.headers["X-Feed-Source"] == "hybrid"
            assert {p["post_id"]: p for p in page.json()["posts"]} == expected
            refresh_done(other)
        assert raw(client, key) == stale_value  # nothing replaced it
    assert feed_posts(client, reader) == expected  # the working process refreshes it
    refresh_done(client)
    assert is_fresh(raw(client, key))


def test_a_viewer_state_filled_long_ago_is_served_and_refilled_in_the_background(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    post_id = create_post(client, author, "liked")
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers).status_code == 200
    time.sleep(2.1)  # the like's tombstones end: the next read fills the viewer's state
    assert warm(client, reader)[post_id]["is_liked"] is True
    states = app_services(client).feed.viewer_states
    marker, liked = states.keys(int(reader.user_id))[:2]
    # Filled a TTL ago (the cutoff names the fill), and wrong since (as a lost invalidation leaves it).
    ttl_ms = states.ttl_seconds * 1000
    old_cutoff = min_id_for_ms(now_ms() - STATE_WINDOW_MS - ttl_ms)
    redis = app_services(client).cache_redis
    assert run(client, lambda: redis.set(marker, old_cutoff, keepttl=True))
    assert run(client, lambda: redis.srem(liked, int(post_id))) == 1
    asked = graph_reads(client, monkeypatch)
    assert feed_posts(client, reader)[post_id]["is_liked"] is False  # served from the cached state
    run(client, app_services(client).feed.state_refresh.idle)
    assert asked == ["feed/viewer_state"]  # in the background
    refilled = int(raw(client, marker) or 0)
    assert 0 <= now_ms() - (id_to_ms(refilled) + STATE_WINDOW_MS) < 60_000  # a fill of just now
    assert feed_posts(client, reader)[post_id]["is_liked"] is True


def test_a_viewer_state_refill_never_replaces_a_forget(client: TestClient, make_user: MakeUser) -> None:
    reader = make_user()
    viewer = int(reader.user_id)
    states = app_services(client).feed.viewer_states
    marker = states.keys(viewer)[0]
    redis = app_services(client).cache_redis
    assert run(client, lambda: states.fill(viewer, 100, [1], [], []))
    run(client, lambda: states.forget([viewer]))  # a like committed after the stale read
    assert not run(client, lambda: states.refill(viewer, 100, 200, [1, 2], [], []))
    assert run(client, lambda: redis.get(marker)) == b""
    run(client, lambda: redis.delete(marker))  # the hold-off ended; another reader filled it anew
    assert run(client, lambda: states.fill(viewer, 150, [1, 2], [], []))
    assert not run(client, lambda: states.refill(viewer, 100, 200, [1], [], []))
    assert run(client, lambda: redis.get(marker)) == b"150"
    assert run(client, lambda: states.refill(viewer, 150, 200, [3], [], []))  # still the one seen
    assert run(client, lambda: redis.get(marker)) == b"200"
    flags = run(client, lambda: states.flags(viewer, [1, 2, 3], []))
    assert flags is not None and flags.liked == {3}
