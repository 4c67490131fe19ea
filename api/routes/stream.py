"""Real-time events for the connected user: WebSocket and Server-Sent Events.

Both carry ``new_post``, ``post_deleted`` and ``notification`` events as ``{"id", "type", "data"}``,
after a ``ready`` event that says the subscription is in place.
Browsers cannot set headers on a WebSocket or an EventSource, so the bearer token may also come as
the ``access_token`` query parameter. A client that reconnects with the last event id it saw
(``Last-Event-ID`` header for SSE, ``last_event_id`` parameter for both) first receives what it missed
while it was away (up to the last 200 events of each channel, within the presence window)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from api.deps import ServicesDep
from api.services import Services
from cache.realtime import RealtimeEvent, author_channel, user_channel
from core.errors import Invalid, Unauthorized
from graph.repositories import feed as feed_graph

router = APIRouter(tags=["stream"])

# Idle connections get a heartbeat this often, which also renews the user's presence.
HEARTBEAT_SECONDS = 15.0


def _viewer(services: Services, authorization: str | None, access_token: str | None) -> int:
    token = access_token
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    if not token:
        raise Unauthorized("a bearer token is required", code="not_authenticated")
    return services.tokens.user_id(token)


def _last_seen(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 19:
        raise Invalid("last event id must be an id from a previous event", code="invalid_event_id")
    return int(value)


async def _channels(services: Services, user_id: int) -> list[str]:
    """The user's own channel and those of the celebrities they follow (pulled, not pushed)."""
    pulled = await services.feed.pull_cache.get(
        user_id, lambda: feed_graph.pull_followees(services.graph, user_id)
    )
    return [user_channel(user_id), *(author_channel(a) for a in pulled)]


READY = RealtimeEvent(0, "ready", {})


async def _events(
    services: Services, user_id: int, last_seen: int | None
) -> AsyncIterator[RealtimeEvent | None]:
    """``READY`` once subscribed, then missed events, then live ones; ``None`` is a heartbeat."""
    channels = await _channels(services, user_id)
    bus, hub = services.feed.bus, services.realtime_hub
    queue = await hub.subscribe(channels)
    try:
        await bus.mark_present(user_id)
        yield READY
        newest = last_seen or 0
        if last_seen is not None:
            for event in await bus.missed(channels, last_seen):
                newest = max(newest, event.id)
                yield event
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await bus.mark_present(user_id)
                yield None
                continue
            if event.id > newest or last_seen is None:  # skip what the catch-up already sent
                yield event
    finally:
        await hub.unsubscribe(channels, queue)


@router.get("/stream/sse", response_class=StreamingResponse)
async def stream_sse(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    access_token: Annotated[str | None, Query()] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id_param: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> StreamingResponse:
    """Server-Sent Events; each event's ``id`` is what to send back as ``Last-Event-ID``."""
    user_id = _viewer(services, authorization, access_token)
    last_seen = _last_seen(last_event_id or last_event_id_param)

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for event in _events(services, user_id, last_seen):
            if await request.is_disconnected():
                return
            if event is None:
                yield ": heartbeat\n\n"
            elif event is READY:
                yield "event: ready\ndata: {}\n\n"
            else:
                yield f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.websocket("/stream")
async def stream_ws(
    websocket: WebSocket,
    access_token: Annotated[str | None, Query()] = None,
    last_event_id: Annotated[str | None, Query()] = None,
) -> None:
    """WebSocket: JSON messages ``{"id", "type", "data"}``; ``{"type": "ping"}`` when idle."""
    services: Services = websocket.app.state.services
    try:
        user_id = _viewer(services, websocket.headers.get("authorization"), access_token)
        last_seen = _last_seen(last_event_id)
    except (Unauthorized, Invalid) as exc:
        await websocket.close(code=1008, reason=exc.detail)  # policy violation
        return
    await websocket.accept()

    async with anyio.create_task_group() as group:
        # Structured: whichever side ends first (client gone, or a send failing) ends the other, and a
        # cancellation from outside (server shutdown) reaches both.

        async def forward() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                async for event in _events(services, user_id, last_seen):
                    if event is None:
                        await websocket.send_json({"type": "ping"})
                    elif event is READY:
                        await websocket.send_json({"type": "ready"})
                    else:
                        await websocket.send_json(
                            {"id": str(event.id), "type": event.type, "data": event.data}
                        )
            group.cancel_scope.cancel()

        async def until_closed() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()  # clients send nothing we need; this notices the close
            group.cancel_scope.cancel()

        group.start_soon(forward)
        group.start_soon(until_closed)
