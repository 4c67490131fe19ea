"""api/hot_paths.py: plain feed reads and likes are answered in front of FastAPI with the same answers
(an unexpected error: the app's 500); everything else still goes to the FastAPI routes (real Neo4j and
Redis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tests.conftest import Account, app_services, create_post, register


@pytest.fixture
def routed(client: TestClient) -> Iterator[list[str]]:
    """The paths of the requests that reached FastAPI's router during a test."""
    seen: list[str] = []
    router = client.app.router  # type: ignore[attr-defined]
    routes = router.middleware_stack

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await routes(scope, receive, send)

    router.middleware_stack = counting
    try:
        yield seen
    finally:
        router.middleware_stack = routes


@pytest.fixture
def author_and_reader(client: TestClient) -> tuple[Account, Account]:
    author, reader = register(client), register(client)
    followed = client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    assert followed.status_code == 200, followed.text
    for n in range(3):
        create_post(client, author, f"hot path {n}")
    return author, reader


def test_a_plain_feed_read_is_answered_in_front_of_the_routes_with_the_routes_answer(
    client: TestClient, author_and_reader: tuple[Account, Account], routed: list[str]
) -> None:
    _, reader = author_and_reader
    hot = client.get("/api/v1/feed?limit=2", headers=reader.headers)
    assert routed == []
    # An unknown parameter is not plain: the route answers (and ignores it).
    via_route = client.get("/api/v1/feed?limit=2&via=route", headers=reader.headers)
    assert routed == ["/api/v1/feed"]
    assert hot.status_code == via_route.status_code == 200
    assert hot.content == via_route.content
    assert [p["content"] for p in hot.json()["posts"]] == ["hot path 2", "hot path 1"]
    for header in ("content-type", "x-feed-source"):
        assert hot.headers[header] == via_route.headers[header]

    cursor = hot.json()["next_cursor"]
    older = client.get("/api/v1/feed", params={"limit": 2, "before": cursor}, headers=reader.headers)
    older_via_route = client.get(
        "/api/v1/feed", params={"limit": 2, "before": cursor, "via": "route"}, headers=reader.headers
    )
    assert older.content == older_via_route.content
    assert [p["content"] for p in older.json()["posts"]] == ["hot path 0"]
    default_size = client.get("/api/v1/feed", headers=reader.headers)
    assert len(default_size.json()["posts"]) == 3
    assert routed == ["/api/v1/feed", "/api/v1/feed"]


def test_a_like_is_answered_in_front_of_the_routes_with_the_routes_answer(
    client: TestClient, author_and_reader: tuple[Account, Account], routed: list[str]
) -> None:
    author, reader = author_and_reader
    post_id = create_post(client, author, "to be liked")
    routed.clear()
    hot = client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers)
    assert routed == []
    assert hot.status_code == 200 and hot.headers["content-type"] == "application/json"
    assert hot.json() == {"post_id": post_id, "liked": True, "like_count": 1}
    via_route = client.post(f"/api/v1/posts/{post_id}/like?via=route", headers=author.headers)
    assert routed == [f"/api/v1/posts/{post_id}/like"]
    assert via_route.content == hot.content.replace(b'"like_count":1', b'"like_count":2')
    again = client.post(f"/api/v1/posts/{post_id}/like", headers=reader.headers)
    assert again.json()["like_count"] == 2  # idempotent, as through the route
    shown = client.get(f"/api/v1/posts/{post_id}", headers=reader.headers).json()
    assert shown["like_count"] == 2 and shown["is_liked"] is True


def test_errors_raised_in_the_hot_paths_are_the_apps_error_answers(
    client: TestClient, author_and_reader: tuple[Account, Account], routed: list[str]
) -> None:
    _, reader = author_and_reader
    missing = "123456789"
    hot = client.post(f"/api/v1/posts/{missing}/like", headers=reader.headers)
    via_route = client.post(f"/api/v1/posts/{missing}/like?via=route", headers=reader.headers)
    assert routed == [f"/api/v1/posts/{missing}/like"]  # the first was answered in front
    assert hot.status_code == via_route.status_code == 404
    assert hot.json() == via_route.json() == {"error": "post_not_found", "detail": "no such post"}


def test_an_unexpected_error_in_a_hot_path_is_the_apps_500_answer(
    client: TestClient,
    author_and_reader: tuple[Account, Account],
    routed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, reader = author_and_reader

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the feed")

    monkeypatch.setattr(app_services(client).feed.reader, "read_rendered", broken)
    answer = client.get("/api/v1/feed?limit=2", headers=reader.headers)
    assert routed == []  # answered in front of FastAPI, by the app's own 500 answer
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal_error", "detail": "an unexpected error occurred"}
    assert "a bug in the feed" in caplog.text  # logged with its traceback, as from a route


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "error"),
    [
        ("GET", "/api/v1/feed", {}, 401, "not_authenticated"),
        ("GET", "/api/v1/feed", {"Authorization": "Bearer not-a-token"}, 401, "invalid_token"),
        ("GET", "/api/v1/feed", {"Authorization": "Basic dXNlcjpwdw=="}, 401, "not_authenticated"),
        ("GET", "/api/v1/feed?limit=0", None, 422, "validation_error"),
        ("GET", "/api/v1/feed?limit=101", None, 422, "validation_error"),
        ("GET", "/api/v1/feed?limit=ten", None, 422, "validation_error"),
        ("GET", "/api/v1/feed?limit=%2B5", None, 200, None),  # "+5": pydantic's int, the route's call
        ("GET", "/api/v1/feed?limit=5&limit=6", None, 200, None),
        ("GET", "/api/v1/feed?before=not-a-cursor", None, 400, "invalid_cursor"),
        ("GET", "/api/v1/feed?before=" + "x" * 513, None, 422, "validation_error"),
        ("POST", "/api/v1/feed", None, 405, "method_not_allowed"),
        ("POST", "/api/v1/posts/99999999999999999999/like", None, 400, "invalid_id"),
        ("POST", "/api/v1/posts/123/like", {}, 401, "not_authenticated"),
        ("POST", "/api/v1/posts/123/like", {"Authorization": "Bearer x.y.z"}, 401, "invalid_token"),
    ],
)
def test_requests_that_are_not_plain_get_the_routes_answers(
    client: TestClient,
    routed: list[str],
    method: str,
    path: str,
    headers: dict[str, str] | None,
    status: int,
    error: str | None,
) -> None:
    if headers is None:
        headers = register(client).headers
        routed.clear()
    response = client.request(method, path, headers=headers)
    assert response.status_code == status, response.text
    if error is not None:
        assert response.json()["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert routed == [path.split("?")[0]], "FastAPI's router answered"
