"""The feed page memo (feed/page_memo.py) against real Neo4j and Redis: a page read again with nothing
changed is served from the memo, byte for byte the page made afresh; after any change to what the page
shows (a count, the viewer's flags, a profile, a new or deleted post, a mute, a card gone from the
cache) the next read makes the page afresh and shows the change. A remembered page is checked in the
timeline read's own round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

import cache.page_state
import cache.post_cards
import cache.timeline
import feed.hydration
from api.routes.feed import feed_page_body
from cache.exchange import exchange
from core.clock import now_ms
from feed.page_memo import PageMemo
from feed.reader import RenderedPage
from tests.conftest import Account, app_services, create_post, run
from tests.integration.test_feed import drain, follow

MakeUser = Callable[..., Account]
LIMIT = 20


def served(client: TestClient, reader: Account) -> bytes:
    response = client.get("/api/v1/feed", params={"limit": LIMIT}, headers=reader.headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Feed-Source"] == "hybrid"
    body: bytes = response.content
    return body


def made_afresh(client: TestClient, reader: Account) -> bytes:
    """The page as the reader makes it without the memo."""
    services = app_services(client)
    page = run(client, lambda: services.feed.reader.read(int(reader.user_id), None, LIMIT))
    return feed_page_body(services, page)


def memo(client: TestClient) -> PageMemo[RenderedPage]:
    return app_services(client).feed.reader.memo


def served_from_memo(client: TestClient, reader: Account) -> bytes:
    hits, made = memo(client).hits, memo(client).made
    body = served(client, reader)
    assert memo(client).hits == hits + 1, "the page was made afresh, not served from the memo"
    assert memo(client).made == made
    return body


def served_afresh(client: TestClient, reader: Account) -> bytes:
    hits, made = memo(client).hits, memo(client).made
    body = served(client, reader)
    assert memo(client).hits == hits, "a remembered page was served after a change"
    assert memo(client).made == made + 1
    assert body == made_afresh(client, reader)
    return body


@pytest.fixture
def scene(client: TestClient, make_user: MakeUser) -> tuple[Account, Account, list[str]]:
    """A reader following an author with three posts, whose page is remembered."""
    author, reader = make_user(), make_user()
    follow(client, reader, author)
    served(client, reader)  # makes the reader active: posts are pushed to their timeline
    drain(client)
    posts = [create_post(client, author, f"post {n}") for n in range(3)]
    drain(client)
    served(client, reader)  # the first read learns the entries' shapes
    served(client, reader)  # the second is made from one cards-and-flags read: remembered
    return author, reader, posts


def test_a_page_read_again_unchanged_is_the_page_made_afresh(
    client: TestClient, scene: tuple[Account, Account, list[str]]
) -> None:
    _, reader, posts = scene
    body = served_from_memo(client, reader)
    assert body == made_afresh(client, reader)
    assert served_from_memo(client, reader) == body
    assert b'"post 0"' in body and all(p.encode() in body for p in posts)


def post_of(client: TestClient, reader: Account, post_id: str) -> dict[str, object] | None:
    response = client.get("/api/v1/feed", params={"limit": LIMIT}, headers=reader.headers)
    return next((p for p in response.json()["posts"] if p["post_id"] == post_id), None)


def test_each_change_to_what_a_page_shows_is_on_it(
    client: TestClient, make_user: MakeUser, scene: tuple[Account, Account, list[str]]
) -> None:
    author, reader, posts = scene
    fan = make_user()
    served_from_memo(client, reader)

    # Someone else likes a post on the page: its count changes, and only its count, which the
    # remembered page is given (byte for byte the page made afresh).
    assert client.post(f"/api/v1/posts/{posts[0]}/like", headers=fan.headers).status_code == 200
    recounted = memo(client).recounted
    body = served_from_memo(client, reader)
    assert memo(client).recounted == recounted + 1
    assert body == made_afresh(client, reader)
    assert served_from_memo(client, reader) == body and memo(client).recounted == recounted + 1
    counted = post_of(client, reader, posts[0])
    assert counted is not None and counted["like_count"] == 1
    comment = client.post(f"/api/v1/posts/{posts[0]}/comments", json={"content": "hi"}, headers=fan.headers)
    assert comment.status_code == 201, comment.text
    assert served_from_memo(client, reader) == made_afresh(client, reader)
    commented = post_of(client, reader, posts[0])
    assert commented is not None and commented["comment_count"] == 1 and commented["like_count"] == 1

    # The reader likes a post: their own flag.
    assert client.post(f"/api/v1/posts/{posts[1]}/like", headers=reader.headers).status_code == 200
    served_afresh(client, reader)
    liked = post_of(client, reader, posts[1])
    assert liked is not None and liked["is_liked"] is True
    # That page was made from its memo's question asked again, and kept again: a count changed since
    # is written into it as before (a question kept twice once named no cards, and the page kept its
    # old counts).
    assert client.post(f"/api/v1/posts/{posts[2]}/like", headers=fan.headers).status_code == 200
    recounted = memo(client).recounted
    assert served_from_memo(client, reader) == made_afresh(client, reader)
    assert memo(client).recounted == recounted + 1
    counted = post_of(client, reader, posts[2])
    assert counted is not None and counted["like_count"] == 1

    # The author renames themselves: their profile card.
    renamed = client.patch("/api/v1/users/me", json={"display_name": "New Name"}, headers=author.headers)
    assert renamed.status_code == 200, renamed.text
    body = served_afresh(client, reader)
    assert b'"New Name"' in body

    # A new post reaches the reader's timeline: other entries.
    fresh = create_post(client, author, "post 3")
    drain(client)
    body = served_afresh(client, reader)
    assert fresh.encode() in body

    # A post is deleted.
    assert client.delete(f"/api/v1/posts/{posts[2]}", headers=author.headers).status_code == 204
    body = served_afresh(client, reader)
    assert posts[2].encode() not in body


def test_a_card_gone_from_the_cache_makes_the_page_afresh(
    client: TestClient, scene: tuple[Account, Account, list[str]]
) -> None:
    _, reader, posts = scene
    remembered = served_from_memo(client, reader)
    cards = app_services(client).feed.cards
    redis = app_services(client).cache_redis
    run(client, lambda: redis.delete(cards.post_key(int(posts[0]))))  # as if it expired
    assert served_afresh(client, reader) == remembered  # the same page, read again through the graph


def test_a_card_refreshed_unchanged_leaves_a_remembered_page(
    client: TestClient, scene: tuple[Account, Account, list[str]]
) -> None:
    """A refresh ahead of expiry (feed/cache_refresh.py) puts the card read afresh from the graph back
    with a new stamp: the page is the same, and still served from the memo. A card put back with other
    content is a change."""
    _, reader, posts = scene
    remembered = served_from_memo(client, reader)
    cards, redis = app_services(client).feed.cards, app_services(client).cache_redis
    key = cards.post_key(int(posts[0]))

    def put_back(change: dict[str, Any]) -> None:
        """As the refresher does: the card, changed by ``change``, over the value with the stamp seen."""
        value = run(client, lambda: redis.get(key))
        assert isinstance(value, bytes)
        card = {k: v for k, v in orjson.loads(value).items() if k != "_fresh_until"}
        stamp_seen = value[: value.index(b",") + 1]
        assert run(client, lambda: cards.refresh([(key, stamp_seen, {**card, **change})])) == 1
        assert run(client, lambda: redis.get(key)) != value

    put_back({})
    restamped = memo(client).restamped
    assert served_from_memo(client, reader) == remembered == made_afresh(client, reader)
    assert memo(client).restamped == restamped + 1
    served_from_memo(client, reader)  # the new stamps are the memo's now: the quick check serves
    assert memo(client).restamped == restamped + 1

    # A stamp put back already past (as a process of the previous release fills without one): the page
    # is still served from the memo, and the card is refreshed in the background as a made page would.
    value = run(client, lambda: redis.get(key))
    assert isinstance(value, bytes)
    past = orjson.dumps({**orjson.loads(value), "_fresh_until": 1})
    assert run(client, lambda: redis.set(key, past, keepttl=True))
    assert served_from_memo(client, reader) == remembered
    run(client, app_services(client).feed.card_refresh.idle)
    refreshed = run(client, lambda: redis.get(key))
    assert isinstance(refreshed, bytes) and refreshed != past
    assert orjson.loads(refreshed)["_fresh_until"] > 1

    put_back({"content": "edited where the page cannot see it"})
    assert b"edited where the page cannot see it" in served_afresh(client, reader)


def test_a_remembered_page_when_due_gives_the_refresh_ahead_notices_of_a_page_made(
    client: TestClient, scene: tuple[Account, Account, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day on, every card and the viewer's state are past their stamps, their bytes unchanged: a
    remembered page is still served, and when due (every FEEDGRAPH_FEED_PAGE_MEMO_CHECK_SECONDS) its
    reader hands them to the refresh in the background, as making the page would."""
    _, reader, posts = scene
    services = app_services(client)
    redis, viewer = services.cache_redis, int(reader.user_id)
    card_key, marker = (
        services.feed.cards.post_key(int(posts[0])),
        services.feed.viewer_states.keys(viewer)[0],
    )

    def cached() -> tuple[Any, Any]:
        return run(client, lambda: redis.get(card_key)), run(client, lambda: redis.get(marker))

    def refreshes_done() -> None:
        run(client, services.feed.card_refresh.idle)
        run(client, services.feed.state_refresh.idle)

    a_day_on = now_ms() + 86_400_000
    for module in (cache.post_cards, feed.hydration):
        monkeypatch.setattr(module, "now_ms", lambda: a_day_on)
    remembered = memo(client).remembered((viewer, None, LIMIT))
    assert remembered is not None
    before = cached()
    served_from_memo(client, reader)  # not due: made moments ago
    refreshes_done()
    assert cached() == before

    remembered.due_at = 0.0  # FEEDGRAPH_FEED_PAGE_MEMO_CHECK_SECONDS on
    served_from_memo(client, reader)
    refreshes_done()
    card, state = cached()
    assert card != before[0] and orjson.loads(card)["_fresh_until"] > a_day_on  # refreshed
    assert state != before[1]  # refilled from the graph


