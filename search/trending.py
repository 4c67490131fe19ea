"""Trending posts and hashtags: time-decayed activity scores kept in Redis sorted sets.

Formula. Every event adds ``weight x 2^((t_event - E) / H)`` to its post and to each of the post's
hashtags, where ``H`` is the half-life and ``E`` an epoch stored next to the sets. At any time ``now``
the trending score is ``stored x 2^(-(now - E) / H)`` = the sum over events of
``weight x 2^(-(now - t_event) / H)``: each event counts fully when it happens and half as much every
``H`` after. Because the factor ``2^(-(now - E)/H)`` is the same for every member, the sorted set's
order *is* the trending order at any time: a request is one ZREVRANGE, and an event one ZINCRBY.

- A burst rises as soon as the search consumer handles its events (normally within a second or two;
  the stream delivers them at once).
- It fades within hours: with ``H`` = 1 hour a burst keeps 1/8 of its score after 3 hours and 1/64
  after 6; below ``MIN_SCORE`` it is removed.
- Weights: a new public post 1, a like 1, a comment 2, a share 3 (the effort each takes and how far
  it spreads the post). Only public posts count: trends must not reveal restricted posts. Taking back
  a like, comment or share does not lower a trend (the activity happened; rate limits bound abuse).
- Events are applied with their own time (from their time-ordered id), so events handled late, e.g.
  after an outage, count as much as they would have on time, never more.

The stored numbers grow by 2x per ``H`` since ``E``; the script moves ``E`` forward (rescaling every
member by one ZUNIONSTORE) once it is ``REBASE_AFTER_MS`` old, so they stay far from float limits.
Handling is idempotent: each event id is remembered for ``SEEN_TTL_MS`` and applied once only. All
keys share one hash tag, so the script runs unchanged on Redis Cluster (one slot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from core.clock import now_ms
from core.errors import Unavailable

HALF_LIFE_MS = 3_600_000
# Below this a member no longer trends (a single like is 1; after ~7 half-lives it is gone).
MIN_SCORE = 0.01
# Members kept per set: far more than any page shows; bounds memory under any load.
MAX_MEMBERS = 10_000
# Move the epoch forward every 6 hours: stored scores stay below weight x 2^6 per event.
REBASE_AFTER_MS = 6 * 3_600_000
# Events older than this add nothing measurable (2^-24 after a day) and are skipped.
MAX_EVENT_AGE_MS = 86_400_000
# How long handled event ids are remembered: an older event is skipped by its age anyway, so a
# redelivery (reclaim, relay republish, retries during an outage) can never count twice.
SEEN_TTL_MS = MAX_EVENT_AGE_MS

POST_CREATED_WEIGHT, LIKE_WEIGHT, COMMENT_WEIGHT, SHARE_WEIGHT = 1.0, 1.0, 2.0, 3.0

# KEYS: posts zset, tags zset, seen zset, epoch string.
# ARGV: now, half-life, min score, max members, rebase-after, seen ttl,
#       then per contribution: event id, event ms, target ("p" or "t"), member, weight.
_APPLY = """
local now = tonumber(ARGV[1])
local half_life = tonumber(ARGV[2])
local min_score = tonumber(ARGV[3])
local max_members = tonumber(ARGV[4])
local rebase_after = tonumber(ARGV[5])
local seen_ttl = tonumber(ARGV[6])
local epoch = tonumber(redis.call('GET', KEYS[4]) or '')
if not epoch then
  epoch = now
  redis.call('SET', KEYS[4], epoch)
elseif now - epoch > rebase_after then
  local factor = 2 ^ (-(now - epoch) / half_life)
  for i = 1, 2 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      redis.call('ZUNIONSTORE', KEYS[i], 1, KEYS[i], 'WEIGHTS', factor)
    end
  end
  epoch = now
  redis.call('SET', KEYS[4], epoch)
