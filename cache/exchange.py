"""A few commands sent together on one connection, their replies read in order: what a
non-transactional pipeline does, without redis-py's ``Pipeline`` object.

The feed read's two round trips (the home page script, then the cards and the viewer's flags) are on
the path of every request. On the app's client (cache/client.py ``MultiplexingRedis``) they go over the
process's shared connection (cache/multiplex.py): no pool checkout, one write for every request that
reached Redis in the same turn of the event loop. An in-process A/B of the feed read (8 alternated
pairs): 740 -> 531 µs of client CPU per read.

A client without it (``redis_multiplexed`` off, a unix socket, TLS) uses a pooled connection's own
primitives (``send_packed_command``, ``read_response``), ~70 µs per exchange against ~100-130 through
redis-py's ``Pipeline``. They keep the connection consistent: a read that fails or is cancelled
disconnects it, so no reply is ever left unread on a pooled connection; a stale connection (Redis
restarted) is retried on a fresh one by the client's retry policy, as redis-py does for every command.
On a cluster, :func:`routed` and :func:`command_on_node` send one command on the multiplexed connection
of the master serving it (cache/client.py ``MultiplexingCluster``): through redis-py's cluster client a
command cost ~100 µs of client CPU (slot lookup, pool checkout, timeouts, its own parsing), a warm read
makes five or six, and that client has no multiplexing. A redirect (the slot moved, the client's map is
stale), a cluster error or a lost connection sends the command through redis-py's cluster client,
which follows redirects and refreshes its map. A command may thus run twice (sent, then its connection
lost), so only commands that are safe to repeat come here: reads, and the timeline scripts of a read
(the page's EXPIRE, a rebuild's sentinel when absent and its merge, a union)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hiredis
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.crc import key_slot
from redis.exceptions import AskError, ClusterDownError, MovedError, ResponseError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from cache.client import MultiplexingCluster, MultiplexingRedis
from cache.multiplex import Multiplexed

# Replies that mean "not here, not now": the cluster client knows what to do about them.
_REDIRECTS = (MovedError, AskError, TryAgainError, ClusterDownError)


def pack(commands: Sequence[tuple[Any, ...]]) -> tuple[bytes, ...]:
    """``commands`` in Redis's wire format, for :func:`exchange` to send as they are (a caller that
    sends the same commands again and again packs them once: ~8 % of a worker's samples at the feed's
    saturation went to packing a page's card keys)."""
    return tuple(hiredis.pack_command(command) for command in commands)


async def exchange(
    redis: Redis, commands: Sequence[tuple[Any, ...]], packed: Sequence[bytes] | None = None
) -> list[Any]:
    """The replies of ``commands``, in order, sent in one write on one connection (``packed``: the
    same commands as :func:`pack` made them, sent instead: ``commands`` is then not read). An error
    reply is raised (the first one) after every reply has been read, as a pipeline does."""
    replies = await exchange_replies(redis, commands, packed)
    for reply in replies:
        if isinstance(reply, ResponseError):
            raise reply
    return replies


async def exchange_replies(
    redis: Redis, commands: Sequence[tuple[Any, ...]], packed: Sequence[bytes] | None = None
) -> list[Any]:
    """As :func:`exchange`, error replies left among the replies (exception instances) for the caller."""
    if isinstance(redis, MultiplexingRedis) and redis.multiplexed is not None:
        return await _multiplexed_exchange(redis.multiplexed, commands, packed)
    pool = redis.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        # Commands packed by the caller (pack()) are the same wire bytes: not packed a second time.
        wire = list(packed) if packed is not None else connection.pack_commands(commands)

        async def send_and_read() -> list[Any]:
            await connection.send_packed_command(wire)
            replies: list[Any] = []
            for _ in range(len(packed) if packed is not None else len(commands)):
                try:
                    replies.append(await connection.read_response())
                except ResponseError as error:  # the connection is still in step: read the rest
                    replies.append(error)
            return replies

        async def reset(_error: Exception) -> None:
            await connection.disconnect()

        replies: list[Any] = await connection.retry.call_with_retry(send_and_read, reset)
    finally:
        await pool.release(connection)
    return replies


async def _multiplexed_exchange(
    multiplexed: Multiplexed, commands: Sequence[tuple[Any, ...]], packed: Sequence[bytes] | None
) -> list[Any]:
    # No blocking commands here (BLPOP and the like): every caller queued behind one would wait.
    if packed is None:
        packed = pack(commands)
    try:
        return await multiplexed.execute(packed, len(packed))
    except RedisConnectionError:  # a connection found closed (Redis restarted): once more on a new one
        return await multiplexed.execute(packed, len(packed))


async def routed(redis: RedisCluster, key: str | bytes, *command: Any) -> Any:
    """The reply to ``command`` (whose keys share ``key``'s slot), sent to the master serving that slot."""
    await redis.initialize()  # the slot map (a no-op once read)
    slot = key_slot(key.encode() if isinstance(key, str) else key)
    return await command_on_node(redis, redis.nodes_manager.get_node_from_slot(slot), command)


async def command_on_node(redis: RedisCluster, node: ClusterNode, command: tuple[Any, ...]) -> Any:
    """The reply to ``command`` from ``node`` (an error reply raised), on its multiplexed connection
    when the client has one; see the module's docstring for what goes through redis-py instead."""
    multiplexed = redis.multiplexed_for(node) if isinstance(redis, MultiplexingCluster) else None
    if multiplexed is not None:
        try:
            (reply,) = await multiplexed.execute([hiredis.pack_command(command)], 1)
        except RedisConnectionError:  # the node restarted or failed over
            reply = None
        else:
            if not isinstance(reply, _REDIRECTS):
                if isinstance(reply, ResponseError):
                    raise reply
                return reply
    return await redis.execute_command(*command)
