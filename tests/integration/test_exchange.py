"""Commands exchanged on one connection (cache/exchange.py), against the real Redis, both ways it goes:
on the app's shared multiplexed connection (cache/multiplex.py) and on a pooled connection (a client
without one: a unix socket or TLS). Replies in order, an error reply raised without leaving the
connection out of step, a cancelled exchange never leaves a reply for the next one, a connection Redis
dropped is replaced."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from cache.client import MultiplexingRedis, connect_redis
from cache.exchange import exchange, pack
from core.settings import Settings


def _multiplexed(settings: Settings) -> Redis:
    redis = connect_redis(settings)
    assert isinstance(redis, MultiplexingRedis) and redis.multiplexed is not None
    return redis


def _pooled(settings: Settings) -> Redis:
    """The app's client without its multiplexed connection, with a pool of one: every exchange reuses it."""
    redis = connect_redis(
        settings.model_copy(update={"redis_multiplexed": False, "redis_max_connections": 1})
    )
    assert isinstance(redis, Redis) and not getattr(redis, "multiplexed", None)
    return redis


CLIENTS = pytest.mark.parametrize("connect", [_multiplexed, _pooled], ids=["multiplexed", "pooled"])


@CLIENTS
def test_replies_come_in_order_and_an_error_reply_leaves_the_connection_in_step(
    settings: Settings, connect: Callable[[Settings], Redis]
) -> None:
    key = f"test:exchange:{uuid.uuid4().hex}"

    async def go() -> tuple[list[Any], str, list[Any]]:
        redis = connect(settings)
        try:
            first = await exchange(redis, [("SET", key, "1"), ("INCR", key), ("ECHO", "x")])
            with pytest.raises(ResponseError) as raised:
                await exchange(redis, [("INCR", key), ("HGET", key, "f"), ("ECHO", "after the error")])
            return first, str(raised.value), await exchange(redis, [("GET", key), ("ECHO", "next")])
        finally:
            await redis.delete(key)
            await redis.aclose()

    first, error, after = asyncio.run(go())
    assert first == [b"OK", 2, b"x"]
    assert "WRONGTYPE" in error
    assert after == [b"3", b"next"]  # the INCR before the error ran; no reply was left behind


@CLIENTS
def test_commands_packed_once_are_sent_again_as_they_are(
    settings: Settings, connect: Callable[[Settings], Redis]
) -> None:
    key = f"test:exchange:{uuid.uuid4().hex}"
    commands = [("INCR", key), ("ECHO", "packed")]

    async def go() -> list[list[Any]]:
        redis = connect(settings)
        try:
            packed = pack(commands)
            return [await exchange(redis, commands, packed) for _ in range(3)]
        finally:
            await redis.delete(key)
            await redis.aclose()

    assert asyncio.run(go()) == [[1, b"packed"], [2, b"packed"], [3, b"packed"]]


@CLIENTS
def test_a_cancelled_exchange_leaves_no_reply_for_the_next(
    settings: Settings, connect: Callable[[Settings], Redis]
) -> None:
    key = f"test:exchange:{uuid.uuid4().hex}"

    async def go() -> list[Any]:
        redis = connect(settings)
        try:
            waiting = asyncio.create_task(exchange(redis, [("BLPOP", key, 1)]))
            await asyncio.sleep(0.2)  # sent, its reply not there yet
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            return await exchange(redis, [("ECHO", "mine")])
        finally:
            await redis.aclose()

    assert asyncio.run(go()) == [b"mine"]


@CLIENTS
def test_a_connection_redis_dropped_is_replaced(
    settings: Settings, connect: Callable[[Settings], Redis]
) -> None:
    async def go() -> tuple[int, int]:
        redis = connect(settings)
        other = connect_redis(settings)
        try:
            (before,) = await exchange(redis, [("CLIENT", "ID")])
            await other.execute_command("CLIENT", "KILL", "ID", before)  # as a restart or a failover does
            (after,) = await exchange(redis, [("CLIENT", "ID")])
            return int(before), int(after)
        finally:
            await redis.aclose()
            await other.aclose()

    before, after = asyncio.run(go())
    assert after != before
