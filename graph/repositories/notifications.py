"""Notifications and push-notification devices."""

from __future__ import annotations

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


async def create_for_event(
    graph: Graph,
    *,
    event_id: int,
    event_type: str,
    actor_id: int,
    post_id: int | None,
    user_id: int | None,
    now_ms: int,
) -> tuple[list[int], str | None]:
    """Create the event's notifications (idempotent); returns the recipients of new ones and the
    actor's username."""
    kind = KIND_OF_EVENT.get(event_type)
    if kind is None:
        return [], None
    rows = await graph.write(
        _CREATE,
        event_id=event_id,
        type=event_type,
        kind=kind,
        actor_id=actor_id,
        post_id=post_id,
        user_id=user_id,
        now=now_ms,
    )
    actor = rows[0]["actor_username"] if rows else None
    return [r["recipient"] for r in rows if r["created"]], actor


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


async def devices(graph: Graph, user_id: int) -> list[Record]:
    return await graph.read(_LIST_DEVICES, user_id=user_id)


async def delete_device(graph: Graph, user_id: int, token: str) -> int:
    rows = await graph.write(_DELETE_DEVICE, user_id=user_id, token=token)
    return int(rows[0]["deleted"])
