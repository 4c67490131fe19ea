"""Refresh ahead: cached values that readers met close to their expiry, read again from the graph in
the background and put back before they expire (the post cache's cards, cache/post_cards.py, and the
viewers' states, cache/viewer_state.py; feed/cache_refresh.py says how each is refreshed).

Without it, values filled together (a cold start, a deploy, a benchmark's warm-up) expire together a
TTL later, and every reader meeting one goes to the graph on its request's path at the same moment.

One drain task per process and kind at most, each round refreshing up to ``batch`` waiting values:
however many readers meet stale values, the graph sees a bounded trickle of reads, off every
request's path. Waiting values are bounded too (``max_waiting``): past that a stale value is simply
used until it expires, and the next reader after that reads the graph as before. After a failed round
(the graph or Redis down) notices are ignored for ``pause_seconds``, so a degraded system is not asked
again on every read."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

MAX_WAITING = 5_000
PAUSE_AFTER_FAILURE_SECONDS = 5.0

K = TypeVar("K", bound=Hashable)  # what is refreshed (a cache key, a viewer id)
S = TypeVar("S")  # what the reader saw: a refresh replaces only that


class RefreshAhead(Generic[K, S]):
    def __init__(
        self,
        name: str,
        refresh: Callable[[dict[K, S]], Awaitable[None]],
        *,
        batch: int,
        max_waiting: int = MAX_WAITING,
        pause_seconds: float = PAUSE_AFTER_FAILURE_SECONDS,
    ) -> None:
        self._name = name
        self._refresh = refresh
        self._batch = batch
        self._max_waiting = max_waiting
        self._pause_seconds = pause_seconds
        self._waiting: dict[K, S] = {}
        self._in_flight: dict[K, S] = {}  # the round being refreshed: not asked for twice
        self._paused_until = 0.0
        self._task: asyncio.Task[None] | None = None

    def notice(self, stale: Mapping[K, S]) -> None:
        """Values a reader met going stale, each with what it saw; returns at once."""
        if time.monotonic() < self._paused_until:
            return
        for key, seen in stale.items():
            if len(self._waiting) >= self._max_waiting:
                break
            if key not in self._in_flight:
                self._waiting.setdefault(key, seen)
        if self._waiting and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._drain(), name=f"refresh-{self._name}")

    async def idle(self) -> None:
        """Until nothing is waiting or being refreshed (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[: self._batch]
            self._in_flight = {key: self._waiting.pop(key) for key in keys}
            try:
                await self._refresh(self._in_flight)
            except Exception as exc:  # stale values serve on until they expire, then readers refill
                log.warning("refresh of %d %s failed: %r", len(self._in_flight), self._name, exc)
                self._waiting.clear()
                self._paused_until = time.monotonic() + self._pause_seconds
            finally:
                self._in_flight = {}
