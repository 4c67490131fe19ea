"""The ``notifications`` consumer group: events become stored notifications, each also sent on the
recipient's real-time stream and pushed to their devices. Idempotent: a redelivered event finds its
notifications already stored and sends nothing again."""

from __future__ import annotations

from cache.events import Event
from cache.realtime import RealtimeBus
from core.clock import now_ms
from graph.driver import Graph
from graph.repositories import notifications as repo
from notify.push import Push, PushSender

GROUP = "notifications"

_TEXT = {
    "like": "liked your post",
    "comment": "commented on your post",
    "share": "shared your post",
    "follow": "started following you",
    "mention": "mentioned you",
}


class NotificationConsumer:
    def __init__(self, graph: Graph, bus: RealtimeBus, sender: PushSender) -> None:
        self._graph = graph
        self._bus = bus
        self._sender = sender

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.type not in repo.KIND_OF_EVENT:
                continue
            recipients, actor_username = await repo.create_for_event(
                self._graph,
                event_id=event.id,
                event_type=event.type,
                actor_id=event.actor_id,
                post_id=event.post_id or None,
                user_id=event.user_id,
                now_ms=now_ms(),
            )
            kind = repo.KIND_OF_EVENT[event.type]
            payload = {
                "notification_id": str(event.id),
                "kind": kind,
                "actor_id": str(event.actor_id),
                "actor_username": actor_username,
                "post_id": str(event.post_id) if event.post_id else None,
            }
            for recipient in recipients:
                await self._bus.to_users([recipient], "notification", payload)
                devices = await repo.devices(self._graph, recipient)
                if devices:
                    pushes = [
                        Push(
                            d["token"],
                            d["platform"],
                            "FeedGraph",
                            f"@{actor_username} {_TEXT[kind]}",
                            payload,
                        )
                        for d in devices
                    ]
                    await self._sender.send(pushes)
