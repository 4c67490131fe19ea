"""Per-user write rate limits in Redis: a fixed one-minute window per user (INCR + EXPIRE in one script,
one key per user and window, so it works unchanged on a Redis Cluster). Every write hits it, so the
hits of concurrent requests go to Redis together (cache/coalesce.py): a viral post's likes each paid a
whole round trip of the client for one INCR."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from cache.coalesce import CoalescedCommands
from cache.scripts import LuaScript

log = logging.getLogger(__name__)

_WINDOW_SECONDS = 60
_HIT = LuaScript("rate_hit")


class RateLimiter:
    def __init__(self, redis: Redis | RedisCluster, limit_per_minute: int) -> None:
        self._commands = CoalescedCommands(redis, (_HIT,))
        self._limit = limit_per_minute

    async def hit(self, user_id: int, action: str = "write") -> int | None:
        """Count one action; None when allowed, else the seconds until the window resets.

        When Redis is down the limit fails open: writes keep working (Neo4j is the system of record)
        and only the abuse protection is lost until Redis returns."""
        now = time.time()
        window = int(now // _WINDOW_SECONDS)
        key = f"rl:{action}:{{{user_id}}}:{window}"
        try:
            count = await self._commands.execute("EVALSHA", _HIT.sha, 1, key, _WINDOW_SECONDS + 1)
        except (RedisError, OSError) as exc:
            log.warning("rate limit skipped, redis unavailable: %s", exc)
            return None
        if int(count) <= self._limit:
            return None
        return max(1, int((window + 1) * _WINDOW_SECONDS - now) + 1)
