"""Real-time delivery over Redis: per-user event logs, pub/sub fan-in to API processes, presence.

Each event for a user is appended to their short log (a capped stream, for clients that reconnect
with the last id they saw) and published on their channel; celebrity posts go once to the author's
channel and log instead of to every follower. Every API process holds one pub/sub connection and
forwards messages to its own WebSocket/SSE clients, so any number of API processes can serve.

Presence: a connected user's ``on:{id}`` key lives ``PRESENCE_SECONDS`` past their last heartbeat.
Fan-out writes real-time events only for present users, which bounds the cost to who can see them;
the same window bounds what a reconnecting client can catch up on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import PubSub

from core.ids import new_id

log = logging.getLogger(__name__)

PRESENCE_SECONDS = 300
# Events kept per user (and per celebrity author) for clients that reconnect.
LOG_LENGTH = 200
_LOG_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class RealtimeEvent:
    id: int  # time-ordered: "everything after the last id I saw" is a comparison
    type: str
    data: dict[str, Any]

    def encode(self) -> str:
        return json.dumps({"id": str(self.id), "type": self.type, "data": self.data})

    @classmethod
    def decode(cls, raw: str | bytes) -> RealtimeEvent:
        body = json.loads(raw)
        return cls(int(body["id"]), body["type"], body["data"])


def user_channel(user_id: int) -> str:
    return f"rt:u:{{{user_id}}}"


def author_channel(author_id: int) -> str:
    return f"rt:a:{{{author_id}}}"


# Announces that a celebrity's pull list changed, so every API process drops its copy of the list's
# head at once (feed/pull_heads.py) instead of when the copy expires.
PULL_LISTS_CHANNEL = "ph:changed"


def _presence_key(user_id: int) -> str:
    return f"on:{{{user_id}}}"


class RealtimeBus:
    """The writing side, used by the worker (and the API for its own events)."""

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._redis = redis

    async def present(self, user_ids: list[int]) -> list[int]:
        """Those of ``user_ids`` connected now or within the presence window."""
        if not user_ids:
            return []
        # MGET: one command for the whole batch (redis-py splits it per slot on a cluster). Keys go as
        # bytes: the client would encode thousands of str keys one by one (fan-out's biggest cost).
        keys = [b"on:{%d}" % u for u in user_ids]  # _presence_key, encoded
        if isinstance(self._redis, RedisCluster):
            flags = await self._redis.mget_nonatomic(keys)
        else:
            flags = await self._redis.mget(keys)
        return [user_id for user_id, flag in zip(user_ids, flags, strict=True) if flag is not None]

    async def to_users(self, user_ids: Iterable[int], type_: str, data: dict[str, Any]) -> None:
        """Log and publish one event to each user (callers pass present users only)."""
        event = RealtimeEvent(new_id(), type_, data)
        await self._log_and_publish([(user_channel(u), event) for u in user_ids])

    async def to_each_user(self, deliveries: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
        """Several events, each (user id, type, data) to its own user, in one round trip."""
        events = [(user_channel(user), RealtimeEvent(new_id(), t, data)) for user, t, data in deliveries]
        await self._log_and_publish(events)

    async def to_author_followers(self, author_id: int, type_: str, data: dict[str, Any]) -> None:
        """One event for every follower of a celebrity, through the author's channel."""
        await self._log_and_publish([(author_channel(author_id), RealtimeEvent(new_id(), type_, data))])

    async def pull_list_changed(self, author_id: int) -> None:
        """Tell every API process (published only: nobody catches up on it later, heads expire anyway)."""
        event = RealtimeEvent(new_id(), "pull_list_changed", {"author_id": str(author_id)})
        await self._redis.execute_command("PUBLISH", PULL_LISTS_CHANNEL, event.encode())

    async def _log_and_publish(self, deliveries: list[tuple[str, RealtimeEvent]]) -> None:
        if not deliveries:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel, event in deliveries:
                encoded = event.encode()
                pipe.xadd(channel, {"e": encoded}, maxlen=LOG_LENGTH, approximate=True)
                pipe.expire(channel, _LOG_TTL_SECONDS)
                # execute_command: redis-py refuses pipe.publish on a cluster pipeline; PUBLISH itself
                # is fine there (a cluster forwards it to every node).
                pipe.execute_command("PUBLISH", channel, encoded)
            await pipe.execute()

    async def mark_present(self, user_id: int) -> None:
        await self._redis.set(_presence_key(user_id), 1, ex=PRESENCE_SECONDS)

    async def missed(self, channels: list[str], after_id: int) -> list[RealtimeEvent]:
        """Logged events newer than ``after_id`` on these channels, oldest first."""
        events: list[RealtimeEvent] = []
        for channel in channels:
            entries: Any = await self._redis.xrange(channel, count=LOG_LENGTH)
            for _, fields in entries or []:
                event = RealtimeEvent.decode(fields.get(b"e") or fields.get("e"))
                if event.id > after_id:
                    events.append(event)
        return sorted(events, key=lambda e: e.id)


class RealtimeHub:
    """The reading side in an API process: one pub/sub connection, many local subscribers.

    ``redis`` is a plain (non-cluster) client: on a Redis Cluster, PUBLISH reaches every node, so one
    connection to any node hears every channel."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pubsub: PubSub | None = None
        self._queues: dict[str, set[asyncio.Queue[RealtimeEvent]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def subscribe(self, channels: list[str]) -> asyncio.Queue[RealtimeEvent]:
        queue: asyncio.Queue[RealtimeEvent] = asyncio.Queue(maxsize=1000)
        async with self._lock:
            pubsub = await self._ensure_started()
            new = [c for c in channels if c not in self._queues]
            for channel in channels:  # before subscribing: the reader may get a message meanwhile
                self._queues.setdefault(channel, set()).add(queue)
            if new:
                try:
                    await pubsub.subscribe(*new)
                except BaseException:  # no channel may stay taken for subscribed
                    self._release(channels, queue)
                    raise
        return queue

    async def unsubscribe(self, channels: list[str], queue: asyncio.Queue[RealtimeEvent]) -> None:
        async with self._lock:
            gone = self._release(channels, queue)
            if gone and self._pubsub is not None:
                await self._pubsub.unsubscribe(*gone)

    def _release(self, channels: list[str], queue: asyncio.Queue[RealtimeEvent]) -> list[str]:
        """Take ``queue`` off these channels; returns the channels nobody listens to any more."""
        gone = []
        for channel in channels:
            holders = self._queues.get(channel)
            if holders is not None:
                holders.discard(queue)
                if not holders:
                    del self._queues[channel]
                    gone.append(channel)
        return gone

    async def _ensure_started(self) -> PubSub:
        if self._pubsub is None:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe("rt:hub")  # a channel from the start keeps the reader waiting
            except BaseException:  # Redis is down: the next subscriber tries again from scratch
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                raise
            self._pubsub = pubsub
            self._reader = asyncio.create_task(self._read(), name="realtime-hub")
        return self._pubsub

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redis went away: keep trying, subscriptions are restored
                log.warning("realtime hub lost redis (%r); retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = (
                message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            )
            event = RealtimeEvent.decode(message["data"])
            for queue in list(self._queues.get(channel, ())):
                with contextlib.suppress(asyncio.QueueFull):  # a stalled client drops, others go on
                    queue.put_nowait(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()
