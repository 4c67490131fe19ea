"""Registration, login, profiles."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, register, unique_name


def test_register_login_and_me(client: TestClient) -> None:
    account = register(client)
    me = client.get("/api/v1/users/me", headers=account.headers)
    assert me.status_code == 200
    body = me.json()
    assert body["user_id"] == account.user_id and isinstance(body["user_id"], str)
    assert body["username"] == account.username
    assert body["follower_count"] == 0 and body["following_count"] == 0
    assert body["created_at"].endswith("Z")
    assert "password_hash" not in body and "email" not in body


def test_login_returns_a_bearer_token_with_an_expiry(client: TestClient) -> None:
    account = register(client)
    response = client.post(
        "/api/v1/auth/login", data={"username": account.username.upper(), "password": "correct horse"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0 and body["expires_at"].endswith("Z")


def test_login_by_email_works_and_a_wrong_password_is_401(client: TestClient) -> None:
    account = register(client)
    ok = client.post(
        "/api/v1/auth/login",
        data={"username": f"{account.username}@example.com", "password": "correct horse"},
    )
    assert ok.status_code == 200
    bad = client.post("/api/v1/auth/login", data={"username": account.username, "password": "wrong horse"})
    assert bad.status_code == 401
    assert bad.json() == {"error": "invalid_credentials", "detail": "wrong username or password"}
    unknown = client.post("/api/v1/auth/login", data={"username": unique_name(), "password": "whatever1"})
    assert unknown.status_code == 401


def test_usernames_are_unique_ignoring_case_and_emails_unique(client: TestClient) -> None:
    name = unique_name()
    register(client, name)
    clash = client.post(
        "/api/v1/auth/register",
        json={"username": name.upper(), "email": f"other_{name}@example.com", "password": "long enough"},
    )
    assert clash.status_code == 409
    assert clash.json()["error"] == "conflict"
    email_clash = client.post(
        "/api/v1/auth/register",
        json={"username": unique_name(), "email": f"{name}@example.com", "password": "long enough"},
    )
    assert email_clash.status_code == 409


def test_registration_validation_errors_are_4xx_json(client: TestClient) -> None:
    cases = [
        {"username": "ab", "email": "a@example.com", "password": "long enough"},
        {"username": "has space", "email": "a@example.com", "password": "long enough"},
        {"username": unique_name(), "email": "not-an-email", "password": "long enough"},
        {"username": unique_name(), "email": "a@example.com", "password": "short"},
        {"username": unique_name(), "email": "a@example.com", "password": "long enough", "admin": True},
    ]
    for body in cases:
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        assert set(response.json()) == {"error", "detail"}
    garbage = client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 422


def test_requests_without_or_with_a_bad_token_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/users/me").status_code == 401
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_patch_me_changes_only_the_fields_sent(client: TestClient) -> None:
    account = register(client)
    response = client.patch(
        "/api/v1/users/me",
        json={"display_name": "Ada L.", "bio": "engines", "avatar_url": "https://cdn.example.com/a.png"},
        headers=account.headers,
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada L."
    again = client.patch("/api/v1/users/me", json={"bio": "analytical engines"}, headers=account.headers)
    assert again.json()["display_name"] == "Ada L."
    assert again.json()["bio"] == "analytical engines"
    rejected = client.patch("/api/v1/users/me", json={"username": "hijack"}, headers=account.headers)
    assert rejected.status_code == 422
    bad_url = client.patch(
        "/api/v1/users/me", json={"avatar_url": "javascript:alert(1)"}, headers=account.headers
    )
    assert bad_url.status_code == 422


def test_user_lookup_by_id_and_username(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, bob = make_user(), make_user()
    by_id = client.get(f"/api/v1/users/{alice.user_id}", headers=bob.headers)
    assert by_id.status_code == 200 and by_id.json()["username"] == alice.username
    by_name = client.get(f"/api/v1/users/by-username/{alice.username.upper()}", headers=bob.headers)
    assert by_name.status_code == 200 and by_name.json()["user_id"] == alice.user_id
    assert client.get("/api/v1/users/123", headers=bob.headers).status_code == 404
    assert client.get("/api/v1/users/by-username/nobody_here_xyz", headers=bob.headers).status_code == 404
    bad = client.get("/api/v1/users/not-a-number", headers=bob.headers)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_id"
    huge = client.get(f"/api/v1/users/{2**64}", headers=bob.headers)
    assert huge.status_code == 400