def test_a_muted_author_leaves_a_remembered_page(
    client: TestClient, scene: tuple[Account, Account, list[str]]
) -> None:
    author, reader, _ = scene
    served_from_memo(client, reader)
    assert client.post(f"/api/v1/users/{author.user_id}/mute", headers=reader.headers).status_code == 200
    body = served_afresh(client, reader)
    assert b'"posts":[]' in body


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many exchanges with Redis (cache/exchange.py) the feed read makes: a counter around the
    real function, which still talks to the real server."""
    count = [0]

    async def counted(*args: Any, **kwargs: Any) -> list[Any]:
        count[0] += 1
        return await exchange(*args, **kwargs)

    for module in (cache.timeline, cache.page_state):
        monkeypatch.setattr(module, "exchange", counted)
    return count


def test_a_remembered_page_is_checked_in_the_timeline_reads_round_trip(
    client: TestClient,
    make_user: MakeUser,
    scene: tuple[Account, Account, list[str]],
    exchanges: list[int],
) -> None:
    _, reader, posts = scene
    before = exchanges[0]
    body = served_from_memo(client, reader)
    assert exchanges[0] == before + 1  # the home page and the remembered page's check: one exchange

    # Another reader's like changes a count: written into the page from that same exchange's replies.
    fan = make_user()
    assert client.post(f"/api/v1/posts/{posts[0]}/like", headers=fan.headers).status_code == 200
    before, recounted = exchanges[0], memo(client).recounted
    counted = served_from_memo(client, reader)
    assert exchanges[0] == before + 1 and memo(client).recounted == recounted + 1
    assert counted != body and counted == made_afresh(client, reader)

    # The reader likes a post: their flag changes, and the page is made afresh from the replies of
    # that same exchange.
    assert client.post(f"/api/v1/posts/{posts[1]}/like", headers=reader.headers).status_code == 200
    before, hits = exchanges[0], memo(client).hits
    changed = served(client, reader)
    assert exchanges[0] == before + 1 and memo(client).hits == hits
    assert changed != counted and changed == made_afresh(client, reader)

    # Redis forgot its scripts (a restart, SCRIPT FLUSH): loaded again, and the check still answers.
    redis = app_services(client).cache_redis
    run(client, lambda: redis.script_flush())
    assert served_from_memo(client, reader) == made_afresh(client, reader)
