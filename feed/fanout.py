"""Fan-out on write: the ``fanout`` consumer group's handler of post and share events.

For an ordinary author, the entry (a post id or a share id) goes into the home timeline of every
follower who is active, read from the graph in batches and written with pipelined server-side
scripts. A celebrity's entries go only into their own pull list, which readers merge at read time.
Followers connected to the real-time stream are told (``new_post``, ``post_deleted``): per follower
for pushed entries, once on the author's channel for a celebrity.
Timelines are idempotent: a redelivered event changes nothing (a connected client may see a real-time
message twice and dedupes by ``entry_id``)."""

from __future__ import annotations

import asyncio
import logging
import secrets

from redis.exceptions import RedisError

from cache.events import Event
from cache.realtime import RealtimeBus
from cache.timeline import Timelines
from core.clock import now_ms
from core.concurrency import run_bounded
from feed.celebrity_cache import PullFolloweesCache
from feed.policy import CelebrityPolicy, Transition
from feed.pull_heads import PullHeads
from graph.driver import Graph
from graph.repositories import feed as feed_graph

log = logging.getLogger(__name__)

GROUP = "fanout"
# Entries of an author copied into each follower's timeline when the author goes back to push.
BACKFILL_ENTRIES = 200
_DAY_MS = 86_400_000
# The activity mark in the graph is refreshed at most hourly (feed/reader.py): widen the window by it.
_ACTIVITY_SLACK_MS = 3_600_000
# Follower batches of one entry in flight at once: Redis runs one batch's script while this process
# reads and encodes the next (one at a time, each side idled while the other worked). A failure
# cancels the rest; the event stays pending and is redelivered, and timelines are idempotent.
BATCHES_IN_FLIGHT = 4


