"""The event stream: post and share events on a Redis Stream, read by consumer groups.

Each consumer group (fan-out now; search indexing and notifications later) gets every event. A worker
acknowledges an event only after handling it; entries left pending by a dead worker are reclaimed by
another after ``reclaim_idle_ms``; an event that keeps failing is parked on a dead-letter stream after
``max_deliveries`` attempts so that it cannot block the group. Handlers must be idempotent: an event
can be delivered more than once (a relay republishes, a reclaimed entry is retried).

A handler that cannot run because a dependency of its own is down (search: OpenSearch; every group:
an unreachable Neo4j or Redis, see ``feed/worker.py waiting_out_outages``) raises :class:`RetryLater`:
its batch stays pending, is retried after ``reclaim_idle_ms`` like any failure, but the attempt is not
counted, so an outage of any length parks nothing on the dead-letter stream."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

STREAM = "fg:events"
DEAD_LETTERS = "fg:events:dead"
# The stream has no length cap: a cap would drop events a lagging consumer group has not read yet.
# The feed-housekeeping job trims what every group has acknowledged (jobs/feed_housekeeping.py).
# How long a publisher may go on using the stream server it last read (see EventStream.server).
SERVER_MAX_AGE_SECONDS = 5.0


# Failed deliveries of an event before it is parked on the dead-letter stream (RetryLater: not counted).
MAX_DELIVERIES = 5


class RetryLater(Exception):
    """Raised by a handler whose own dependency is unreachable: retry the batch, do not count the attempt."""


@dataclass(frozen=True)
class Event:
    """What happened, from an OutboxEvent node: ``type`` and its ids (strings in the stream).

    Post events carry ``post_id``; user events (``user_*``) carry ``user_id`` (the user whose profile
    or counters changed) and ``post_id`` 0."""

    id: int
    type: str
    post_id: int
    actor_id: int
    share_id: int | None = None
    media_ids: tuple[int, ...] = ()
    visibility: str | None = None
    user_id: int | None = None
    post_ids: tuple[int, ...] = ()  # user_deleted: every post that went with the account

    def to_fields(self) -> dict[Any, Any]:
        fields = {
            "id": str(self.id),
            "type": self.type,
            "post_id": str(self.post_id),
            "actor_id": str(self.actor_id),
        }
        if self.share_id is not None:
            fields["share_id"] = str(self.share_id)
        if self.media_ids:
            fields["media_ids"] = ",".join(str(m) for m in self.media_ids)
        if self.visibility:
            fields["visibility"] = self.visibility
        if self.user_id is not None:
            fields["user_id"] = str(self.user_id)
        if self.post_ids:
            fields["post_ids"] = ",".join(str(p) for p in self.post_ids)
        return fields

    @classmethod
    def from_fields(cls, fields: Mapping[bytes | str, bytes | str]) -> Event:
        data = {_text(k): _text(v) for k, v in fields.items()}
        return cls(
            id=int(data["id"]),
            type=data["type"],
            post_id=int(data["post_id"]),
            actor_id=int(data["actor_id"]),
            share_id=int(data["share_id"]) if data.get("share_id") else None,
            media_ids=tuple(int(m) for m in data["media_ids"].split(",")) if data.get("media_ids") else (),
            visibility=data.get("visibility"),
            user_id=int(data["user_id"]) if data.get("user_id") else None,
            post_ids=tuple(int(p) for p in data["post_ids"].split(",")) if data.get("post_ids") else (),
        )

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        return cls(
            id=record["id"],
            type=record["type"],
            post_id=record.get("post_id") or 0,
            actor_id=record["actor_id"],
            share_id=record.get("share_id"),
            media_ids=tuple(record.get("media_ids") or ()),
            visibility=record.get("visibility"),
            user_id=record.get("user_id"),
            post_ids=tuple(record.get("post_ids") or ()),
        )


Handler = Callable[[list[Event]], Awaitable[None]]


@dataclass(frozen=True)
class StreamServer:
    """``origin`` names the stream (a token kept in its Redis: one per deployment, the same across
    restarts as long as the data lasts); ``run_id`` the Redis process holding it, new after every
    restart or failover. Events published under one run id that the stream's server no longer has
    may have been lost with the last second of its append-only file."""

    origin: str
    run_id: str


class EventStream:
    def __init__(self, redis: Redis | RedisCluster, stream: str = STREAM) -> None:
        self._redis = redis
        self.stream = stream
        self._server: tuple[StreamServer, float] | None = None  # and when it was read (monotonic s)

    async def server(self, max_age_seconds: float = SERVER_MAX_AGE_SECONDS) -> StreamServer:
        """Who holds the stream: its origin and the Redis process's run id (see :class:`StreamServer`).
        Read again when the one known is older than ``max_age_seconds``: a process seen before a write
        can only make that write look lost when it was not (it is then published again, which
        consumers tolerate), never the reverse."""
        known = self._server
        if known is not None and time.monotonic() - known[1] <= max_age_seconds:
            return known[0]
        redis = self._redis
        origin_key = f"{{{self.stream}}}:origin"  # the stream's slot: same server (hash tag)
        if isinstance(redis, RedisCluster):
            await redis.initialize()  # the slot map (a no-op once read)
            info = await redis.info("server", target_nodes=redis.get_node_from_key(self.stream))
        else:
            info = await redis.info("server")
        # SET NX ... GET: made once, then the same for as long as the stream's data lasts.
        made = secrets.token_hex(8)
        kept = await redis.set(origin_key, made, nx=True, get=True)
        origin = _text(kept) if isinstance(kept, bytes | str) else made
        server = StreamServer(origin=origin, run_id=str(info["run_id"]))
        self._server = (server, time.monotonic())
        return server

    async def publish(self, events: list[Event]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(self.stream, event.to_fields())
            await pipe.execute()

    async def ensure_group(self, group: str) -> None:
        """Create the consumer group (from the stream's start) if it does not exist."""
        try:
            await self._redis.xgroup_create(self.stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def consume_once(
        self,
        group: str,
        consumer: str,
        handler: Handler,
        *,
        count: int = 200,
        block_ms: int = 1000,
        reclaim_idle_ms: int = 30_000,
        max_deliveries: int = MAX_DELIVERIES,
    ) -> int:
        """Handle one batch: first entries abandoned by dead consumers, else new ones. Returns how many."""
        reclaimed = await self._redis.xautoclaim(
            self.stream, group, consumer, min_idle_time=reclaim_idle_ms, start_id="0-0", count=count
        )
        entries = [(eid, fields) for eid, fields in reclaimed[1] if fields]
        if entries:
            entries = await self._park_poison(group, entries, max_deliveries)
        else:
            response: Any = await self._redis.xreadgroup(
                group, consumer, {self.stream: ">"}, count=count, block=block_ms
            )
            entries = (
                [entry for _, stream_entries in response for entry in stream_entries] if response else []
            )
        if not entries:
            return 0
        ids = [eid for eid, _ in entries]
        try:
            await handler([Event.from_fields(fields) for _, fields in entries])
        except RetryLater:
            # Reset the delivery count (JUSTID does not increment it) and the idle time: retried after
            # reclaim_idle_ms, never parked for an outage.
            await self._redis.xclaim(
                self.stream, group, consumer, min_idle_time=0, message_ids=ids, retrycount=0, justid=True
            )
            raise
        await self._redis.xack(self.stream, group, *ids)
        return len(entries)

    async def _park_poison(
        self, group: str, entries: list[tuple[Any, Any]], max_deliveries: int
    ) -> list[tuple[Any, Any]]:
        """Move entries delivered too often to the dead-letter stream; return the rest."""
        first, last = entries[0][0], entries[-1][0]
        pending = await self._redis.xpending_range(
            self.stream, group, min=first, max=last, count=len(entries)
        )
        deliveries = {_text(p["message_id"]): int(p["times_delivered"]) for p in pending}  # type: ignore[arg-type]
        keep = []
        for eid, fields in entries:
            if deliveries.get(_text(eid), 0) > max_deliveries:
                log.error("event %s failed %d times; parked on %s", _text(eid), max_deliveries, DEAD_LETTERS)
                await self._redis.xadd(
                    DEAD_LETTERS, {**fields, "group": group}, maxlen=100_000, approximate=True
                )
                await self._redis.xack(self.stream, group, eid)
            else:
                keep.append((eid, fields))
        return keep

    async def pending_of(self, group: str, consumer: str) -> int:
        """Entries delivered to ``consumer`` and not acknowledged (left behind if it died)."""
        pending = await self._redis.xpending_range(
            self.stream, group, min="-", max="+", count=100_000, consumername=consumer
        )
        return len(pending)

    async def pending_count(self, group: str) -> int:
        info = await self._redis.xpending(self.stream, group)
        return int(info["pending"])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
