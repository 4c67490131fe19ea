"""The realtime hub's subscriptions (cache/realtime.py) across a Redis outage, against a real
redis-server of the test's own: a subscription that fails while Redis is down leaves nothing behind,
and the same subscription made again once Redis is back receives messages."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache.realtime import RealtimeEvent, RealtimeHub
from tests.private_servers import PrivateRedis


def test_a_subscription_refused_while_redis_is_down_works_once_it_is_back(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    event = RealtimeEvent(1, "ping", {})

    async def scenario() -> RealtimeEvent | None:
        hub = RealtimeHub(Redis.from_url(url, socket_connect_timeout=1))
        publisher = Redis.from_url(url, socket_connect_timeout=1)
        try:
            await hub.subscribe(["first"])  # the hub is running
            await asyncio.to_thread(server.stop)
            with pytest.raises((RedisError, OSError)):
                await hub.subscribe(["second"])
            await asyncio.to_thread(server.start)
            second = await hub.subscribe(["second"])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                await publisher.publish("second", event.encode())
                try:
                    return await asyncio.wait_for(second.get(), timeout=0.2)
                except TimeoutError:
                    continue
            return None
        finally:
            await hub.close()
            await publisher.aclose()
            server.stop()

    assert asyncio.run(scenario()) == event
