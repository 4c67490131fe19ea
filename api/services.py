"""The clients of the four dependencies, built once by the lifespan and shared by every request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from opensearchpy import AsyncOpenSearch
from redis.asyncio import Redis, RedisCluster

from cache.client import connect_cache_redis, connect_pubsub_redis, connect_redis
from cache.rate_limit import RateLimiter
from cache.realtime import RealtimeHub
from core.errors import AppError
from core.ids import configure_worker
from core.passwords import Passwords
from core.settings import Settings
from core.tokens import Tokens
from feed.likes import LikeBatcher
from feed.service import FeedService
from graph.driver import Graph
from graph.queries import load_queries
from media.service import MediaService
from media.storage import ObjectStore
from notify.consumer import NotificationConsumer
from notify.push import DisabledSender, PushSender, WebhookSender
from search.client import connect_opensearch
from search.service import SearchService

log = logging.getLogger(__name__)

# How often start-up work (schema, bucket) is retried while a dependency is down.
PREPARE_RETRY_SECONDS = 2.0


@dataclass
class Services:
    settings: Settings
    graph: Graph
    redis: Redis | RedisCluster  # durable: the event stream, job locks, rate limits, trending
    cache_redis: Redis | RedisCluster  # the caches (settings.cache_redis_url); ``redis`` when unset
    store: ObjectStore
    search: AsyncOpenSearch
    passwords: Passwords
    tokens: Tokens
    rate_limiter: RateLimiter
    feed: FeedService
    media: MediaService
    search_service: SearchService
    realtime_hub: RealtimeHub
    push_sender: PushSender
    notifications: NotificationConsumer
    likes: LikeBatcher  # group commit of concurrent likes per post
    prepared: asyncio.Event = field(default_factory=asyncio.Event)
    _prepare_task: asyncio.Task[None] | None = None
    _pull_lists_task: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Create the clients (no connection is made yet) and load the Cypher library (fail fast)."""
        load_queries()
        configure_worker(settings.id_worker)
        redis = connect_redis(settings)
        cache_redis = connect_cache_redis(settings) or redis
        graph = Graph.connect(settings)
        store = ObjectStore.connect(settings)
        search = connect_opensearch(settings)
        feed = FeedService.build(settings, graph, redis, cache_redis)
        sender: PushSender = (
            WebhookSender(settings.push_webhook_url) if settings.push_webhook_url else DisabledSender()
        )
        return cls(
            settings=settings,
            graph=graph,
            redis=redis,
            cache_redis=cache_redis,
            store=store,
            search=search,
            passwords=Passwords(settings),
            tokens=Tokens(settings),
            rate_limiter=RateLimiter(redis, settings.write_rate_limit_per_minute),
            feed=feed,
            media=MediaService(settings, graph, store),
            search_service=SearchService(settings, graph, search, redis),
            realtime_hub=RealtimeHub(connect_pubsub_redis(settings)),
            push_sender=sender,
            notifications=NotificationConsumer(graph, feed.bus, sender),
            likes=LikeBatcher.for_graph(
                graph,
                feed.publish_written_soon,
                after_commit=feed.counts_changed,
                likers=feed,
            ),
        )

    def start_preparing(self) -> None:
        """Apply the Neo4j schema and create the bucket in the background, retrying while a dependency
        is down: the API starts (and /readyz says what is missing) without waiting for them."""
        self._prepare_task = asyncio.create_task(self._prepare_until_done(), name="prepare-dependencies")

    def start_following_pull_lists(self) -> None:
        """Forget cached heads of celebrities' pull lists as soon as another process changes them."""
        self._pull_lists_task = asyncio.create_task(
            self.feed.pull_heads.follow_changes(self.realtime_hub), name="pull-list-changes"
        )

    async def _try_prepare(self) -> bool:
        try:
            await self.graph.apply_schema()
            await self.store.ensure_bucket()
        except (AppError, OSError) as exc:
            log.warning("dependencies not ready yet (%s); retrying in the background", exc)
            return False
        except Exception as exc:  # minio raises its own types for S3 errors
            log.warning("dependencies not ready yet (%r); retrying in the background", exc)
            return False
        self.prepared.set()
        return True

    async def _prepare_until_done(self) -> None:
        # Polling a dependency that may come back at any time; no event announces it.
        while not await self._try_prepare():  # noqa: ASYNC110
            await asyncio.sleep(PREPARE_RETRY_SECONDS)

    async def close(self) -> None:
        tasks = [t for t in (self._prepare_task, self._pull_lists_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.realtime_hub.close()
        await self.push_sender.close()
        await self.likes.close()  # before the clients its batches use
        await self.feed.card_refresh.close()
        await self.feed.state_refresh.close()
        await self.graph.close()
        await self.redis.aclose()
        if self.cache_redis is not self.redis:
            await self.cache_redis.aclose()
        await self.search.close()
