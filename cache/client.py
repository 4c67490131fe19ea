"""The Redis connection: a single node locally, a Redis Cluster in production (same key scheme)."""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis, RedisCluster

from core.settings import Settings

RedisClient: TypeAlias = "Redis | RedisCluster"


def connect_redis(settings: Settings) -> Redis | RedisCluster:
    """Create the client; nothing is connected until the first command."""
    timeout = settings.dependency_timeout_seconds
    if settings.redis_cluster:
        return RedisCluster.from_url(
            settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=False
        )
    return Redis.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=False,
        health_check_interval=30,
    )


async def redis_version(client: Redis | RedisCluster) -> str:
    """A real round trip: the server's version from INFO server."""
    info = await client.info("server")
    if isinstance(client, RedisCluster):  # keyed by node
        info = next(iter(info.values())) if info and isinstance(next(iter(info.values())), dict) else info
    return str(info.get("redis_version", "?"))


def connect_pubsub_redis(settings: Settings) -> Redis:
    """A plain client for pub/sub subscriptions. On a Redis Cluster, PUBLISH reaches every node, so a
    connection to the seed node hears every channel (redis-py's async cluster client has no pub/sub)."""
    timeout = settings.dependency_timeout_seconds
    return Redis.from_url(settings.redis_url, socket_connect_timeout=timeout, decode_responses=False)
