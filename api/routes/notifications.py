"""Notifications and the devices that receive push notifications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, GraphDep, Writer
from api.pagination import cursor_one, page
from api.schemas.common import Cursor, Limit, parse_id
from api.schemas.notifications import (
    DeviceIn,
    DeviceOut,
    MarkedOut,
    MarkRead,
    NotificationOut,
    NotificationPage,
)
from core.clock import now_ms
from graph.repositories import notifications as repo

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    graph: GraphDep,
    me: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> NotificationPage:
    """Newest first: likes, comments, shares, follows and mentions, with the unread count."""
    rows = await repo.list_notifications(graph, me, cursor_one(before), limit + 1)
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["notification"]["id"],))
    return NotificationPage(
        notifications=[NotificationOut.from_record(r) for r in items],
        unread_count=await repo.unread_count(graph, me),
        next_cursor=next_cursor,
        has_more=has_more,
    )


@router.post("/notifications/read", response_model=MarkedOut)
async def mark_read(graph: GraphDep, me: Writer, body: MarkRead | None = None) -> MarkedOut:
    """Mark notifications read: the given ``ids``, all up to ``up_to``, or (no body) all of them."""
    ids = [parse_id(i, "notification id") for i in body.ids] if body and body.ids is not None else None
    up_to = parse_id(body.up_to, "up_to") if body and body.up_to else None
    marked = await repo.mark_read(graph, me, up_to, ids)
    return MarkedOut(marked=marked, unread_count=await repo.unread_count(graph, me))


@router.post("/devices", status_code=status.HTTP_201_CREATED, response_model=DeviceOut)
async def register_device(body: DeviceIn, graph: GraphDep, me: Writer) -> DeviceOut:
    """Register a push token for this user (idempotent; a token moves to whoever registers it last)."""
    device = await repo.register_device(graph, me, body.token, body.platform.value, now_ms())
    return DeviceOut(token=device["token"], platform=device["platform"])


@router.delete("/devices/{token}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_device(token: str, graph: GraphDep, me: Writer) -> Response:
    await repo.delete_device(graph, me, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
