"""Timelines: the newest entry ids of a user's home feed (or an author's recent entries), in Redis.

One key per timeline, ``<prefix>:{<owner id>}``, holding a list of decimal 64-bit ids, newest first.
Redis stores such a list as a listpack of integers: about 10 bytes per entry, against ~21 for a
listpack sorted set and ~138 for a skiplist one. Ids are time-ordered, so a list kept sorted by id
is a reverse-chronological timeline. Entries are post ids or share (repost) ids. A timeline holds at
least the newest ``cap`` entries (all of them if fewer) and at most ``trim_at``: trimming is lazy.

A timeline that exists is complete (up to its cap); a missing one is rebuilt from the graph on read.
So fan-out only pushes into timelines that exist, and a rebuild first plants a sentinel so that no
fan-out running during the rebuild is lost.

Each prefix keeps a newest-id mark per hash slot (one key on a standalone Redis), ``<id>:<attempt>``:
no timeline of the slot holds an entry newer than ``<id>``, nor ``<id>`` itself except where push
attempt ``<attempt>`` put it. An id above it, or that attempt's own id in its next batch, goes straight
to the front of each list (see ``cache/lua/timeline_push.lua``). The mark has no TTL and is written on
every push, so LRU and LFU eviction leave it alone; should it go anyway, pushes read heads until the
clock passes a bound."""

from __future__ import annotations

import asyncio
import secrets
from binascii import crc_hqx
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.crc import REDIS_CLUSTER_HASH_SLOTS
from redis.exceptions import ResponseError

from cache.exchange import exchange, pack, routed
from cache.scripts import LuaScript, with_scripts
from cache.slot_tags import tag_for_slot
from core.clock import now_ms
from core.concurrency import run_bounded
from core.ids import min_id_for_ms

# Twitter kept ~800 entries per home timeline, Mastodon keeps 800: older pages come from the graph.
DEFAULT_CAP = 800
# A full timeline may grow by cap // TRIM_SLACK_DIVISOR entries (66 at the cap of 800) before one
# LTRIM takes it back to the cap: trimming on every insert cost Redis twice the insert itself (see
# cache/lua/timeline_push.lua); ~4 % more memory per full timeline on average. Caps under 12 trim exactly.
TRIM_SLACK_DIVISOR = 12
# A rebuild normally takes milliseconds; past this the sentinel expires and the next read retries.
_REBUILD_SECONDS = 30
# Entries pushed per pipeline round trip during fan-out (Twitter pipelined 4,000 at a time).
PUSH_BATCH = 4000
# Batches of one push in flight at once: sequential round trips left Redis idle while this process
# encoded the next batch and this process idle while Redis ran the script.
PUSH_IN_FLIGHT = 3
_EMPTY_MARK = "-"
_EMPTY_MARK_BYTES = b"-"
# A replaced newest-id mark must exceed every id already created, including by a server whose clock
# runs ahead of this one's: NTP keeps them within milliseconds, this allows seconds.
_CLOCK_SKEW_MS = 2_000

_PUSH = LuaScript("timeline_push")
_PAGE = LuaScript("timeline_page")
_BEGIN = LuaScript("timeline_begin")
_MERGE = LuaScript("timeline_merge")
_SCRIPTS = (_PUSH, _PAGE, _BEGIN, _MERGE)
# A push's arguments: entry id, cap, the bound a lost mark is replaced with, attempt, trim at.
_PushArgs = tuple[int, int, int, str, int]


class TimelineState(Enum):
    OK = "ok"
    MISSING = "missing"
    BUILDING = "building"


@dataclass(frozen=True)
class TimelinePage:
    state: TimelineState
    entries: list[int]
    length: int = 0  # entries the whole timeline holds: at the cap, older ones live only in the graph


