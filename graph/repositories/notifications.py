"""Notifications and push-notification devices."""

from __future__ import annotations

from dataclasses import dataclass

from graph.driver import Graph, Record
from graph.queries import cypher

_CREATE = cypher("notifications/create_notifications")
_LIST = cypher("notifications/list_notifications")
_COUNT_UNREAD = cypher("notifications/count_unread")
_MARK_READ = cypher("notifications/mark_read")
_REGISTER_DEVICE = cypher("notifications/register_device")
_LIST_DEVICES = cypher("notifications/list_devices")
_DELETE_DEVICE = cypher("notifications/delete_device")

# What each event type notifies as.
KIND_OF_EVENT = {
    "post_liked": "like",
    "comment_created": "comment",
    "post_shared": "share",
    "user_followed": "follow",
    "post_created": "mention",
}


@dataclass(frozen=True)
class NewNotification:
    event_id: int  # also the notification's id
    recipient: int
    actor_username: str


async def create_for_events(graph: Graph, events: list[Record], now_ms: int) -> list[NewNotification]:
    """Create the notifications of a batch of events in one transaction (idempotent). ``events``: maps of
    event_id, type, actor_id, post_id (or None), user_id (or None); types that notify nobody are skipped.
    Returns the new notifications only (a redelivered event's exist already), in the events' order."""
    notifying = [{**e, "kind": KIND_OF_EVENT[e["type"]]} for e in events if e["type"] in KIND_OF_EVENT]
    if not notifying:
        return []
    rows = await graph.write(_CREATE, events=notifying, now=now_ms)
    return [NewNotification(r["event_id"], r["recipient"], r["actor_username"]) for r in rows if r["created"]]


async def list_notifications(graph: Graph, user_id: int, before_id: int | None, limit: int) -> list[Record]:
    return await graph.read(_LIST, user_id=user_id, before_id=before_id, limit=limit)


async def unread_count(graph: Graph, user_id: int) -> int:
    rows = await graph.read(_COUNT_UNREAD, user_id=user_id)
    return int(rows[0]["unread"])


async def mark_read(graph: Graph, user_id: int, up_to_id: int | None, ids: list[int] | None) -> int:
    rows = await graph.write(_MARK_READ, user_id=user_id, up_to_id=up_to_id, ids=ids)
    return int(rows[0]["marked"])


async def register_device(graph: Graph, user_id: int, token: str, platform: str, now_ms: int) -> Record:
    rows = await graph.write(_REGISTER_DEVICE, user_id=user_id, token=token, platform=platform, now=now_ms)
    device: Record = rows[0]["device"]
    return device


async def devices_of(graph: Graph, user_ids: list[int]) -> dict[int, list[Record]]:
    """Each user's devices (token, platform), for those who have any."""
    found: dict[int, list[Record]] = {}
    for row in await graph.read(_LIST_DEVICES, user_ids=user_ids):
        found.setdefault(row["user_id"], []).append({"token": row["token"], "platform": row["platform"]})
    return found


async def delete_device(graph: Graph, user_id: int, token: str) -> int:
    rows = await graph.write(_DELETE_DEVICE, user_id=user_id, token=token)
    return int(rows[0]["deleted"])
