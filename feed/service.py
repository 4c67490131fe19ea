"""The feed's parts, assembled once per process (API lifespan or worker) from the shared clients."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from cache.events import EventStream
from cache.realtime import RealtimeBus
from cache.timeline import Timelines
from core.settings import Settings
from feed.celebrity_cache import PullFolloweesCache
from feed.fanout import FanOut
from feed.policy import CelebrityPolicy
from feed.reader import FeedReader
from feed.relay import OutboxRelay
from graph.driver import Graph

log = logging.getLogger(__name__)

# Margin on top of the readers' cache lifetime during which a new celebrity's posts are still pushed.
_GRACE_MARGIN_MS = 1000


@dataclass
class FeedService:
    home: Timelines
    pulls: Timelines
    pull_cache: PullFolloweesCache
    stream: EventStream
    relay: OutboxRelay
    reader: FeedReader
    fanout: FanOut
    bus: RealtimeBus

    @classmethod
    def build(cls, settings: Settings, graph: Graph, redis: Redis | RedisCluster) -> FeedService:
        ttl = settings.active_days * 86_400
        home = Timelines(redis, prefix="tl", cap=settings.timeline_cap, ttl_seconds=ttl)
        pulls = Timelines(redis, prefix="ap", cap=settings.timeline_cap, ttl_seconds=ttl)
        pull_cache = PullFolloweesCache(redis, settings.pull_cache_ttl_seconds)
        stream = EventStream(redis)
        bus = RealtimeBus(redis)
        policy = CelebrityPolicy(
            settings.celebrity_threshold, settings.pull_cache_ttl_seconds * 1000 + _GRACE_MARGIN_MS
        )
        return cls(
            home=home,
            pulls=pulls,
            pull_cache=pull_cache,
            stream=stream,
            relay=OutboxRelay(graph, stream),
            reader=FeedReader(graph, redis, home, pulls, pull_cache),
            fanout=FanOut(
                graph,
                home,
                pulls,
                pull_cache,
                policy,
                bus,
                batch_size=settings.fanout_batch_size,
                active_days=settings.active_days,
            ),
            bus=bus,
        )

    async def publish_soon(self, event_id: int) -> None:
        """The API's fast path after a commit. Failure is fine: the worker's sweep publishes it later."""
        try:
            await self.relay.publish([event_id])
        except Exception as exc:  # any failure here is recovered by the sweep
            log.warning("event %s left for the outbox sweep: %r", event_id, exc)

    async def follows_changed(self, *user_ids: int) -> None:
        """A follow, unfollow or block changed whom these users read: their timelines are rebuilt from
        the graph on the next read, and their cached celebrity list is forgotten."""
        try:
            for user_id in user_ids:
                await self.home.drop(user_id)
            await self.pull_cache.forget(user_ids)
        except (RedisError, OSError) as exc:
            log.warning("could not reset timelines of %s (they expire on their own): %s", user_ids, exc)