class Timelines:
    """The timelines under one key prefix (``tl`` home feeds, ``ap`` author pull lists)."""

    def __init__(self, redis: Redis | RedisCluster, *, prefix: str, cap: int, ttl_seconds: int) -> None:
        self._redis = redis
        self.prefix = prefix
        self._key_head = f"{prefix}:{{".encode()
        self._standalone_mark = f"{prefix}:newest".encode()
        self._mark_keys: dict[int, bytes] = {}  # a cluster slot's mark: that name plus the slot's tag
        self.cap = cap
        # The longest a list gets: past it, a push trims it back to the cap.
        self.trim_at = cap + cap // TRIM_SLACK_DIVISOR
        self.ttl_seconds = ttl_seconds

    async def _run(self, script: LuaScript, keys: Sequence[str | bytes], *args: int | str) -> Any:
        redis = self._redis
        if isinstance(redis, RedisCluster):
            command = ("EVALSHA", script.sha, len(keys), *keys, *args)
            return await with_scripts(redis, _SCRIPTS, lambda: routed(redis, keys[0], *command))
        # On every feed read (the home page): the leaner exchange of cache/exchange.py.
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        replies = await with_scripts(redis, _SCRIPTS, lambda: exchange(redis, [command]))
        return replies[0]

    async def _run_many(
        self, script: LuaScript, calls: Sequence[tuple[Sequence[str | bytes], tuple[int | str, ...]]]
    ) -> list[Any]:
        """One pipelined round trip of ``script``, one call per (keys, args); split per node on a cluster.
        The keys of one call must share a hash slot on a cluster (see :meth:`_slot_groups`)."""

        async def execute() -> list[Any]:
            async with self._redis.pipeline(transaction=False) as pipe:
                for keys, args in calls:
                    # execute_command: redis-py refuses pipe.evalsha on a cluster pipeline, but routes
                    # EVALSHA by its first key all the same.
                    pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                return list(await pipe.execute())

        return await with_scripts(self._redis, _SCRIPTS, execute)

    def key(self, owner_id: int) -> str:
        # The hash tag keeps every key of one owner in one cluster slot.
        return f"{self.prefix}:{{{owner_id}}}"

    async def push(self, entry_id: int, owner_ids: Iterable[int], *, attempt: str | None = None) -> int:
        """Add ``entry_id`` to each existing timeline (idempotent, ordered, trimmed); returns inserts.

        One script call carries a whole batch of timelines on a standalone Redis (per-command client
        overhead, not Redis, bounds a call per key); on a cluster, one call per hash slot. Batches
        overlap (``PUSH_IN_FLIGHT``): Redis runs one while the next is encoded here. ``attempt`` names
        the push attempt the batches belong to (fresh per call unless given): batches of the attempt
        that last raised the newest-id mark skip reading heads; the owners of one attempt must be
        distinct."""
        attempt = attempt or secrets.token_hex(4)

        async def push_batch(batch: list[int]) -> int:
            args = (entry_id, self.cap, _future_bound(), attempt, self.trim_at)
            if isinstance(self._redis, RedisCluster):
                return await self._push_by_node(self._redis, batch, args)
            keys = [self._encoded_key(owner) for owner in batch]
            results = await self._run_many(_PUSH, [([self._standalone_mark, *keys], args)])
            return sum(int(r) for r in results)

        batches = (push_batch(batch) for batch in _batches(owner_ids, PUSH_BATCH))
        return sum(await run_bounded(batches, PUSH_IN_FLIGHT))

    async def _push_by_node(self, redis: RedisCluster, owners: list[int], args: _PushArgs) -> int:
        """One push call per cluster node, carrying every slot of the batch the node serves (see
        ``cache/lua/timeline_push.lua``): a call per slot cost ~15 us of Redis and ~40 us of this
        process per insert, as a batch of thousands of followers spans nearly as many slots."""
        await redis.initialize()  # the slot map (a no-op once read; commands read it on first use)
        by_node: dict[str, list[list[bytes]]] = {}
        for slot, group in self._slot_groups(owners).items():
            by_node.setdefault(redis.nodes_manager.get_node_from_slot(slot).name, []).append(group)

        async def push_node(groups: list[list[bytes]]) -> int:
            first, rest = groups[0], groups[1:]
            more: list[bytes | int] = []
            for group in rest:
                more += (group[0], len(group) - 1, *group[1:])
            command: tuple[bytes | str | int, ...] = ("EVALSHA", _PUSH.sha, len(first), *first, *args, *more)
            try:
                return int(await with_scripts(redis, _SCRIPTS, lambda: redis.execute_command(*command)))
            except ResponseError as exc:
                if "non local key" not in str(exc):
                    raise
            # A slot moved since the client's map was read, and the call stopped at its first key,
            # with the slots before it done: push per slot (the client follows redirects) under a new
            # attempt, so that this attempt's marks send it the careful way where it went first.
            retry = (*args[:3], secrets.token_hex(4), args[4])
            return sum(int(r) for r in await self._run_many(_PUSH, [(group, retry) for group in groups]))

        return sum(await asyncio.gather(*(push_node(groups) for groups in by_node.values())))

    def _encoded_key(self, owner_id: int) -> bytes:
        """:meth:`key` as the bytes sent, for batches of thousands: the client encodes a str argument
        by argument, a third of a push's client time."""
        return b"%s%d}" % (self._key_head, owner_id)

    def _slot_groups(self, owners: list[int]) -> dict[int, list[bytes]]:
        """Per hash slot, its newest-id mark and then the timelines of ``owners`` in it. The slot comes
        from the owner id, the key's hash tag (what redis-py's keyslot finds by parsing the key)."""
        groups: dict[int, list[bytes]] = {}
        marks = self._mark_keys
        for owner in owners:
            tag = b"%d" % owner
            slot = crc_hqx(tag, 0) % REDIS_CLUSTER_HASH_SLOTS
            group = groups.get(slot)
            if group is None:
                mark = marks.get(slot)
                if mark is None:
                    mark = marks[slot] = b"%s:{%s}" % (self._standalone_mark, tag_for_slot(slot).encode())
                group = groups[slot] = [mark]
            group.append(b"%s%s}" % (self._key_head, tag))
        return groups

    def _keys_with_mark(self, owner_id: int) -> list[bytes]:
        """One timeline's key after its slot's mark, as the scripts that add entries take them."""
        if not isinstance(self._redis, RedisCluster):
            return [self._standalone_mark, self._encoded_key(owner_id)]
        return next(iter(self._slot_groups([owner_id]).values()))

    async def push_many(self, entry_ids: Sequence[int], owner_id: int) -> int:
        """Add several entries to one timeline (a backfill), if it exists."""
        keys = self._keys_with_mark(owner_id)
        bound, attempt = _future_bound(), secrets.token_hex(4)
        results = await self._run_many(
            _PUSH, [(keys, (entry, self.cap, bound, attempt, self.trim_at)) for entry in entry_ids]
        )
        return sum(int(r) for r in results)

    async def unpush(self, entry_id: int, owner_ids: Iterable[int]) -> None:
        """Remove ``entry_id`` from each timeline (idempotent)."""
        for batch in _batches(owner_ids, PUSH_BATCH):
            async with self._redis.pipeline(transaction=False) as pipe:
                for owner in batch:
                    pipe.lrem(self.key(owner), 0, str(entry_id))
                await pipe.execute()

    async def remove(self, owner_id: int, entry_ids: Sequence[int]) -> None:
        """Remove these entries from one timeline (idempotent)."""
        key = self.key(owner_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.lrem(key, 0, str(entry_id))
            await pipe.execute()

    async def page(self, owner_id: int, before: int | None, count: int) -> TimelinePage:
        """Up to ``count`` entries older than ``before`` (newest first); refreshes the TTL."""
        raw = await self._run(_PAGE, [self.key(owner_id)], before or "", count, self.ttl_seconds)
        return _parse_page(raw)

    async def page_with(
        self,
        owner_id: int,
        before: int | None,
        count: int,
        companion_key: str,
        then: Sequence[bytes] = (),
        then_scripts: tuple[LuaScript, ...] = (),
    ) -> tuple[bytes | None, TimelinePage, list[Any]]:
        """:meth:`page`, and the value of ``companion_key`` (a key of the owner's, in the same hash
        slot) read by the same command; and the replies of ``then``, commands packed by the caller
        (cache/exchange.py ``pack``; scripts among them are ``then_scripts``), sent in the same exchange
        behind it: one round trip for both (a standalone Redis only: on a cluster they would span
        slots)."""
        keys = [self.key(owner_id), companion_key]
        args = (before or "", count, self.ttl_seconds)
        if not then:
            raw = await self._run(_PAGE, keys, *args)
            return raw[0], _parse_page(raw[1:]), []  # None: no such key; b"": an empty value
        redis = self._redis
        if isinstance(redis, RedisCluster):
            raise ValueError("page_with(then=...) needs a standalone Redis")
        packed = (*pack([("EVALSHA", _PAGE.sha, len(keys), *keys, *args)]), *then)
        replies = await with_scripts(redis, _SCRIPTS + then_scripts, lambda: exchange(redis, (), packed))
        raw = replies[0]
        return raw[0], _parse_page(raw[1:]), replies[1:]

    async def page_many(self, owner_ids: list[int], before: int | None, count: int) -> list[TimelinePage]:
        """:meth:`page` for several timelines in one pipelined round trip."""
        if not owner_ids:
            return []
        args = (before or "", count, self.ttl_seconds)
        return [
            _parse_page(raw)
            for raw in await self._run_many(_PAGE, [([self.key(owner)], args) for owner in owner_ids])
        ]

    async def rebuild(self, owner_id: int, load: Callable[[], Awaitable[list[int]]]) -> None:
        """Rebuild from the graph: plant the sentinel, load entries, merge with anything pushed meanwhile."""
        await self._run(_BEGIN, [self.key(owner_id)], _REBUILD_SECONDS)
        entries = await load()
        await self._run(
            _MERGE, self._keys_with_mark(owner_id), self.cap, self.ttl_seconds, _future_bound(), *entries
        )

    async def exists(self, owner_id: int) -> bool:
        return bool(await self._redis.exists(self.key(owner_id)))

    async def drop(self, owner_id: int) -> None:
        await self._redis.delete(self.key(owner_id))

    async def memory_usage(self, owner_id: int) -> int:
        """Bytes Redis uses for this timeline (MEMORY USAGE, all samples)."""
        used = await self._redis.memory_usage(self.key(owner_id), samples=0)
        return int(used or 0)


def _future_bound() -> int:
    """An id above any created so far, anywhere: what a lost newest-id mark is replaced with."""
    return min_id_for_ms(now_ms() + _CLOCK_SKEW_MS)


def _parse_page(raw: list[Any]) -> TimelinePage:
    state = TimelineState(_text(raw[0]))
    if state is not TimelineState.OK:
        return TimelinePage(state, [])
    # int() takes the bytes as they come; only the empty-timeline mark is not a number.
    entries = [int(v) for v in raw[2:] if v != _EMPTY_MARK_BYTES and v != _EMPTY_MARK]
    return TimelinePage(state, entries, int(raw[1]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _batches(values: Iterable[int], size: int) -> Iterable[list[int]]:
    batch: list[int] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
