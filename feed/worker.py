"""The background worker: the outbox relay sweep and one consumer per consumer group of the event
stream (fan-out, and whatever else registers in :func:`consumer_groups`). Run several to scale."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ClusterDownError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.services import Services
from cache.events import Event, Handler, RetryLater
from core.errors import Unavailable
from core.gc_tuning import collector_clock, tune_gc
from core.settings import Settings
from feed.card_events import GROUP as CARDS_GROUP
from feed.card_events import PostCacheRepair
from feed.fanout import GROUP as FANOUT_GROUP
from feed.relay import SWEEP_AGE_MS
from feed.service import FeedService
from media.cleanup import GROUP as MEDIA_GROUP
from notify.consumer import GROUP as NOTIFY_GROUP
from search.indexer import GROUP as SEARCH_GROUP

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 1.0
# After a failure (a dependency down), wait this long, doubling up to the maximum.
_BACKOFF_START, _BACKOFF_MAX = 0.5, 10.0


def consumer_groups(services: Services) -> dict[str, Handler]:
    """Every consumer group of the event stream and its handler. Each group sees every event."""
    handlers: dict[str, Handler] = {
        FANOUT_GROUP: services.feed.fanout.handle,
        MEDIA_GROUP: services.media.handle_events,
        SEARCH_GROUP: services.search_service.indexer.handle,
        NOTIFY_GROUP: services.notifications.handle,
        CARDS_GROUP: PostCacheRepair(services.feed.cards, services.graph).handle,
    }
    return {group: waiting_out_outages(handler) for group, handler in handlers.items()}


# A dependency that cannot be reached (Neo4j, or the caches' Redis while the stream's answers).
_OUTAGES = (Unavailable, RedisConnectionError, RedisTimeoutError, ClusterDownError)


def waiting_out_outages(handler: Handler) -> Handler:
    """``handler``, an unreachable dependency turned into :class:`RetryLater`: the batch is retried
    until the dependency is back, never parked as poison. Parking counted the attempts of an outage:
    with the caches on a Redis of their own, five failed fan-outs (a couple of minutes unreachable)
    dropped the post from timelines that then came back complete by rule
    (``test_fan_out_waits_out_a_caches_outage_of_any_length_and_lands_when_they_return``)."""

    @functools.wraps(handler)
    async def handle(events: list[Event]) -> None:
        try:
            await handler(events)
        except _OUTAGES as exc:
            raise RetryLater(f"a dependency is unreachable: {exc!r}") from exc

    return handle


class Worker:
    def __init__(
        self,
        feed: FeedService,
        groups: dict[str, Handler],
        consumer: str | None = None,
        reclaim_idle_ms: int = 30_000,
    ) -> None:
        self.feed = feed
        self.groups = groups
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.reclaim_idle_ms = reclaim_idle_ms

    @classmethod
    def for_services(cls, services: Services, consumer: str | None = None) -> Worker:
        reclaim = services.settings.event_reclaim_idle_ms
        return cls(services.feed, consumer_groups(services), consumer, reclaim_idle_ms=reclaim)

    async def setup(self) -> None:
        for group in self.groups:
            await self.feed.stream.ensure_group(group)

    async def sweep_once(self, older_than_ms: int = SWEEP_AGE_MS) -> int:
        return await self.feed.relay.sweep(older_than_ms)

    async def consume_once(self, group: str, block_ms: int = 1000, reclaim_idle_ms: int | None = None) -> int:
        return await self.feed.stream.consume_once(
            group,
            self.consumer,
            self.groups[group],
            block_ms=block_ms,
            reclaim_idle_ms=self.reclaim_idle_ms if reclaim_idle_ms is None else reclaim_idle_ms,
        )

    async def drain(self, reclaim_idle_ms: int | None = None, sweep_age_ms: int = SWEEP_AGE_MS) -> int:
        """Sweep the outbox and handle events until no group has any left (tests, one-shot runs)."""
        await self.setup()
        handled = 0
        await self.sweep_once(sweep_age_ms)
        for group in self.groups:
            while batch := await self.consume_once(group, block_ms=1, reclaim_idle_ms=reclaim_idle_ms):
                handled += batch
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        await _retrying(self.setup, stop)
        loops = [self._loop(self._sweep_step, stop)]
        loops += [self._loop(functools.partial(self.consume_once, group), stop) for group in self.groups]
        await asyncio.gather(*loops)

    async def _sweep_step(self) -> int:
        swept = await self.sweep_once()
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
        return swept

    @staticmethod
    async def _loop(step: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> None:
        backoff = _BACKOFF_START
        while not stop.is_set():
            try:
                await step()
                backoff = _BACKOFF_START
            except Exception as exc:  # a dependency is down: keep the worker alive and retry
                log.warning("worker step failed (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)


async def _retrying(step: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> None:
    backoff = _BACKOFF_START
    while not stop.is_set():
        try:
            await step()
            return
        except Exception as exc:
            log.warning("worker setup failed (%r); retrying in %.1fs", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)


async def run_worker(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = Services.build(settings)
    tune_gc(settings.gc_gen0_threshold)
    collector = collector_clock(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        services.start_preparing()
        worker = Worker.for_services(services)
        log.info("worker %s started (groups: %s)", worker.consumer, ", ".join(worker.groups))
        runner = asyncio.create_task(worker.run(stop))
        await stop.wait()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        log.info("worker %s stopped", worker.consumer)
    finally:
        if collector is not None:
            collector.cancel()
        await services.close()
