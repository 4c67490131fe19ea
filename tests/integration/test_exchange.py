"""Commands exchanged on one pooled connection (cache/exchange.py), against the real Redis: replies in
order, an error reply raised without leaving the connection out of step, a cancelled exchange never
leaves a reply for the next one, a connection Redis dropped is replaced."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from cache.client import connect_redis
from cache.exchange import exchange
from core.settings import Settings


def _one_connection(settings: Settings) -> Redis:
    """The app's client with a pool of one connection: every exchange reuses the same one."""
    redis = connect_redis(settings.model_copy(update={"redis_max_connections": 1}))
    assert isinstance(redis, Redis)
    return redis


def test_replies_come_in_order_and_an_error_reply_leaves_the_connection_in_step(settings: Settings) -> None:
    key = f"test:exchange:{uuid.uuid4().hex}"

    async def go() -> tuple[list[Any], str, list[Any]]:
        redis = _one_connection(settings)
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


def test_a_cancelled_exchange_leaves_no_reply_for_the_next(settings: Settings) -> None:
    key = f"test:exchange:{uuid.uuid4().hex}"

    async def go() -> list[Any]:
        redis = _one_connection(settings)
        try:
            waiting = asyncio.create_task(exchange(redis, [("BLPOP", key, 1)]))
            await asyncio.sleep(0.2)  # sent, its reply not there yet
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            return await exchange(redis, [("ECHO", "mine")])
        finally:
            await redis.aclose()

    assert asyncio.run(go()) == [b"mine"]


def test_a_connection_redis_dropped_is_replaced(settings: Settings) -> None:
    async def go() -> tuple[int, int]:
        redis = _one_connection(settings)
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
