"""Per-viewer state the feed checks on every read, cached in Redis: which posts the viewer liked and
shared, and whom the viewer may not see (blocked either way, or muted).

With it (and the post cache, cache/post_cards.py) a feed page is hydrated from Redis alone. It is kept
only for posts newer than a cutoff (likes of older posts would make the sets grow for ever); a page that
reaches past the cutoff, or a viewer whose state is not cached, takes the graph path, which also fills
the state for the next read.

Keys share the viewer's hash tag (one slot on a cluster, so one script touches them all): ``vs:{v}``
the marker (the cutoff id; an empty tombstone while forgotten), ``vl:{v}``, ``vh:{v}`` and ``vx:{v}``
the sets. Writes forget the state the same way the post cache forgets cards (tombstone + fills only
when no marker exists), before and after their commit: a process that dies between its commit and
its second forget still leaves no stale state, because the first tombstone outlives the commit.

Likes, the most frequent of those writes, *hold* the state instead (``viewer_hold.lua``): the marker
becomes a mark of the write (its token, the state's cutoff and expiry) for the hold-off, which readers
and fills treat as a tombstone; after the commit ``viewer_release.lua`` puts the marker back with the
post added to the liked set, if the mark is still the write's, and forgets the state otherwise. A
forgotten state sends every read of the viewer to the graph until the hold-off ends and one of them
fills it again; in the feed benchmark's reads-while-liking phase (each viewer reads a few times a
second) that made most reads graph reads. The guarantees are the forget's: a fill whose graph read
may predate the commit finds the mark and is refused, a second write of the viewer's meanwhile turns
the mark into a tombstone, and a process that dies before releasing leaves a mark that expires with the
hold-off (the state then reads as absent and is filled from the graph)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster

from cache.exchange import exchange, routed
from cache.post_cards import HOLD_OFF_MS
from cache.scripts import LuaScript, with_scripts
from core.expiry import spread_ttl

_FLAGS = LuaScript("viewer_flags")
_FILL = LuaScript("viewer_fill")
_HOLD = LuaScript("viewer_hold")
_RELEASE = LuaScript("viewer_release")
SCRIPTS = (_FLAGS, _FILL, _HOLD, _RELEASE)


@dataclass(frozen=True)
class Holds:
    """Viewers whose cached states a write holds (:meth:`ViewerStates.hold`), under the write's token."""

    token: str
    viewers: list[int]  # every viewer the write changes
    held: set[int]  # those whose state was cached, and is held


@dataclass(frozen=True)
class ViewerFlags:
    cutoff: int  # the state covers posts with a larger id only
    liked: set[int]
    shared: set[int]
    hidden: set[int]


