"""The Redis connection: a single node locally, a Redis Cluster in production (same key scheme)."""

from __future__ import annotations

import os
from typing import Any, TypeAlias

import hiredis
from redis.asyncio import Connection, Redis, RedisCluster, SSLConnection
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from cache.multiplex import Multiplexed
from core.settings import Settings

RedisClient: TypeAlias = "Redis | RedisCluster"


class HiredisPackingConnection(Connection):
    """A connection that packs commands with hiredis (C) instead of redis-py's Python loop.

    redis-py's sync client does this when hiredis is installed; its asyncio client does not, and
    packing the thousands of keys of one fan-out call argument by argument was the largest client
    cost of a push. Anything hiredis cannot pack (a bool, say) goes to redis-py's own packer, which
    raises its usual error."""

    def pack_command(self, *args: Any) -> list[bytes]:
        command = args[0]
        if isinstance(command, str):  # "CONFIG GET" etc.: Redis wants the words as arguments
            args = (*command.encode().split(), *args[1:])
        elif b" " in command:
            args = (*command.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return super().pack_command(*args)


class HiredisPackingCluster(RedisCluster):
    """The cluster client, its node connections packing with hiredis as well: redis-py's constructor
    fixes their class, so it is replaced before the first connection is made (connections are made
    lazily, and nodes found later are made from the same options)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes_manager.connection_kwargs["connection_class"] = HiredisPackingConnection
        for node in self.nodes_manager.startup_nodes.values():
            node.connection_class = HiredisPackingConnection


class MultiplexingCluster(HiredisPackingCluster):
    """The cluster client, plus one multiplexed connection per master (cache/multiplex.py), made on
    first use, for the feed read's hot commands (cache/exchange.py ``command_on_node``); everything
    else, and whatever a multiplexed connection cannot answer (a redirect, a lost node), goes through
    redis-py's routing. Closed with the client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._multiplexed: dict[str, Multiplexed] = {}

    def multiplexed_for(self, node: ClusterNode) -> Multiplexed | None:
        """The node's shared connection; None for TLS (the multiplexer speaks plain TCP)."""
        found = self._multiplexed.get(node.name)
        if found is None:
            options = self.nodes_manager.connection_kwargs
            if options.get("connection_class") is SSLConnection or any(k.startswith("ssl") for k in options):
                return None
            found = self._multiplexed[node.name] = Multiplexed(
                host=node.host,
                port=int(node.port),
                username=options.get("username"),
                password=options.get("password"),
                timeout=float(options.get("socket_timeout") or 5.0),
            )
        return found

    async def aclose(self) -> None:
        for multiplexed in self._multiplexed.values():
            multiplexed.close()
        self._multiplexed.clear()
        await super().aclose()


class MultiplexingRedis(Redis):
    """The standalone client, plus one connection shared by the process's hot exchanges
    (cache/multiplex.py, used by cache/exchange.py); closed with the client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.connection_pool.connection_kwargs
        # A unix socket or TLS connection keeps to the pool (the multiplexer speaks plain TCP).
        plain_tcp = "path" not in options and not any(k.startswith("ssl") for k in options)
        self.multiplexed: Multiplexed | None = (
            None
            if not plain_tcp
            else Multiplexed(
                host=options.get("host", "localhost"),
                port=int(options.get("port", 6379)),
                db=int(options.get("db") or 0),
                username=options.get("username"),
                password=options.get("password"),
                timeout=float(options.get("socket_timeout") or 5.0),
            )
        )

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self.multiplexed is not None:
            self.multiplexed.close()
        await super().aclose(close_connection_pool)


def _retry_stale_connections() -> Retry:
    """A pooled connection goes stale when Redis restarts or fails over: the first command on it meets
    a closed socket. Retry such a command on a fresh connection (twice at most, soon). Only on a closed
    connection, not on a timeout (the command may then have run); what is retried here is idempotent
    (timeline scripts dedupe, events are consumed idempotently). redis-py's pooled connections retry
    nothing by default."""
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2, supported_errors=(RedisConnectionError,))


def connect_redis(settings: Settings, url: str | None = None) -> Redis | RedisCluster:
    """Create the client (of ``url``, default the durable ``redis_url``); nothing is connected until
    the first command."""
    url = url or settings.redis_url
    timeout = settings.dependency_timeout_seconds
    if settings.redis_cluster:
        cluster_class = MultiplexingCluster if settings.redis_multiplexed else HiredisPackingCluster
        return cluster_class.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=False,
            retry=_retry_stale_connections(),
        )
    client_class = MultiplexingRedis if settings.redis_multiplexed else Redis
    return client_class.from_url(
        url,
        max_connections=settings.redis_max_connections,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=False,
        health_check_interval=30,
        retry=_retry_stale_connections(),
        connection_class=HiredisPackingConnection,
    )


def local_cache_redis_url() -> str:
    """The caches' Redis that `make services` starts on this machine (infra/lib/redis_cache.sh)."""
    return f"redis://127.0.0.1:{os.environ.get('FEEDGRAPH_REDIS_CACHE_PORT', '6380')}/0"


def connect_cache_redis(settings: Settings) -> Redis | RedisCluster | None:
    """The caches' own client (``cache_redis_url``), or None when the caches share the durable Redis."""
    if settings.cache_redis_url is None or settings.cache_redis_url == settings.redis_url:
        return None
    return connect_redis(settings, settings.cache_redis_url)


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
