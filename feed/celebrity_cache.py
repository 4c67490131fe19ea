"""Per-reader cache of the celebrities they follow (whose entries are pulled at read time).

Asking the graph on every feed read would put a traversal of all followees on the hot path; the
answer changes only when the reader follows or unfollows a celebrity or an author switches between
push and pull, and each of those forgets the cached value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from redis.asyncio import Redis, RedisCluster

from core.expiry import spread_ttl


class PullFolloweesCache:
    """``ttl_seconds`` (FEEDGRAPH_PULL_CACHE_TTL_SECONDS) bounds staleness if an invalidation is missed."""

    def __init__(self, redis: Redis | RedisCluster, ttl_seconds: int) -> None:
        self._redis = redis
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def key(user_id: int) -> str:
        return f"cf:{{{user_id}}}"

    async def get(self, user_id: int, load: Callable[[], Awaitable[list[int]]]) -> list[int]:
        return await self.resolve(user_id, await self._redis.get(self.key(user_id)), load)

    async def resolve(
        self, user_id: int, cached: bytes | str | None, load: Callable[[], Awaitable[list[int]]]
    ) -> list[int]:
        """The list from a value of :meth:`key` read elsewhere (a feed read gets it along with the
        timeline page); on a miss, ``load`` it and cache it."""
        if cached is not None:
            text = cached.decode() if isinstance(cached, bytes) else str(cached)
            return [int(v) for v in text.split(",") if v]
        ids = await load()
        await self._redis.set(
            self.key(user_id), ",".join(str(i) for i in ids), ex=spread_ttl(self.ttl_seconds)
        )
        return ids

    async def forget(self, user_ids: Iterable[int]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.delete(self.key(user_id))
            await pipe.execute()
