"""Follows, blocks and mutes, and the exact counters."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.conftest import Account, create_post

MakeUser = Callable[..., Account]


def _profile(client: TestClient, viewer: Account, user: Account) -> dict[str, object]:
    response = client.get(f"/api/v1/users/{user.user_id}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_follow_and_unfollow_are_idempotent_and_counts_exact(client: TestClient, make_user: MakeUser) -> None:
    alice, bob = make_user(), make_user()
    for _ in range(2):
        response = client.post(f"/api/v1/users/{bob.user_id}/follow", headers=alice.headers)
        assert response.status_code == 200
        assert response.json() == {
            "user_id": bob.user_id,
            "following": True,
            "follower_count": 1,
            "following_count": 1,
        }
    assert _profile(client, alice, bob)["is_following"] is True
    assert _profile(client, bob, alice)["follows_you"] is True
    for _ in range(2):
        response = client.delete(f"/api/v1/users/{bob.user_id}/follow", headers=alice.headers)
        assert response.status_code == 200
        assert response.json()["follower_count"] == 0 and response.json()["following_count"] == 0
    assert _profile(client, alice, bob)["follower_count"] == 0


def test_following_yourself_is_400_and_an_unknown_user_404(client: TestClient, make_user: MakeUser) -> None:
    alice = make_user()
    yourself = client.post(f"/api/v1/users/{alice.user_id}/follow", headers=alice.headers)
    assert yourself.status_code == 400 and yourself.json()["error"] == "cannot_follow_self"
    unknown = client.post("/api/v1/users/42/follow", headers=alice.headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "user_not_found"


def test_concurrent_follows_keep_counts_exact(client: TestClient, make_user: MakeUser) -> None:
    star = make_user()
    fans = [make_user() for _ in range(30)]

    def follow(fan: Account) -> int:
        return int(client.post(f"/api/v1/users/{star.user_id}/follow", headers=fan.headers).status_code)

    with ThreadPoolExecutor(max_workers=15) as pool:
        codes = list(pool.map(follow, fans + fans[:10]))  # a third of them twice, at the same time
    assert codes == [200] * 40
    assert _profile(client, star, star)["follower_count"] == 30


def test_followers_and_following_pages_have_no_gaps_or_duplicates(
    client: TestClient, make_user: MakeUser
) -> None:
    star = make_user()
    fans = [make_user() for _ in range(7)]
    for fan in fans:
        assert client.post(f"/api/v1/users/{star.user_id}/follow", headers=fan.headers).status_code == 200
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"before": cursor} if cursor else {})}
        response = client.get(f"/api/v1/users/{star.user_id}/followers", params=params, headers=star.headers)
        assert response.status_code == 200
        body = response.json()
        seen += [u["user_id"] for u in body["users"]]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
    assert pages == 3
    assert seen == [fan.user_id for fan in reversed(fans)]  # newest follow first
    following = client.get(f"/api/v1/users/{fans[0].user_id}/following", headers=star.headers).json()
    assert [u["user_id"] for u in following["users"]] == [star.user_id]


def test_block_removes_follows_both_ways_and_hides_each_from_the_other(
    client: TestClient, make_user: MakeUser
) -> None:
    alice, bob = make_user(), make_user()
    client.post(f"/api/v1/users/{bob.user_id}/follow", headers=alice.headers)
    client.post(f"/api/v1/users/{alice.user_id}/follow", headers=bob.headers)
    post_id = create_post(client, alice, "alice's public post")

    assert client.post(f"/api/v1/users/{bob.user_id}/block", headers=alice.headers).status_code == 200
    assert (
        client.post(f"/api/v1/users/{bob.user_id}/block", headers=alice.headers).status_code == 200
    )  # idempotent

    assert _profile(client, alice, alice)["follower_count"] == 0
    assert _profile(client, alice, alice)["following_count"] == 0
    # bob sees nothing of alice, and cannot follow, like, comment or share.
    assert client.get(f"/api/v1/users/{alice.user_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/posts/{post_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/users/{alice.user_id}/posts", headers=bob.headers).json()["posts"] == []
    follow = client.post(f"/api/v1/users/{alice.user_id}/follow", headers=bob.headers)
    assert follow.status_code == 403 and follow.json()["error"] == "blocked"
    assert client.post(f"/api/v1/posts/{post_id}/like", headers=bob.headers).status_code == 404
    comment = client.post(f"/api/v1/posts/{post_id}/comments", json={"content": "hi"}, headers=bob.headers)
    assert comment.status_code == 404
    assert client.post(f"/api/v1/posts/{post_id}/share", headers=bob.headers).status_code == 404
    # the blocker cannot follow the blocked either, until the block is lifted.
    assert client.post(f"/api/v1/users/{bob.user_id}/follow", headers=alice.headers).status_code == 403
    assert client.delete(f"/api/v1/users/{bob.user_id}/block", headers=alice.headers).status_code == 200
    assert client.post(f"/api/v1/users/{alice.user_id}/follow", headers=bob.headers).status_code == 200
    assert client.get(f"/api/v1/posts/{post_id}", headers=bob.headers).status_code == 200


def test_mute_is_idempotent_and_visible_to_the_muter_only(client: TestClient, make_user: MakeUser) -> None:
    alice, bob = make_user(), make_user()
    for _ in range(2):
        response = client.post(f"/api/v1/users/{bob.user_id}/mute", headers=alice.headers)
        assert response.status_code == 200 and response.json()["muted"] is True
    assert _profile(client, alice, bob)["is_muted"] is True
    assert _profile(client, bob, alice)["is_muted"] is False
    assert client.delete(f"/api/v1/users/{bob.user_id}/mute", headers=alice.headers).status_code == 200
    assert _profile(client, alice, bob)["is_muted"] is False
    assert client.post(f"/api/v1/users/{alice.user_id}/mute", headers=alice.headers).status_code == 400
