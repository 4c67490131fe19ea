"""Commands of concurrent tasks sent together (cache/coalesce.py), against the real Redis: one pipeline
on one connection, each caller its own reply or error, lost scripts reloaded, a dead server an error
for every caller. Both ways a batch goes: on a pooled connection, and on the app's client's shared
multiplexed connection (cache/multiplex.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from cache.client import MultiplexingRedis, connect_redis
from cache.coalesce import CoalescedCommands
from cache.rate_limit import RateLimiter
from cache.scripts import LuaScript
from core.settings import Settings
from tests.private_servers import free_port

CALLERS = 200

BOTH_WAYS = pytest.mark.parametrize("multiplexed", [False, True], ids=["pooled", "multiplexed"])


def _client(settings: Settings, multiplexed: bool, url: str | None = None) -> Redis:
    """A plain client (a pooled connection per batch), or the app's, with its multiplexed connection."""
    url = url or settings.redis_url
    if not multiplexed:
        return Redis.from_url(url, socket_connect_timeout=1)
    redis = connect_redis(settings.model_copy(update={"redis_url": url, "dependency_timeout_seconds": 1}))
    assert isinstance(redis, MultiplexingRedis) and redis.multiplexed is not None
    return redis


async def _connections_named(redis: Redis, name: str) -> int:
    clients: list[dict[str, Any]] = await redis.client_list()
    return sum(1 for c in clients if c.get("name") == name)


def test_concurrent_commands_share_one_pipeline_and_each_gets_its_own_reply(settings: Settings) -> None:
    async def go() -> tuple[list[Any], int, int]:
        name = f"coalesce-{uuid.uuid4().hex[:8]}"
        keys = [f"test:coalesce:{name}:{i}" for i in range(CALLERS)]
        coalesced_client = Redis.from_url(settings.redis_url, client_name=name)
        direct_client = Redis.from_url(
            settings.redis_url, client_name=f"{name}-direct", max_connections=CALLERS
        )
        try:
            await coalesced_client.set(keys[0], "not a number")
            commands = CoalescedCommands(coalesced_client)
            replies = await asyncio.gather(
                *(commands.execute("INCRBY", key, i) for i, key in enumerate(keys)), return_exceptions=True
            )
            coalesced = await _connections_named(coalesced_client, name)
            # The same commands each sent on their own: redis-py checks out a connection per command.
            await asyncio.gather(*(direct_client.incrby(key, 0) for key in keys[1:]))
            direct = await _connections_named(direct_client, f"{name}-direct")
            return replies, coalesced, direct
        finally:
            await coalesced_client.delete(*keys)
            await coalesced_client.aclose()
            await direct_client.aclose()

    replies, coalesced, direct = asyncio.run(go())
    assert isinstance(replies[0], ResponseError)  # its own error reaches the one caller alone
    assert replies[1:] == list(range(1, CALLERS))
    assert coalesced == 1
    assert direct > 1


@BOTH_WAYS
def test_scripts_redis_lost_are_reloaded_and_the_commands_sent_again(
    settings: Settings, multiplexed: bool
) -> None:
    script = LuaScript("rate_hit")

    async def go() -> list[Any]:
        redis = _client(settings, multiplexed)
        key = f"test:coalesce:{uuid.uuid4().hex}"
        try:
            await redis.script_flush()  # as after a restart or a failover
            commands = CoalescedCommands(redis, (script,))
            return await asyncio.gather(
                *(commands.execute("EVALSHA", script.sha, 1, key, 60) for _ in range(5))
            )
        finally:
            await redis.delete(key)
            await redis.aclose()

    assert sorted(asyncio.run(go())) == [1, 2, 3, 4, 5]


@BOTH_WAYS
def test_a_dead_server_is_an_error_for_every_caller_and_the_rate_limit_fails_open(
    settings: Settings, multiplexed: bool
) -> None:
    async def go() -> tuple[list[Any], list[int | None]]:
        redis = _client(settings, multiplexed, f"redis://127.0.0.1:{free_port()}/0")
        try:
            commands = CoalescedCommands(redis)
            errors = await asyncio.gather(
                *(commands.execute("INCR", f"k{i}") for i in range(3)), return_exceptions=True
            )
            limiter = RateLimiter(redis, limit_per_minute=1)
            return errors, list(await asyncio.gather(*(limiter.hit(7) for _ in range(3))))
        finally:
            await redis.aclose()

    errors, limits = asyncio.run(go())
    assert all(isinstance(e, (RedisConnectionError, OSError)) for e in errors), errors
    assert limits == [None, None, None]


@BOTH_WAYS
@pytest.mark.parametrize("over", [False, True])
def test_coalesced_rate_limit_hits_count_every_request(
    settings: Settings, over: bool, multiplexed: bool
) -> None:
    """Hits asked at once are each counted: past the limit, exactly the extra ones are refused."""
    limit = 20
    hits = limit + 5 if over else limit

    async def go() -> list[int | None]:
        redis = _client(settings, multiplexed)
        user = int(uuid.uuid4().int % 10**12)
        try:
            limiter = RateLimiter(redis, limit_per_minute=limit)
            return list(await asyncio.gather(*(limiter.hit(user, "test") for _ in range(hits))))
        finally:
            keys = [k async for k in redis.scan_iter(f"rl:test:{{{user}}}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()

    results = asyncio.run(go())
    refused = [r for r in results if r is not None]
    assert len(refused) == hits - limit
    assert all(1 <= r <= 61 for r in refused)