class ViewerStates:
    def __init__(self, redis: Redis | RedisCluster, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    @staticmethod
    def keys(viewer_id: int) -> list[str]:
        return [f"{prefix}:{{{viewer_id}}}" for prefix in ("vs", "vl", "vh", "vx")]

    async def flags(self, viewer_id: int, post_ids: list[int], user_ids: list[int]) -> ViewerFlags | None:
        """The viewer's flags for these posts and users, or None when the state is not cached."""
        command = self.flags_command(viewer_id, post_ids, user_ids)
        redis = self._redis
        if isinstance(redis, RedisCluster):  # the master's multiplexed connection (cache/exchange.py)
            marker = self.keys(viewer_id)[0]
            raw = await with_scripts(redis, SCRIPTS, lambda: routed(redis, marker, "EVALSHA", *command))
        else:
            raw = await with_scripts(redis, SCRIPTS, lambda: redis.evalsha(*command))
        return self.parse_flags(raw, post_ids, user_ids)

    def flags_command(self, viewer_id: int, post_ids: list[int], user_ids: list[int]) -> list[Any]:
        """The EVALSHA arguments :meth:`flags` sends (for a caller's pipeline: run it under
        ``with_scripts(redis, SCRIPTS, ...)``)."""
        return [_FLAGS.sha, 4, *self.keys(viewer_id), len(post_ids), *post_ids, *user_ids]

    @staticmethod
    def parse_flags(raw: Any, post_ids: list[int], user_ids: list[int]) -> ViewerFlags | None:
        """The reply to :meth:`flags_command`: None when the viewer's state is not cached."""
        if not raw:
            return None
        cutoff, liked, shared, hidden = raw
        return ViewerFlags(
            cutoff=int(cutoff),
            liked={p for p, flag in zip(post_ids, liked, strict=False) if flag},
            shared={p for p, flag in zip(post_ids, shared, strict=False) if flag},
            hidden={u for u, flag in zip(user_ids, hidden, strict=False) if flag},
        )

    async def cached(self, viewer_id: int) -> bool:
        """Whether the viewer's state is cached (not absent, not forgotten); a state held by a like in
        flight counts (filling it would be refused)."""
        return bool(await self._redis.get(self.keys(viewer_id)[0]))

    async def fill(
        self, viewer_id: int, cutoff: int, liked: list[int], shared: list[int], hidden: list[int]
    ) -> bool:
        """Cache a state read from the graph; refused (False) while forgotten or already cached."""
        return await self._fill(viewer_id, "", cutoff, liked, shared, hidden)

    async def refill(
        self,
        viewer_id: int,
        seen_cutoff: int,
        cutoff: int,
        liked: list[int],
        shared: list[int],
        hidden: list[int],
    ) -> bool:
        """Replace a cached state a reader saw going stale (its cutoff ``seen_cutoff``) with one read from
        the graph since; refused (False) if anything else is there now (a forget, an expiry, a fill)."""
        return await self._fill(viewer_id, str(seen_cutoff), cutoff, liked, shared, hidden)

    async def _fill(
        self, viewer_id: int, seen: str, cutoff: int, liked: list[int], shared: list[int], hidden: list[int]
    ) -> bool:
        args: list[Any] = [
            seen,
            spread_ttl(self._ttl),
            cutoff,
            len(liked),
            *liked,
            len(shared),
            *shared,
            *hidden,
        ]
        filled = await with_scripts(
            self._redis,
            SCRIPTS,
            lambda: self._redis.evalsha(_FILL.sha, 4, *self.keys(viewer_id), *args),
        )
        return bool(filled)

    async def hold(self, viewer_ids: list[int]) -> Holds:
        """Before a like's commit: each viewer's cached state is held (read as not cached, not filled)
        rather than forgotten, so that :meth:`release` can put it back with the like once committed,
        instead of the viewer's next reads going to the graph. A viewer with no state to hold is
        forgotten, as by :meth:`forget`."""
        token = secrets.token_hex(8)
        replies = await self._each(
            [
                (viewer, ("EVALSHA", _HOLD.sha, 1, self.keys(viewer)[0], token, HOLD_OFF_MS))
                for viewer in viewer_ids
            ]
        )
        return Holds(
            token, list(viewer_ids), {v for v, held in zip(viewer_ids, replies, strict=True) if held}
        )

    async def release(self, holds: Holds, post_id: int, liked: Iterable[int]) -> None:
        """After the commit: the held states come back, with ``post_id`` among the likes of the viewers in
        ``liked`` (those whose like the commit created). A state not held, or held no more under this
        write's token (another write of the viewer's, the hold-off ran out), is forgotten: the second
        forget of a write (see the module's docstring)."""
        likers = set(liked)
        commands = []
        for viewer in holds.viewers:
            token = holds.token if viewer in holds.held else ""
            vs, vl = self.keys(viewer)[:2]
            post = post_id if viewer in likers else ""
            commands.append((viewer, ("EVALSHA", _RELEASE.sha, 2, vs, vl, token, post, HOLD_OFF_MS)))
        await self._each(commands)

    async def _each(self, commands: list[tuple[int, tuple[Any, ...]]]) -> list[Any]:
        """The replies of one single-slot command per viewer: one exchange on a standalone Redis, routed
        to each viewer's master on a cluster."""
        if not commands:
            return []
        redis = self._redis
        if isinstance(redis, RedisCluster):
            marker_of = {viewer: self.keys(viewer)[0] for viewer, _ in commands}

            async def routed_all() -> list[Any]:
                return list(
                    await asyncio.gather(*(routed(redis, marker_of[v], *command) for v, command in commands))
                )

            return await with_scripts(redis, SCRIPTS, routed_all)
        return await with_scripts(redis, SCRIPTS, lambda: exchange(redis, [c for _, c in commands]))

    async def forget(self, viewer_ids: Iterable[int]) -> None:
        """A write changed these viewers' likes, shares, blocks or mutes (call before and after it)."""
        markers = [self.keys(viewer_id)[0] for viewer_id in viewer_ids]
        if not markers:
            return
        if isinstance(self._redis, RedisCluster):  # the markers span slots: the cluster client routes them
            if len(markers) == 1:  # the usual case (a like, a mute): a command costs less than a pipeline
                await self._redis.set(markers[0], b"", px=HOLD_OFF_MS)
                return
            async with self._redis.pipeline(transaction=False) as pipe:
                for marker in markers:
                    pipe.set(marker, b"", px=HOLD_OFF_MS)
                await pipe.execute()
            return
        # A like batch forgets its likers twice. cache/exchange.py, even for one marker: on the shared
        # multiplexed connection a SET costs ~7 µs of client CPU against ~65 µs as a pooled command.
        await exchange(self._redis, [("SET", marker, b"", "PX", HOLD_OFF_MS) for marker in markers])
