"""Posts, visibility, likes (also concurrent), comments, shares, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from tests.conftest import Account, create_post, register, wait_until_prepared

MakeUser = Callable[..., Account]


def test_create_post_answers_the_seed_contract(client: TestClient, make_user: MakeUser) -> None:
    alice = make_user()
    response = client.post(
        "/api/v1/posts",
        json={"content": "  Hello world! #FeedGraph  ", "visibility": "public"},
        headers=alice.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {
        "post_id",
        "user_id",
        "content",
        "media_urls",
        "created_at",
        "like_count",
        "comment_count",
        "share_count",
        "visibility",
        "is_liked",
        "is_shared",
    }
    assert isinstance(body["post_id"], str) and body["post_id"].isdigit()
    assert body["user_id"] == alice.user_id
    assert body["content"] == "Hello world! #FeedGraph"
    assert body["media_urls"] == []
    assert body["like_count"] == body["comment_count"] == body["share_count"] == 0
    assert body["created_at"].endswith("Z") and datetime.fromisoformat(body["created_at"])
    fetched = client.get(f"/api/v1/posts/{body['post_id']}", headers=alice.headers).json()
    assert fetched["post_id"] == body["post_id"] and fetched["user"]["username"] == alice.username


def test_post_validation(client: TestClient, make_user: MakeUser) -> None:
    alice = make_user()
    for body in (
        {"content": "   "},
        {"content": "x" * 5001},
        {"content": "ok", "visibility": "friends"},
        {"content": "ok", "colour": "red"},
        {},
    ):
        response = client.post("/api/v1/posts", json=body, headers=alice.headers)
        assert response.status_code == 422, body
        assert set(response.json()) == {"error", "detail"}
    assert (
        client.post("/api/v1/posts", json={"content": "x" * 5000}, headers=alice.headers).status_code == 201
    )
    unknown_media = client.post(
        "/api/v1/posts", json={"content": "pic", "media_ids": ["123"]}, headers=alice.headers
    )
    assert unknown_media.status_code == 400 and unknown_media.json()["error"] == "unknown_media"


def test_visibility_rules(client: TestClient, make_user: MakeUser) -> None:
    author, follower, stranger = make_user(), make_user(), make_user()
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=follower.headers)
    public = create_post(client, author, "for everyone", "public")
    followers_only = create_post(client, author, "for followers", "followers")
    private = create_post(client, author, "for me", "private")

    def visible(viewer: Account, post_id: str) -> bool:
        code = int(client.get(f"/api/v1/posts/{post_id}", headers=viewer.headers).status_code)
        assert code in (200, 404)
        return code == 200

    assert [visible(author, p) for p in (public, followers_only, private)] == [True, True, True]
    assert [visible(follower, p) for p in (public, followers_only, private)] == [True, True, False]
    assert [visible(stranger, p) for p in (public, followers_only, private)] == [True, False, False]

    def timeline(viewer: Account) -> list[str]:
        body = client.get(f"/api/v1/users/{author.user_id}/posts", headers=viewer.headers).json()
        return [p["post_id"] for p in body["posts"]]

    assert timeline(author) == [private, followers_only, public]
    assert timeline(follower) == [followers_only, public]
    assert timeline(stranger) == [public]
    # A stranger cannot like or comment on what they cannot see.
    assert client.post(f"/api/v1/posts/{followers_only}/like", headers=stranger.headers).status_code == 404


def test_delete_post_is_for_the_author_only_and_gone_from_every_read(
    client: TestClient, make_user: MakeUser
) -> None:
    author, other = make_user(), make_user()
    post_id = create_post(client, author, "short-lived")
    client.post(f"/api/v1/posts/{post_id}/comments", json={"content": "first"}, headers=other.headers)
    forbidden = client.delete(f"/api/v1/posts/{post_id}", headers=other.headers)
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "not_author"
    assert client.delete(f"/api/v1/posts/{post_id}", headers=author.headers).status_code == 204
    assert client.get(f"/api/v1/posts/{post_id}", headers=author.headers).status_code == 404
    assert client.get(f"/api/v1/users/{author.user_id}/posts", headers=author.headers).json()["posts"] == []
    assert client.get(f"/api/v1/posts/{post_id}/comments", headers=author.headers).status_code == 404
    assert client.delete(f"/api/v1/posts/{post_id}", headers=author.headers).status_code == 404
    assert client.get("/api/v1/users/me", headers=author.headers).json()["post_count"] == 0


def test_author_timeline_pages_without_gaps_or_duplicates(client: TestClient, make_user: MakeUser) -> None:
    author = make_user()
    posted = [create_post(client, author, f"post {i}") for i in range(11)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"before": cursor} if cursor else {})}
        body = client.get(
            f"/api/v1/users/{author.user_id}/posts", params=params, headers=author.headers
        ).json()
        seen += [p["post_id"] for p in body["posts"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert seen == list(reversed(posted))
    bad = client.get(
        f"/api/v1/users/{author.user_id}/posts", params={"before": "garbage"}, headers=author.headers
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"
    for limit in (0, 101, "x"):
        response = client.get(
            f"/api/v1/users/{author.user_id}/posts", params={"limit": limit}, headers=author.headers
        )
        assert response.status_code == 422


def test_likes_are_idempotent_and_listed(client: TestClient, make_user: MakeUser) -> None:
    author, fan = make_user(), make_user()
    post_id = create_post(client, author)
    for _ in range(2):
        response = client.post(f"/api/v1/posts/{post_id}/like", headers=fan.headers)
        assert response.json() == {"post_id": post_id, "liked": True, "like_count": 1}
    post = client.get(f"/api/v1/posts/{post_id}", headers=fan.headers).json()
    assert post["is_liked"] is True and post["like_count"] == 1
    assert client.get(f"/api/v1/posts/{post_id}", headers=author.headers).json()["is_liked"] is False
    likers = client.get(f"/api/v1/posts/{post_id}/likes", headers=author.headers).json()
    assert [u["user_id"] for u in likers["users"]] == [fan.user_id]
    for _ in range(2):
        assert client.delete(f"/api/v1/posts/{post_id}/like", headers=fan.headers).json()["like_count"] == 0
    assert client.post("/api/v1/posts/77/like", headers=fan.headers).status_code == 404


def test_two_hundred_concurrent_likes_end_exact_while_the_post_keeps_answering(
    client: TestClient, make_user: MakeUser
) -> None:
    author = make_user()
    post_id = create_post(client, author, "going viral")
    fans = [make_user() for _ in range(200)]

    def like(fan: Account) -> int:
        return int(client.post(f"/api/v1/posts/{post_id}/like", headers=fan.headers).status_code)

    def read(_: int) -> int:
        return int(client.get(f"/api/v1/posts/{post_id}", headers=author.headers).status_code)

    with ThreadPoolExecutor(max_workers=32) as pool:
        likes = pool.map(like, fans)
        reads = pool.map(read, range(50))
        assert list(likes) == [200] * 200
        assert list(reads) == [200] * 50
    assert client.get(f"/api/v1/posts/{post_id}", headers=author.headers).json()["like_count"] == 200
    seen, cursor = set(), None
    while True:
        params = {"limit": 100, **({"before": cursor} if cursor else {})}
        body = client.get(f"/api/v1/posts/{post_id}/likes", params=params, headers=author.headers).json()
        seen |= {u["user_id"] for u in body["users"]}
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert seen == {fan.user_id for fan in fans}


def test_comments_oldest_first_paginated_and_deletable(client: TestClient, make_user: MakeUser) -> None:
    author, alice, bob = make_user(), make_user(), make_user()
    post_id = create_post(client, author)
    made = []
    for i, who in enumerate([alice, bob, alice, bob, alice]):
        response = client.post(
            f"/api/v1/posts/{post_id}/comments", json={"content": f"c{i}"}, headers=who.headers
        )
        assert response.status_code == 201
        made.append(response.json()["comment_id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"before": cursor} if cursor else {})}
        body = client.get(f"/api/v1/posts/{post_id}/comments", params=params, headers=bob.headers).json()
        seen += [c["comment_id"] for c in body["comments"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert seen == made
    assert client.get(f"/api/v1/posts/{post_id}", headers=bob.headers).json()["comment_count"] == 5
    # bob may not delete alice's comment; alice and the post's author may.
    assert client.delete(f"/api/v1/comments/{made[0]}", headers=bob.headers).status_code == 403
    assert client.delete(f"/api/v1/comments/{made[0]}", headers=alice.headers).status_code == 204
    assert client.delete(f"/api/v1/comments/{made[1]}", headers=author.headers).status_code == 204
    assert client.delete(f"/api/v1/comments/{made[1]}", headers=author.headers).status_code == 404
    assert client.get(f"/api/v1/posts/{post_id}", headers=bob.headers).json()["comment_count"] == 3
    empty = client.post(f"/api/v1/posts/{post_id}/comments", json={"content": " "}, headers=bob.headers)
    assert empty.status_code == 422


def test_shares_with_quote_idempotent_and_public_only(client: TestClient, make_user: MakeUser) -> None:
    author, fan = make_user(), make_user()
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=fan.headers)
    public = create_post(client, author, "share me")
    followers_only = create_post(client, author, "not for sharing", "followers")
    for _ in range(2):
        response = client.post(f"/api/v1/posts/{public}/share", json={"quote": "look"}, headers=fan.headers)
        assert response.json() == {"post_id": public, "shared": True, "share_count": 1}
    assert client.get(f"/api/v1/posts/{public}", headers=fan.headers).json()["is_shared"] is True
    no_body = client.post(f"/api/v1/posts/{public}/share", headers=author.headers)
    assert no_body.status_code == 200 and no_body.json()["share_count"] == 2
    refused = client.post(f"/api/v1/posts/{followers_only}/share", headers=fan.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "not_shareable"
    assert client.delete(f"/api/v1/posts/{public}/share", headers=fan.headers).json()["share_count"] == 1
    assert client.delete(f"/api/v1/posts/{public}/share", headers=fan.headers).json()["share_count"] == 1


def test_writes_are_rate_limited_with_retry_after(settings: Settings) -> None:
    limited = settings.model_copy(update={"write_rate_limit_per_minute": 3})
    with TestClient(create_app(limited)) as other:
        wait_until_prepared(other)
        alice, bob = register(other), register(other)
        liked = create_post(other, bob)
        codes = [
            other.post("/api/v1/posts", json={"content": f"n{i}"}, headers=alice.headers).status_code
            for i in range(5)
        ]
        assert codes[:3] == [201, 201, 201]
        assert codes[3:] == [429, 429]
        response = other.post("/api/v1/posts", json={"content": "again"}, headers=alice.headers)
        assert response.json()["error"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 61
        # a like is a write too (answered by api/hot_paths.py, with the same answer)
        like = other.post(f"/api/v1/posts/{liked}/like", headers=alice.headers)
        assert like.status_code == 429 and like.json()["error"] == "rate_limited"
        assert 1 <= int(like.headers["Retry-After"]) <= 61
        # reads are not limited
        assert other.get("/api/v1/users/me", headers=alice.headers).status_code == 200
