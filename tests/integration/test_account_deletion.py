"""Deleting an account: everything it made goes, others' counters stay exact, media objects go too."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from feed.worker import Worker
from tests.conftest import Account, app_services, create_post, run

MakeUser = Callable[..., Account]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_deleting_an_account_removes_what_it_made_and_keeps_counters_exact(
    client: TestClient, make_user: MakeUser
) -> None:
    alice, bob, carol = make_user(), make_user(), make_user()
    word = f"farewell{secrets.token_hex(4)}"
    client.post(f"/api/v1/users/{bob.user_id}/follow", headers=alice.headers)
    client.post(f"/api/v1/users/{alice.user_id}/follow", headers=carol.headers)
    bobs = create_post(client, bob, "bob's post")
    client.post(f"/api/v1/posts/{bobs}/like", headers=alice.headers)
    client.post(f"/api/v1/posts/{bobs}/comments", json={"content": "from alice"}, headers=alice.headers)
    client.post(f"/api/v1/posts/{bobs}/share", headers=alice.headers)
    upload = client.post(
        "/api/v1/media", files={"file": ("a.png", _png(), "image/png")}, headers=alice.headers
    )
    assert upload.status_code == 201, upload.text
    media = upload.json()
    with_picture = client.post(
        "/api/v1/posts",
        json={"content": f"{word} with a picture", "media_ids": [media["media_id"]]},
        headers=alice.headers,
    ).json()["post_id"]
    client.post(f"/api/v1/posts/{with_picture}/comments", json={"content": "from bob"}, headers=bob.headers)
    services = app_services(client)
    worker = Worker.for_services(services, consumer="deletion-test")

    async def settle() -> None:
        await worker.drain(sweep_age_ms=0)
        await services.search_service.refresh()  # make what was indexed searchable now

    run(client, settle)
    assert httpx.get(media["url"]).status_code == 200
    assert client.get("/api/v1/search/posts", params={"q": word}, headers=bob.headers).json()["posts"]

    wrong = client.request("DELETE", "/api/v1/users/me", json={"password": "not it"}, headers=alice.headers)
    assert wrong.status_code == 401
    gone = client.request(
        "DELETE", "/api/v1/users/me", json={"password": "correct horse"}, headers=alice.headers
    )
    assert gone.status_code == 204
    run(client, settle)

    assert client.get(f"/api/v1/users/{alice.user_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/posts/{with_picture}", headers=bob.headers).status_code == 404
    post = client.get(f"/api/v1/posts/{bobs}", headers=bob.headers).json()
    assert (post["like_count"], post["comment_count"], post["share_count"]) == (0, 0, 0)
    assert client.get("/api/v1/users/me", headers=bob.headers).json()["follower_count"] == 0
    assert client.get("/api/v1/users/me", headers=carol.headers).json()["following_count"] == 0
    login = client.post("/api/v1/auth/login", data={"username": alice.username, "password": "correct horse"})
    assert login.status_code == 401
    assert httpx.get(media["url"]).status_code == 404  # the object is gone from the bucket
    assert client.get("/api/v1/search/posts", params={"q": word}, headers=bob.headers).json()["posts"] == []
    assert client.get(f"/api/v1/users/{alice.user_id}/followers", headers=bob.headers).status_code == 404
