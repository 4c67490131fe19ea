"""Notifications from likes, comments, shares, follows and mentions; devices and webhook pushes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cache.events import Event
from core.ids import new_id
from core.settings import Settings
from feed.worker import Worker
from graph.queries import CypherQuery
from tests.conftest import Account, app_services, create_post, register, run, wait_until_prepared

MakeUser = Callable[..., Account]


def drain(client: TestClient) -> None:
    worker = Worker.for_services(app_services(client), consumer="notify-test")
    run(client, lambda: worker.drain(sweep_age_ms=0))


def notifications(client: TestClient, user: Account, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/notifications", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_kind_of_action_notifies_the_right_user_once(client: TestClient, make_user: MakeUser) -> None:
    author, fan = make_user(), make_user()
    client.post(f"/api/v1/users/{author.user_id}/follow", headers=fan.headers)
    post_id = create_post(client, author, "notify me")
    client.post(f"/api/v1/posts/{post_id}/like", headers=fan.headers)
    client.post(f"/api/v1/posts/{post_id}/comments", json={"content": "nice"}, headers=fan.headers)
    client.post(f"/api/v1/posts/{post_id}/share", headers=fan.headers)
    create_post(client, fan, f"hello @{author.username}")
    client.post(f"/api/v1/posts/{post_id}/like", headers=author.headers)  # own action: no notification
    drain(client)
    drain(client)  # a second pass (redelivery) creates nothing new
    body = notifications(client, author)
    kinds = [n["kind"] for n in body["notifications"]]
    assert kinds == ["mention", "share", "comment", "like", "follow"]
    assert {n["actor"]["user_id"] for n in body["notifications"]} == {fan.user_id}
    assert body["notifications"][1]["post_id"] == post_id
    assert body["unread_count"] == 5
    assert notifications(client, fan)["notifications"] == []


def test_blocked_or_muted_actors_do_not_notify(client: TestClient, make_user: MakeUser) -> None:
    author, troll, bore = make_user(), make_user(), make_user()
    post_id = create_post(client, author, "quiet please")
    client.post(f"/api/v1/users/{bore.user_id}/mute", headers=author.headers)
    client.post(f"/api/v1/posts/{post_id}/like", headers=troll.headers)
    client.post(f"/api/v1/users/{troll.user_id}/block", headers=author.headers)
    client.post(f"/api/v1/posts/{post_id}/like", headers=bore.headers)
    drain(client)
    assert notifications(client, author)["notifications"] == []


def test_mark_read_and_paginate(client: TestClient, make_user: MakeUser) -> None:
    star = make_user()
    fans = [make_user() for _ in range(5)]
    for fan in fans:
        client.post(f"/api/v1/users/{star.user_id}/follow", headers=fan.headers)
    drain(client)
    first = notifications(client, star, limit=3)
    assert len(first["notifications"]) == 3 and first["has_more"] is True
    second = notifications(client, star, limit=3, before=first["next_cursor"])
    assert len(second["notifications"]) == 2 and second["has_more"] is False
    seen = [n["actor"]["user_id"] for n in first["notifications"] + second["notifications"]]
    assert seen == [fan.user_id for fan in reversed(fans)]
    newest = first["notifications"][0]["notification_id"]
    marked = client.post("/api/v1/notifications/read", json={"ids": [newest]}, headers=star.headers).json()
    assert marked == {"marked": 1, "unread_count": 4}
    up_to = first["notifications"][2]["notification_id"]
    marked = client.post("/api/v1/notifications/read", json={"up_to": up_to}, headers=star.headers).json()
    assert marked == {"marked": 3, "unread_count": 1}  # that one and every older one
    assert client.post("/api/v1/notifications/read", headers=star.headers).json()["unread_count"] == 0
    bad = client.post("/api/v1/notifications/read", json={"ids": ["abc"]}, headers=star.headers)
    assert bad.status_code == 400


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def push_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server standing in for the push gateway (FCM/APNs are out of reach here)."""
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/push", _Receiver.received
    server.shutdown()


