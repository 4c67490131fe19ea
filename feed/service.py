"""The feed's parts, assembled once per process (API lifespan or worker) from the shared clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from cache.events import Event, EventStream
from cache.post_cards import PostCards
from cache.realtime import RealtimeBus
from cache.timeline import Timelines
from cache.viewer_state import Holds, ViewerStates
from core.settings import Settings
from feed.cache_refresh import CardRefresh, StateRefresh, card_refresh, state_refresh
from feed.celebrity_cache import PullFolloweesCache
from feed.fanout import FanOut
from feed.hydration import EntryHydrator
from feed.page_memo import PageMemo
from feed.policy import CelebrityPolicy
from feed.pull_heads import PullHeads
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
    pull_heads: PullHeads
    pull_cache: PullFolloweesCache
    cards: PostCards
    card_refresh: CardRefresh
    state_refresh: StateRefresh
    viewer_states: ViewerStates
    stream: EventStream
    relay: OutboxRelay
    reader: FeedReader
    fanout: FanOut
    bus: RealtimeBus

    @classmethod
    def build(
        cls,
        settings: Settings,
        graph: Graph,
        redis: Redis | RedisCluster,
        cache_redis: Redis | RedisCluster | None = None,
    ) -> FeedService:
        """``redis`` keeps the event stream; ``cache_redis`` (default ``redis``) the timelines and
        caches, all rebuilt from the graph when lost (settings.cache_redis_url)."""
        caches = cache_redis if cache_redis is not None else redis
        ttl = settings.active_days * 86_400
        home = Timelines(caches, prefix="tl", cap=settings.timeline_cap, ttl_seconds=ttl)
        pulls = Timelines(caches, prefix="ap", cap=settings.timeline_cap, ttl_seconds=ttl)
        pull_cache = PullFolloweesCache(caches, settings.pull_cache_ttl_seconds)
        pull_heads = PullHeads(pulls, settings.pull_head_cache_ms)
        cards = PostCards(caches, ttl_seconds=settings.post_cache_ttl_seconds)
        viewer_states = ViewerStates(caches, ttl_seconds=settings.post_cache_ttl_seconds)
        refresh_cards, refresh_states = card_refresh(graph, cards), state_refresh(graph, viewer_states)
        cards.on_stale = refresh_cards.notice
        stream = EventStream(redis)
        bus = RealtimeBus(redis)
        policy = CelebrityPolicy(
            settings.celebrity_threshold, settings.pull_cache_ttl_seconds * 1000 + _GRACE_MARGIN_MS
        )
        return cls(
            home=home,
            pulls=pulls,
            pull_heads=pull_heads,
            pull_cache=pull_cache,
            cards=cards,
            card_refresh=refresh_cards,
            state_refresh=refresh_states,
            viewer_states=viewer_states,
            stream=stream,
            relay=OutboxRelay(graph, stream),
            reader=FeedReader(
                graph,
                caches,
                home,
                pulls,
                pull_heads,
                pull_cache,
                EntryHydrator(graph, caches, cards, viewer_states, home, refresh_states),
                PageMemo(
                    settings.feed_page_memo_pages,
                    # A kept page's signed media URLs were signed when it was made.
                    min(settings.feed_page_memo_seconds, settings.media_url_ttl_seconds / 4),
                    settings.feed_page_memo_check_seconds,
                ),
            ),
            fanout=FanOut(
                graph,
                home,
                pulls,
                pull_heads,
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

    async def cards_changed(self, post_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        """A committed write changed what everyone sees of these posts or profiles. Failure is logged:
        the cache entry then expires on its own (post_cache_ttl_seconds)."""
        try:
            await self.cards.forget(post_ids, user_ids)
        except (RedisError, OSError) as exc:
            log.warning("post cache not told of %s / %s (expires on its own): %s", post_ids, user_ids, exc)

    async def publish_written_soon(self, events: list[Event]) -> None:
        """The fast path for events the caller wrote and knows in full (see OutboxRelay.publish_written)."""
        try:
            await self.relay.publish_written(events)
        except Exception as exc:  # any failure here is recovered by the sweep
            log.warning("%d events left for the outbox sweep: %r", len(events), exc)

    async def counts_changed(self, post_id: int, counts: Mapping[str, int] | None) -> None:
        """A committed write changed this post's counts (``counts`` as the transaction returned them,
        with ``counts_version``). Failure is logged: the worker records them again from the outbox
        event, and the card's own counts are the fallback."""
        if counts is None:
            return
        try:
            await self.cards.record_counts(post_id, dict(counts))
        except (RedisError, OSError) as exc:
            log.warning("counts of post %s not recorded (the worker will): %s", post_id, exc)

    async def viewers_changed(self, user_ids: Iterable[int]) -> None:
        """These users' likes, shares, blocks or mutes change: call before the write and again after
        its commit (cache/viewer_state.py says why). Failure is logged: the state expires on its own."""
        try:
            await self.viewer_states.forget(user_ids)
        except (RedisError, OSError) as exc:
            log.warning("viewer state of %s not forgotten (expires on its own): %s", user_ids, exc)

    async def hold_likers(self, user_ids: list[int]) -> Holds:
        """Before a like batch's transaction: its users' cached states are held, not forgotten
        (cache/viewer_state.py). Failure is logged and the release then forgets them."""
        try:
            return await self.viewer_states.hold(user_ids)
        except (RedisError, OSError) as exc:
            log.warning("viewer states of %s not held (forgotten after the commit): %s", user_ids, exc)
            return Holds("", list(user_ids), set())

    async def release_likers(self, held: Holds | None, post_id: int, liked: list[int]) -> None:
        """After the commit: the held states come back with the new likes (or are forgotten). Failure is
        logged: a held state then reads as absent once its hold-off ends, and is filled afresh."""
        if held is None:
            return
        try:
            await self.viewer_states.release(held, post_id, liked)
        except (RedisError, OSError) as exc:
            log.warning("viewer states of %s not released (the hold-off ends it): %s", held.viewers, exc)

    @asynccontextmanager
    async def changing_viewers(self, *user_ids: int) -> AsyncIterator[None]:
        """Around a write that changes these users' likes, shares, blocks or mutes: their cached viewer
        state is forgotten before it (so a crash after the commit leaves nothing stale) and after it."""
        await self.viewers_changed(user_ids)
        try:
            yield
        finally:
            await self.viewers_changed(user_ids)

    async def follows_changed(self, *user_ids: int) -> None:
        """A follow, unfollow or block changed whom these users read: their timelines are rebuilt from
        the graph on the next read, and their cached celebrity list is forgotten."""
        try:
            for user_id in user_ids:
                await self.home.drop(user_id)
            await self.pull_cache.forget(user_ids)
        except (RedisError, OSError) as exc:
            log.warning("could not reset timelines of %s (they expire on their own): %s", user_ids, exc)
