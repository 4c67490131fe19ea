"""Real-time delivery: WebSocket and Server-Sent Events through Redis pub/sub."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from api.app import create_app
from core.settings import Settings
from feed.worker import Worker
from tests.conftest import Account, app_services, create_post, run
from tests.private_servers import uvicorn_serving

MakeUser = Callable[..., Account]


def drain(client: TestClient) -> None:
    worker = Worker.for_services(app_services(client), consumer="stream-test")
    run(client, lambda: worker.drain(sweep_age_ms=0))


def next_event(ws: WebSocketTestSession) -> dict[str, Any]:
    """The next message that is not a heartbeat (the server pings every 15 s when idle, so a missing
    event fails here instead of hanging)."""
    message: dict[str, Any] = ws.receive_json()
    assert message["type"] != "ping", "no event arrived before the heartbeat"
    return message


def follower_pair(client: TestClient, make_user: MakeUser) -> tuple[Account, Account]:
    author, reader = make_user(), make_user()
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
    client.get("/api/v1/feed", headers=reader.headers)
    return author, reader


def test_two_websocket_clients_of_one_user_both_receive_a_new_post(
    client: TestClient, make_user: MakeUser
) -> None:
    author, reader = follower_pair(client, make_user)
    url = f"/api/v1/stream?access_token={reader.token}"
    with client.websocket_connect(url) as phone, client.websocket_connect(url) as laptop:
        assert next_event(phone)["type"] == "ready" and next_event(laptop)["type"] == "ready"
        post_id = create_post(client, author, "live!")
        drain(client)
        for ws in (phone, laptop):
            event = next_event(ws)
            assert event["type"] == "new_post" and event["data"]["post_id"] == post_id
        client.delete(f"/api/v1/posts/{post_id}", headers=author.headers)
        drain(client)
        assert next_event(phone)["type"] == "post_deleted"


def test_a_reconnecting_client_gets_what_it_missed(client: TestClient, make_user: MakeUser) -> None:
    author, reader = follower_pair(client, make_user)
    url = f"/api/v1/stream?access_token={reader.token}"
    with client.websocket_connect(url) as ws:
        assert next_event(ws)["type"] == "ready"
        create_post(client, author, "seen live")
        drain(client)
        last_seen = next_event(ws)["id"]
    missed = [create_post(client, author, f"while away {i}") for i in range(2)]
    drain(client)
    with client.websocket_connect(f"{url}&last_event_id={last_seen}") as ws:
        assert next_event(ws)["type"] == "ready"
        caught_up = [next_event(ws)["data"]["post_id"] for _ in missed]
    assert caught_up == missed


def test_notifications_arrive_on_the_stream(client: TestClient, make_user: MakeUser) -> None:
    author, fan = make_user(), make_user()
    post_id = create_post(client, author, "like me")
    with client.websocket_connect(f"/api/v1/stream?access_token={author.token}") as ws:
        assert next_event(ws)["type"] == "ready"
        client.post(f"/api/v1/posts/{post_id}/like", headers=fan.headers)
        drain(client)
        events = [next_event(ws), next_event(ws)]  # own post's new_post may come first
        notes = [e for e in events if e["type"] == "notification"]
        assert notes and notes[0]["data"]["kind"] == "like" and notes[0]["data"]["actor_id"] == fan.user_id


def test_stream_refuses_a_missing_or_bad_token(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/api/v1/stream"):
        pass
    assert refused.value.code == 1008
    sse = client.get("/api/v1/stream/sse", params={"access_token": "nope"})
    assert sse.status_code == 401 and sse.json()["error"] == "invalid_token"


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app under a real uvicorn server as `feedgraph serve` runs it (SSE is a never-ending response:
    it needs a real socket)."""
    with uvicorn_serving(create_app(settings)) as port:
        yield f"http://127.0.0.1:{port}"


def test_server_sent_events_deliver_a_new_post(
    client: TestClient, make_user: MakeUser, live_server: str
) -> None:
    author, reader = follower_pair(client, make_user)
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream(
        "GET", f"{live_server}/api/v1/stream/sse", headers=reader.headers, timeout=httpx.Timeout(30.0)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if kind == "ready":
                    post_id = create_post(client, author, "over SSE")
                    drain(client)
                elif kind == "new_post":
                    break
            elif line.startswith(": heartbeat"):
                pytest.fail("no event arrived before the heartbeat")
    assert events[0][0] == "ready"
    assert events[-1] == ("new_post", {"entry_id": post_id, "post_id": post_id, "by": author.user_id})
