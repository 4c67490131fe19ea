"""Search and discovery against the real OpenSearch, Neo4j and Redis: every endpoint, visibility,
hashtag and mention parsing, counters, trending, explore, bad input."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cache.events import Event
from core.clock import now_ms
from core.ids import min_id_for_ms, new_id
from core.settings import Settings
from search.backfill import run_backfill
from search.indices import POSTS, USERS
from search.trending import HALF_LIFE_MS, POST_CREATED_WEIGHT, Contribution
from tests.conftest import Account, app_services, create_post, register, run
from tests.integration.test_search_support import drain_search, isolated_app

API = "/api/v1"


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[TestClient]:
    with isolated_app(settings) as client:
        yield client


def tag() -> str:
    return f"t{secrets.token_hex(5)}"


def search(client: TestClient, viewer: Account, q: str, **params: Any) -> list[str]:
    response = client.get(f"{API}/search/posts", params={"q": q, **params}, headers=viewer.headers)
    assert response.status_code == 200, response.text
    return [p["post_id"] for p in response.json()["posts"]]


def follow(client: TestClient, follower: Account, followee: Account) -> None:
    response = client.post(f"{API}/users/{followee.user_id}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


def indexed(client: TestClient, kind: str, doc_id: str) -> dict[str, Any] | None:
    """The document as stored in the index (through the read alias), or None."""
    services = app_services(client)
    spec = POSTS if kind == "posts" else USERS

    async def get() -> dict[str, Any] | None:
        found = await services.search.get(
            index=services.search_service.indices.read_alias(spec), id=doc_id, ignore=[404]
        )
        return found.get("_source") if found.get("found") else None

    return run(client, get)


def test_full_text_is_stemmed_and_hashtags_and_mentions_are_exact(app: TestClient) -> None:
    author, reader, named = register(app), register(app), register(app)
    topic = tag()
    running = create_post(app, author, f"Running with the dogs in the park #{topic}")
    mention = create_post(app, author, f"lunch with @{named.username.upper()} today")
    other_tag = create_post(app, author, f"dogs again #{topic}x")
    drain_search(app)

    assert running in search(app, reader, "run dog")  # stemming: running -> run, dogs -> dog
    assert search(app, reader, f"#{topic}") == [running]  # exact tag, not the longer one
    assert search(app, reader, f"#{topic.upper()} dogs") == [running]
    assert search(app, reader, f"@{named.username}") == [mention]  # case-insensitive mention
    assert search(app, reader, f'"with the dogs" #{topic}') == [running]  # phrase
    assert search(app, reader, f'"the dogs with" #{topic}') == []
    assert other_tag in search(app, reader, f"#{topic}x")


def test_a_viewer_sees_only_what_the_graph_lets_them_see(app: TestClient) -> None:
    author, follower, stranger, blocked, blocker = (register(app) for _ in range(5))
    follow(app, follower, author)
    topic = tag()
    public = create_post(app, author, f"public #{topic}")
    friends = create_post(app, author, f"followers only #{topic}", "followers")
    private = create_post(app, author, f"private #{topic}", "private")
    deleted = create_post(app, author, f"soon gone #{topic}")
    assert app.delete(f"{API}/posts/{deleted}", headers=author.headers).status_code == 204
    app.post(f"{API}/users/{blocked.user_id}/block", headers=author.headers)  # author blocks them
    app.post(f"{API}/users/{author.user_id}/block", headers=blocker.headers)  # they block the author
    drain_search(app)

    assert set(search(app, follower, f"#{topic}")) == {public, friends}
    assert search(app, stranger, f"#{topic}") == [public]
    assert set(search(app, author, f"#{topic}")) == {public, friends, private}  # one's own posts
    assert search(app, blocked, f"#{topic}") == []
    assert search(app, blocker, f"#{topic}") == []
    assert indexed(app, "posts", deleted) is None
    hashtag = app.get(f"{API}/hashtags/{topic}/posts", headers=stranger.headers).json()
    assert [p["post_id"] for p in hashtag["posts"]] == [public]


def test_author_time_window_recent_sort_and_cursor_pagination(app: TestClient) -> None:
    alice, bob, reader = register(app), register(app), register(app)
    topic = tag()
    made = [create_post(app, alice, f"note {i} #{topic}") for i in range(5)]
    by_bob = create_post(app, bob, f"note by bob #{topic}")
    drain_search(app)

    newest_first = list(reversed(made))
    assert search(app, reader, f"#{topic}", author=alice.username, sort="recent") == newest_first
    assert search(app, reader, f"#{topic}", author=f"@{bob.username.upper()}") == [by_bob]
    first = app.get(
        f"{API}/search/posts",
        params={"q": f"note #{topic}", "author": alice.username, "limit": 2},
        headers=reader.headers,
    ).json()
    assert first["has_more"] is True and len(first["posts"]) == 2
    seen = [p["post_id"] for p in first["posts"]]
    cursor = first["next_cursor"]
    while cursor:
        page = app.get(
            f"{API}/search/posts",
            params={"q": f"note #{topic}", "author": alice.username, "limit": 2, "before": cursor},
            headers=reader.headers,
        ).json()
        seen += [p["post_id"] for p in page["posts"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(made)  # every post once, across pages
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert search(app, reader, f"#{topic}", since=future) == []
    assert len(search(app, reader, f"#{topic}", since=past, until=future)) == 6


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 422),
        ({"q": ""}, 422),
        ({"q": "x" * 201}, 422),
        ({"q": "   "}, 400),
        ({"q": "dogs", "sort": "popularity"}, 422),
        ({"q": "dogs", "before": "not-a-cursor"}, 400),
        ({"q": "dogs", "before": "MTo5OTk5"}, 400),  # a cursor of another shape
        ({"q": "dogs", "since": "yesterday"}, 422),
        ({"q": "dogs", "since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, 400),
        ({"q": "dogs", "author": "no spaces allowed"}, 400),
        ({"q": "dogs", "limit": 0}, 422),
        ({"q": "dogs", "limit": 101}, 422),
    ],
)
def test_bad_post_queries_get_a_4xx_json_error(app: TestClient, params: dict[str, Any], status: int) -> None:
    viewer = register(app)
    response = app.get(f"{API}/search/posts", params=params, headers=viewer.headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert "opensearch" not in body["detail"].lower() and "exception" not in body["detail"].lower()


@pytest.mark.parametrize(
    "q",
    [
        'title:(+foo -bar) AND "unclosed',
        "a AND OR NOT (((",
        "\\/*?~^!{}[]<>=&&||",
        "#",
        "@",
        "##double @@ #123 @ab",
        "🙂 ünïcödé ☃",
        "%00 %ff \x00",
        "x" * 200,
        " ".join(["#t" + str(i) for i in range(40)]),
    ],
)
def test_reserved_characters_give_a_sensible_result(app: TestClient, q: str) -> None:
    viewer = register(app)
    response = app.get(f"{API}/search/posts", params={"q": q}, headers=viewer.headers)
    assert response.status_code in {200, 400}, response.text
    if response.status_code == 200:
        assert isinstance(response.json()["posts"], list)
    users = app.get(f"{API}/search/users", params={"q": q[:100]}, headers=viewer.headers)
    assert users.status_code in {200, 400}, users.text


def test_other_bad_inputs_get_4xx_json(app: TestClient) -> None:
    viewer = register(app)
    for path, params in [
        ("/hashtags/%20/posts", {}),
        ("/hashtags/12345/posts", {}),
        ("/hashtags/" + "a" * 120 + "/posts", {}),
        ("/search/users", {}),
        ("/search/users", {"q": "@"}),
        ("/search/users", {"q": "ab", "before": "garbage"}),
        ("/trending/posts", {"before": "garbage"}),
        ("/trending/hashtags", {"limit": 1000}),
        ("/explore", {"before": "MTo5OTk5"}),
    ]:
        response = app.get(f"{API}{path}", params=params, headers=viewer.headers)
        assert 400 <= response.status_code < 500, (path, params, response.text)
        assert set(response.json()) == {"error", "detail"}
    assert app.get(f"{API}/search/posts", params={"q": "x"}).status_code == 401


def test_user_typeahead_prefix_typos_and_popular_first(app: TestClient) -> None:
    stem = f"zq{secrets.token_hex(3)}"
    quiet = register(app, f"{stem}_quiet")
    popular = register(app, f"{stem}_popular")
    fans = [register(app) for _ in range(3)]
    for fan in fans:
        follow(app, fan, popular)
    response = app.patch(
        f"{API}/users/me", json={"display_name": "Marguerite Yourcenar"}, headers=quiet.headers
    )
    assert response.status_code == 200
    viewer = register(app)
    drain_search(app)

    def users(q: str) -> list[str]:
        found = app.get(f"{API}/search/users", params={"q": q}, headers=viewer.headers)
        assert found.status_code == 200, found.text
        return [u["username"] for u in found.json()["users"]]

    assert users(stem) == [popular.username, quiet.username]  # equal prefix matches: followers decide
    assert users(f"{stem}_quiet")[0] == quiet.username  # an exact username beats popularity
    assert users(f"@{stem}_qu") == [quiet.username]
    assert quiet.username in users("Marguerite Yourc")  # display name typeahead
    assert quiet.username in users("Margeurite Yourcenar")  # a typo
    doc = indexed(app, "users", popular.user_id)
    assert doc is not None and doc["follower_count"] == 3  # follower counts reach the index
    app.post(f"{API}/users/{popular.user_id}/block", headers=viewer.headers)
    assert users(stem) == [quiet.username]  # blocked accounts are not suggested


def test_counters_in_the_index_converge(app: TestClient) -> None:
    author, fans = register(app), [register(app) for _ in range(3)]
    post = create_post(app, author, f"count me #{tag()}")
    for fan in fans:
        assert app.post(f"{API}/posts/{post}/like", headers=fan.headers).status_code == 200
    assert app.post(f"{API}/posts/{post}/share", headers=fans[0].headers).status_code == 200
    comment = app.post(f"{API}/posts/{post}/comments", json={"content": "yes"}, headers=fans[1].headers)
    assert comment.status_code == 201
    drain_search(app)
    doc = indexed(app, "posts", post)
    assert doc is not None
    assert (doc["like_count"], doc["comment_count"], doc["share_count"]) == (3, 1, 1)
    assert doc["engagement"] == 3 + 2 + 3

    app.delete(f"{API}/posts/{post}/like", headers=fans[0].headers)
    app.delete(f"{API}/comments/{comment.json()['comment_id']}", headers=author.headers)
    drain_search(app)
    doc = indexed(app, "posts", post)
    assert doc is not None and (doc["like_count"], doc["comment_count"]) == (2, 0)


def test_redelivered_events_change_nothing(app: TestClient) -> None:
    author = register(app)
    topic = tag()
    post = create_post(app, author, f"once #{topic}")
    drain_search(app)
    indexer = app_services(app).search_service.indexer
    event = Event(id=new_id(), type="post_liked", post_id=int(post), actor_id=int(author.user_id))
    run(app, lambda: indexer.handle([event, event]))
    run(app, lambda: indexer.handle([event]))
    tags = app.get(f"{API}/trending/hashtags", params={"limit": 100}, headers=author.headers).json()
    score = {t["tag"]: t["score"] for t in tags["hashtags"]}[topic]
    assert 1.9 < score <= 2.0  # the post (1) and one like (1), however often the like came


def _old_activity(app: TestClient, hashtag: str, count: int, hours_ago: float) -> None:
    """``count`` public posts with the tag, ``hours_ago``: events as the consumer would apply them."""
    at = now_ms() - int(hours_ago * 3_600_000)
    activity = [
        Contribution(min_id_for_ms(at) + i, at, "t", hashtag, POST_CREATED_WEIGHT) for i in range(count)
    ]
    trending = app_services(app).search_service.trending
    assert run(app, lambda: trending.record(activity)) == count


def test_a_hashtag_burst_trends_at_once_and_fades_within_hours(app: TestClient) -> None:
    author, viewer = register(app), register(app)
    steady, burst = tag(), tag()
    _old_activity(app, steady, 20, hours_ago=4)  # 20 posts four hours ago: 20 / 2^4 = 1.25 now

    def ranking() -> list[str]:
        page = app.get(f"{API}/trending/hashtags", params={"limit": 100}, headers=viewer.headers).json()
        return [t["tag"] for t in page["hashtags"]]

    assert ranking().index(steady) >= 0 and burst not in ranking()
    for i in range(5):
        create_post(app, author, f"breaking {i} #{burst}")
    drain_search(app)
    assert ranking().index(burst) < ranking().index(steady)  # the burst is on top as soon as handled

    trending = app_services(app).search_service.trending
    later = run(app, lambda: trending.top_tags(0, 100, now=now_ms() + 6 * HALF_LIFE_MS))
    faded = {r.member: r.score for r in later}
    assert faded.get(burst, 0) <= 5 / 2**6  # six hours on: 1/64 of its score
    assert faded.get(steady, 0) <= 20 / 2**10  # ten hours after its activity: about 1/1000
    much_later = run(app, lambda: trending.top_tags(0, 100, now=now_ms() + 12 * HALF_LIFE_MS))
    assert burst not in {r.member for r in much_later}  # below the floor: out of the ranking


def test_trending_posts_rank_likes_comments_and_shares(app: TestClient) -> None:
    author, viewer = register(app), register(app)
    fans = [register(app) for _ in range(3)]
    shared = create_post(app, author, "shared a lot")
    liked = create_post(app, author, "liked a bit")
    quiet = create_post(app, author, "nobody cares")
    hidden = create_post(app, author, "only for followers", "followers")
    for fan in fans:
        app.post(f"{API}/posts/{shared}/share", headers=fan.headers)  # 3 x 3
        app.post(f"{API}/posts/{liked}/like", headers=fan.headers)  # 3 x 1
        app.post(f"{API}/posts/{hidden}/like", headers=fan.headers)  # not public: never trends
    app.post(f"{API}/posts/{liked}/comments", json={"content": "nice"}, headers=fans[0].headers)  # 2
    drain_search(app)

    page = app.get(f"{API}/trending/posts", params={"limit": 100}, headers=viewer.headers).json()
    ranked = [p["post_id"] for p in page["posts"]]
    assert [p for p in ranked if p in {shared, liked, quiet}] == [shared, liked, quiet]
    assert hidden not in ranked
    assert app.delete(f"{API}/posts/{shared}", headers=author.headers).status_code == 204
    drain_search(app)
    page = app.get(f"{API}/trending/posts", params={"limit": 100}, headers=viewer.headers).json()
    assert shared not in [p["post_id"] for p in page["posts"]]


def test_explore_shows_popular_recent_posts_of_accounts_not_followed(app: TestClient) -> None:
    viewer, followed, popular, plain, blocker = (register(app) for _ in range(5))
    fans = [register(app) for _ in range(3)]
    follow(app, viewer, followed)
    from_followed = create_post(app, followed, "you already see this in your feed")
    hit = create_post(app, popular, "everybody loves this")
    calm = create_post(app, plain, "a quiet post")
    restricted = create_post(app, plain, "followers only", "followers")
    blocked_post = create_post(app, blocker, "you will not see me")
    own = create_post(app, viewer, "my own post")
    app.post(f"{API}/users/{viewer.user_id}/block", headers=blocker.headers)
    for fan in fans:
        app.post(f"{API}/posts/{hit}/like", headers=fan.headers)
        app.post(f"{API}/posts/{from_followed}/like", headers=fan.headers)
    drain_search(app)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"before": cursor} if cursor else {})}
        page = app.get(f"{API}/explore", params=params, headers=viewer.headers).json()
        seen += [p["post_id"] for p in page["posts"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen.index(hit) < seen.index(calm)  # popularity first among recent posts
    assert len(seen) == len(set(seen))  # pages neither repeat nor skip
    for excluded in (from_followed, restricted, blocked_post, own):
        assert excluded not in seen


def test_backfill_indexes_what_the_graph_holds(app: TestClient) -> None:
    services = app_services(app)
    start = new_id()
    author = register(app)
    topic = tag()
    post = create_post(app, author, f"written before search knew #{topic}")
    # Nothing drained: as if the post predated search. The backfill alone must index it.
    assert run(app, lambda: run_backfill(services, after_id=start)) >= 2  # the post and its author
    run(app, services.search_service.refresh)
    assert search(app, author, f"#{topic}") == [post]
    assert indexed(app, "users", author.user_id) is not None