class FanOut:
    def __init__(
        self,
        graph: Graph,
        home: Timelines,
        pulls: Timelines,
        pull_heads: PullHeads,
        pull_cache: PullFolloweesCache,
        policy: CelebrityPolicy,
        bus: RealtimeBus,
        *,
        batch_size: int,
        active_days: int,
    ) -> None:
        self._graph = graph
        self._bus = bus
        self._home = home
        self._pulls = pulls
        self._pull_heads = pull_heads
        self._pull_cache = pull_cache
        self._policy = policy
        self._batch_size = batch_size
        self._active_ms = active_days * _DAY_MS + _ACTIVITY_SLACK_MS

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.type == "post_created":
                await self.deliver(event.actor_id, event.post_id, event.visibility or "public", event.post_id)
            elif event.type == "post_shared" and event.share_id is not None:
                await self.deliver(event.actor_id, event.share_id, "public", event.post_id)
            elif event.type == "post_deleted":
                await self.withdraw(event.actor_id, event.post_id, event.post_id)
            elif event.type == "post_unshared" and event.share_id is not None:
                await self.withdraw(event.actor_id, event.share_id, event.post_id)
            else:  # likes, comments, profile and follow events are for other groups (search)
                log.debug("fan-out ignores event %s of type %s", event.id, event.type)

    async def deliver(
        self, author_id: int, entry_id: int, visibility: str, post_id: int | None = None
    ) -> int:
        """Put a new entry where its readers will find it; returns the number of timeline inserts."""
        news = {"entry_id": str(entry_id), "post_id": str(post_id or entry_id), "by": str(author_id)}
        # One push attempt for every batch of this delivery (disjoint timelines): the batches after the
        # first skip reading heads as long as no newer entry is pushed meanwhile (cache/timeline.py).
        attempt = secrets.token_hex(4)
        # The author's own feed shows their entries.
        own = self._push_and_tell(entry_id, [author_id], news, attempt)
        if visibility == "private":
            await own
            return 1
        # Independent: one wait for both (each round trip is on the path of every post).
        _, state = await asyncio.gather(own, feed_graph.author_state(self._graph, author_id))
        if state is None:  # the author is gone
            return 0
        pull_feed, pull_since = await self._apply_transition(author_id, state)
        # A no-op unless the author has a pull list; when it changed, the copies of its head go.
        if await self._pulls.push(entry_id, [author_id]):
            await self._pull_list_changed(author_id)
        if not self._policy.pushes(pull_feed, pull_since, now_ms()):
            await self._bus.to_author_followers(author_id, "new_post", news)
            return 1
        active_since = now_ms() - self._active_ms
        batches = feed_graph.follower_batches(self._graph, author_id, self._batch_size, active_since)
        # The API refuses to follow oneself; should the graph hold such an edge anyway, the author's
        # timeline must not come twice in one attempt.
        pushes = (
            self._push_and_tell(entry_id, [u for u in batch if u != author_id], news, attempt)
            async for batch in batches
        )
        return 1 + sum(await run_bounded(pushes, BATCHES_IN_FLIGHT))

    async def withdraw(self, author_id: int, entry_id: int, post_id: int | None = None) -> None:
        """Remove a deleted post or withdrawn share from every timeline that may hold it."""
        gone = {"entry_id": str(entry_id), "post_id": str(post_id or entry_id), "by": str(author_id)}
        await self._home.unpush(entry_id, [author_id])
        await self._pulls.unpush(entry_id, [author_id])
        await self._pull_list_changed(author_id)
        await self._bus.to_author_followers(author_id, "post_deleted", gone)
        await self._tell_present([author_id], "post_deleted", gone)
        batches = feed_graph.follower_batches(self._graph, author_id, self._batch_size)
        await run_bounded(
            (self._unpush_and_tell(entry_id, batch, gone) async for batch in batches), BATCHES_IN_FLIGHT
        )

    async def _push_and_tell(
        self, entry_id: int, user_ids: list[int], news: dict[str, str], attempt: str
    ) -> int:
        """One batch of followers: the entry into their timelines, then a notice to those connected —
        in that order, so a client that reloads its feed on the notice finds the entry there. (Batches
        overlap with each other, which is where the concurrency is.)"""
        inserted = await self._home.push(entry_id, user_ids, attempt=attempt)
        await self._tell_present(user_ids, "new_post", news)
        return inserted

    async def _unpush_and_tell(self, entry_id: int, user_ids: list[int], gone: dict[str, str]) -> None:
        await self._home.unpush(entry_id, user_ids)
        await self._tell_present(user_ids, "post_deleted", gone)

    async def _tell_present(self, user_ids: list[int], type_: str, data: dict[str, str]) -> None:
        await self._bus.to_users(await self._bus.present(user_ids), type_, data)

    async def _apply_transition(
        self, author_id: int, state: feed_graph.AuthorState
    ) -> tuple[bool, int | None]:
        """Switch the author between push and pull when they crossed the threshold; no gap, no duplicate
        (readers merge by id, so an entry found both pushed and pulled shows once)."""
        transition = self._policy.transition(state)
        now = now_ms()
        if transition is Transition.TO_PULL:
            # Pull list first, then the flag, then the readers' caches: from the flag on, readers pull.
            await self._pulls.rebuild(
                author_id, lambda: feed_graph.author_recent_entries(self._graph, author_id, self._pulls.cap)
            )
            await self._pull_list_changed(author_id)
            await feed_graph.set_pull_feed(self._graph, author_id, True, now)
            await self._forget_pull_caches(author_id)
            log.info("author %s now pulled at read time (%s followers)", author_id, state.follower_count)
            return True, now
        if transition is Transition.TO_PUSH:
            # Backfill first, so that entries made while pulled stay in followers' feeds once they stop
            # pulling; only then clear the flag and the readers' caches.
            recent = await feed_graph.author_recent_entries(self._graph, author_id, BACKFILL_ENTRIES)
            active_since = now - self._active_ms
            async for batch in feed_graph.follower_batches(
                self._graph, author_id, self._batch_size, active_since
            ):
                for follower in batch:
                    await self._home.push_many(recent, follower)
            await feed_graph.set_pull_feed(self._graph, author_id, False, now)
            await self._forget_pull_caches(author_id)
            await self._pulls.drop(author_id)
            await self._pull_list_changed(author_id)
            log.info("author %s pushed on write again (%s followers)", author_id, state.follower_count)
            return False, None
        return state.pull_feed, state.pull_since

    async def _pull_list_changed(self, author_id: int) -> None:
        """This process's copy of the list's head goes at once; the other processes' when they hear
        of it. Not heard (Redis failing here), their copies expire within FEEDGRAPH_PULL_HEAD_CACHE_MS."""
        self._pull_heads.forget(author_id)
        try:
            await self._bus.pull_list_changed(author_id)
        except (RedisError, OSError) as exc:
            log.warning("change of the pull list of %s not announced: %s", author_id, exc)

    async def _forget_pull_caches(self, author_id: int) -> None:
        async for batch in feed_graph.follower_batches(self._graph, author_id, self._batch_size):
            await self._pull_cache.forget(batch)
