"""The post cache: what every viewer sees alike of a post (content, counts, media) and of a profile.

A feed page needs the per-viewer part (may they see it, did they like or share it) from the graph, which
is cheap; the shared part is the expensive projection, and the same for everyone, so it is kept here as
one JSON value per post (``pc:{id}``) and per user (``uc:{id}``), filled from the graph on a miss.

Writes that change a card *forget* it: the key is overwritten with an empty tombstone for
``HOLD_OFF_MS``, and fills only happen with ``NX``. A reader that read the graph before the write and
fills after it therefore cannot put the old card back (the race that plain delete-then-fill has); the
TTL bounds what a lost invalidation (a crash right after the commit) can leave stale.

Counts are the exception: they change all the time (a viral post's likes), and forgetting the card on
each change would send every reader of a hot post to the graph. Instead each write records the counts
it committed in ``pn:{id}`` with the post's ``counts_version`` (bumped under the post's lock by every
transaction that may change a count), a script keeps only the highest version, and a read takes the
counts of whichever is newer, the card or that record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from redis.asyncio import Redis, RedisCluster

from cache.scripts import LuaScript, with_scripts
from core.expiry import spread_ttl

# Longer than a fill's graph read can take, short enough that a viral post's card (forgotten on every
# batch of likes) is still cached most of the time.
HOLD_OFF_MS = 2000

Card = dict[str, Any]

_RECORD_COUNTS = LuaScript("post_counts")
_COUNT_FIELDS = ("like_count", "comment_count", "share_count")


class PostCards:
    def __init__(self, redis: Redis | RedisCluster, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    @staticmethod
    def post_key(post_id: int) -> str:
        return f"pc:{post_id}"

    @staticmethod
    def user_key(user_id: int) -> str:
        return f"uc:{user_id}"

    @staticmethod
    def counts_key(post_id: int) -> str:
        return f"pn:{post_id}"

    async def get(self, post_ids: list[int], user_ids: list[int]) -> tuple[dict[int, Card], dict[int, Card]]:
        """The cached cards among these ids, in one round trip (post cards with their latest recorded
        counts); a missing id is a miss."""
        keys = self.keys(post_ids, user_ids)
        if not keys:
            return {}, {}
        # One MGET, not a pipeline of GETs: redis-py spends ~15 µs of Python per command.
        if isinstance(self._redis, RedisCluster):
            values: list[bytes | str | None] = await self._redis.mget_nonatomic(keys)  # split per slot
        else:
            values = await self._redis.mget(keys)
        return self.parse(post_ids, user_ids, values)

    def keys(self, post_ids: list[int], user_ids: list[int]) -> list[str]:
        """The keys :meth:`get` reads, in the order :meth:`parse` expects their values."""
        return (
            [self.post_key(p) for p in post_ids]
            + [self.counts_key(p) for p in post_ids]
            + [self.user_key(u) for u in user_ids]
        )

    @staticmethod
    def parse(
        post_ids: list[int], user_ids: list[int], values: list[bytes | str | None]
    ) -> tuple[dict[int, Card], dict[int, Card]]:
        """The cards among the values of :meth:`keys` (read by :meth:`get`, or in a caller's pipeline)."""
        n = len(post_ids)
        posts = _decoded(post_ids, values[:n])
        for post_id, raw in zip(post_ids, values[n : 2 * n], strict=True):
            if raw and post_id in posts:
                posts[post_id] = _with_counts(posts[post_id], raw)
        users = _decoded(user_ids, values[2 * n :])
        return posts, users

    async def record_counts(self, post_id: int, counts: Card) -> None:
        """The counts a write committed (with ``counts_version``); older ones never overwrite newer."""
        args = [counts["counts_version"], *(counts[f] for f in _COUNT_FIELDS), self._ttl]
        key = self.counts_key(post_id)
        await with_scripts(
            self._redis, (_RECORD_COUNTS,), lambda: self._redis.evalsha(_RECORD_COUNTS.sha, 1, key, *args)
        )

    async def fill(self, posts: Iterable[Card], users: Iterable[Card]) -> None:
        """Cache cards read from the graph, unless a write forgot them meanwhile (NX on the tombstone)."""
        items = [(self.post_key(c["id"]), c) for c in posts] + [(self.user_key(c["id"]), c) for c in users]
        if not items:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, card in items:
                pipe.set(key, orjson.dumps(card), ex=spread_ttl(self._ttl), nx=True)
            await pipe.execute()

    async def forget(self, post_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        """After a write changed these posts or profiles: readers go to the graph until the hold-off ends."""
        keys = [self.post_key(p) for p in post_ids] + [self.user_key(u) for u in user_ids]
        if not keys:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, b"", px=HOLD_OFF_MS)
            await pipe.execute()


def _with_counts(card: Card, raw: bytes | str) -> Card:
    """The card with the recorded counts if they are newer than the card's own."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    version, likes, comments, shares = (int(v) for v in text.split(","))
    if version <= (card.get("counts_version") or 0):
        return card
    return {
        **card,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "counts_version": version,
    }


def _decoded(ids: list[int], values: list[bytes | str | None]) -> dict[int, Card]:
    """Hits only: an absent key or a tombstone (empty value) is a miss."""
    return {i: orjson.loads(v) for i, v in zip(ids, values, strict=True) if v}