def test_devices_get_webhook_pushes(
    settings: Settings, push_receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = push_receiver
    with TestClient(create_app(settings.model_copy(update={"push_webhook_url": url}))) as client:
        wait_until_prepared(client)
        author, fan = register(client), register(client)
        device = client.post(
            "/api/v1/devices", json={"token": "device-token-123", "platform": "ios"}, headers=author.headers
        )
        assert device.status_code == 201
        assert (
            client.post(
                "/api/v1/devices", json={"token": "x", "platform": "fax"}, headers=author.headers
            ).status_code
            == 422
        )
        client.post(f"/api/v1/users/{author.user_id}/follow", headers=fan.headers)
        drain(client)
        assert len(received) == 1
        push = received[0]
        assert push["token"] == "device-token-123" and push["platform"] == "ios"
        assert push["body"] == f"@{fan.username} started following you"
        assert push["data"]["kind"] == "follow"
        assert client.delete("/api/v1/devices/device-token-123", headers=author.headers).status_code == 204
        client.delete(f"/api/v1/users/{author.user_id}/follow", headers=fan.headers)
        client.post(f"/api/v1/users/{author.user_id}/follow", headers=fan.headers)
        drain(client)
        assert len(received) == 1  # the device is gone: no more pushes


def test_a_batch_of_events_is_one_graph_write_and_one_device_read(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A viral post's likes come by the thousand per second: the consumer handles a batch of events in
    one transaction (it used to take one per event, plus a device read per notification)."""
    author, blocker = make_user(), make_user()
    fans = [make_user() for _ in range(12)]
    post_id = int(create_post(client, author, "batch me"))
    assert client.post(f"/api/v1/users/{blocker.user_id}/block", headers=author.headers).status_code == 200
    likes = [Event(id=new_id(), type="post_liked", post_id=post_id, actor_id=int(f.user_id)) for f in fans]
    events = [
        *likes,
        Event(id=new_id(), type="post_liked", post_id=post_id, actor_id=int(blocker.user_id)),
        Event(id=new_id(), type="post_liked", post_id=post_id, actor_id=int(author.user_id)),  # own post
        Event(
            id=new_id(),
            type="user_followed",
            post_id=0,
            actor_id=int(fans[0].user_id),
            user_id=int(author.user_id),
        ),
        Event(id=new_id(), type="post_deleted", post_id=post_id, actor_id=int(author.user_id)),
    ]
    services = app_services(client)
    graph = services.graph
    asked: list[str] = []
    for name in ("read", "write"):
        real = getattr(graph, name)

        def spy(query: CypherQuery, _real: Any = real, **params: Any) -> Any:
            asked.append(query.name)
            return _real(query, **params)

        monkeypatch.setattr(graph, name, spy)
    sent: list[int] = []
    real_send = services.feed.bus.to_each_user  # the bus the consumer was built with

    async def to_each_user(deliveries: Any) -> None:
        deliveries = list(deliveries)
        sent.extend(int(d[2]["notification_id"]) for d in deliveries)
        await real_send(deliveries)

    monkeypatch.setattr(services.feed.bus, "to_each_user", to_each_user)
    run(client, lambda: services.notifications.handle([*events, likes[0]]))  # one published twice
    assert asked == ["notifications/create_notifications", "notifications/list_devices"]
    assert sorted(sent) == sorted([e.id for e in likes] + [events[-2].id])  # each sent once
    items = notifications(client, author, limit=50)["notifications"]
    assert sorted(n["notification_id"] for n in items if n["kind"] == "like") == sorted(
        str(e.id) for e in likes
    )
    assert [n["actor"]["user_id"] for n in items if n["kind"] == "follow"] == [fans[0].user_id]
    assert len(items) == len(likes) + 1  # not the blocked user's, not the author's own, not the deletion
    asked.clear()
    run(client, lambda: services.notifications.handle(events))  # redelivered: nothing new
    assert asked == ["notifications/create_notifications"]
    assert len(notifications(client, author, limit=50)["notifications"]) == len(likes) + 1