end
local fresh = {}
local applied = 0
for i = 7, #ARGV, 5 do
  local event_id, event_ms = ARGV[i], tonumber(ARGV[i + 1])
  if fresh[event_id] == nil then
    fresh[event_id] = redis.call('ZADD', KEYS[3], 'NX', event_ms, event_id) == 1
  end
  if fresh[event_id] then
    local key = KEYS[1]
    if ARGV[i + 2] == 't' then key = KEYS[2] end
    local weight = tonumber(ARGV[i + 4])
    redis.call('ZINCRBY', key, weight * 2 ^ ((event_ms - epoch) / half_life), ARGV[i + 3])
    applied = applied + 1
  end
end
local floor = min_score * 2 ^ ((now - epoch) / half_life)
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. floor)
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(max_members + 1))
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - seen_ttl)
return applied
"""


@dataclass(frozen=True)
class Contribution:
    """``weight`` for one post (``target`` "p", member = post id) or hashtag ("t", member = tag)."""

    event_id: int
    event_ms: int
    target: str
    member: str
    weight: float


@dataclass(frozen=True)
class Ranked:
    member: str
    score: float


def decayed(stored: float, epoch_ms: int, now: int, half_life_ms: int = HALF_LIFE_MS) -> float:
    """The trending score now of a stored (epoch-relative) value."""
    return float(stored * 2 ** (-(now - epoch_ms) / half_life_ms))


def contribution_value(weight: float, event_ms: int, now: int, half_life_ms: int = HALF_LIFE_MS) -> float:
    """What one event adds to a score at ``now`` (the formula, for documentation and tests)."""
    return float(weight * 2 ** (-(now - event_ms) / half_life_ms))


class Trending:
    def __init__(self, redis: Redis | RedisCluster, namespace: str) -> None:
        self._redis = redis
        # One hash tag for every key: the script touches them together (one Redis Cluster slot).
        base = f"fg:trend:{{{namespace}}}"
        self.posts_key, self.tags_key = f"{base}:posts", f"{base}:tags"
        self.seen_key, self.epoch_key = f"{base}:seen", f"{base}:epoch"
        self._apply = redis.register_script(_APPLY)

    async def record(self, contributions: Sequence[Contribution], now: int | None = None) -> int:
        """Apply the contributions of events not applied before; returns how many were applied."""
        now = now_ms() if now is None else now
        # The same event twice in one batch (a republished entry) must count once too.
        fresh = list(dict.fromkeys(c for c in contributions if now - c.event_ms <= MAX_EVENT_AGE_MS))
        if not fresh:
            return 0
        args: list[Any] = [now, HALF_LIFE_MS, MIN_SCORE, MAX_MEMBERS, REBASE_AFTER_MS, SEEN_TTL_MS]
        for c in fresh:
            args += [str(c.event_id), c.event_ms, c.target, c.member, c.weight]
        keys = [self.posts_key, self.tags_key, self.seen_key, self.epoch_key]
        return int(await self._apply(keys=keys, args=args))

    async def forget_posts(self, post_ids: Sequence[int]) -> None:
        """Deleted posts leave the ranking at once."""
        if post_ids:
            await self._redis.zrem(self.posts_key, *[str(p) for p in post_ids])

    async def top_posts(self, offset: int, count: int, now: int | None = None) -> list[Ranked]:
        return await self._top(self.posts_key, offset, count, now)

    async def top_tags(self, offset: int, count: int, now: int | None = None) -> list[Ranked]:
        return await self._top(self.tags_key, offset, count, now)

    async def _top(self, key: str, offset: int, count: int, now: int | None) -> list[Ranked]:
        now = now_ms() if now is None else now
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(self.epoch_key)
                pipe.zrevrange(key, offset, offset + count - 1, withscores=True)
                epoch_raw, rows = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise Unavailable("trending is unavailable", code="trending_unavailable") from exc
        if epoch_raw is None:
            return []
        epoch = int(float(epoch_raw))
        ranked = [Ranked(_text(m), decayed(float(s), epoch, now)) for m, s in rows]
        return [r for r in ranked if r.score >= MIN_SCORE]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
