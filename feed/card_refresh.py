"""Refresh ahead of the post cache: cards readers met past their freshness stamp, read again from the
graph in the background and put back before they expire (cache/post_cards.py says why).

One drain task per process at most, each round one graph read (``feed/entry_cards``) for up to
``batch`` posts and ``batch`` profiles: however many readers meet stale cards, the refresh costs the
graph a bounded trickle of batched reads, off every request's path. Waiting ids are bounded too
(``max_waiting``): past that a stale card is simply used until it expires, and the next reader after
that reads it from the graph as before. After a failed round (the graph or Redis down) notices are
ignored for ``pause_seconds``, so a degraded system is not asked again on every read."""

from __future__ import annotations

import asyncio
import logging
import time

from cache.post_cards import Card, PostCards, Stale
from graph.driver import Graph
from graph.repositories import feed as feed_graph

log = logging.getLogger(__name__)

# Ids per graph read: the size of the batches the hydration's own misses read.
REFRESH_BATCH = 200
# Ids waiting for a refresh (per kind); ~10 KB each kind at most.
MAX_WAITING = 5_000
PAUSE_AFTER_FAILURE_SECONDS = 5.0


class CardRefresher:
    def __init__(
        self,
        graph: Graph,
        cards: PostCards,
        *,
        batch: int = REFRESH_BATCH,
        max_waiting: int = MAX_WAITING,
        pause_seconds: float = PAUSE_AFTER_FAILURE_SECONDS,
    ) -> None:
        self._graph = graph
        self._cards = cards
        self._batch = batch
        self._max_waiting = max_waiting
        self._pause_seconds = pause_seconds
        self._posts: Stale = {}  # waiting: id -> the stamp it was seen with
        self._users: Stale = {}
        self._in_flight: tuple[Stale, Stale] = ({}, {})  # the round being refreshed: not asked twice
        self._paused_until = 0.0
        self._task: asyncio.Task[None] | None = None

    def notice(self, posts: Stale, users: Stale) -> None:
        """Cards a reader met past their stamp (``PostCards.on_stale``); returns at once."""
        if time.monotonic() < self._paused_until:
            return
        _add(self._posts, posts, self._in_flight[0], self._max_waiting)
        _add(self._users, users, self._in_flight[1], self._max_waiting)
        if (self._posts or self._users) and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="card-refresh")

    async def idle(self) -> None:
        """Until nothing is waiting or being refreshed (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while self._posts or self._users:
            posts, users = _take(self._posts, self._batch), _take(self._users, self._batch)
            self._in_flight = (posts, users)
            try:
                await self._refresh(posts, users)
            except Exception as exc:  # the stale cards serve on until they expire, then readers refill
                log.warning("post cache refresh of %d cards failed: %r", len(posts) + len(users), exc)
                self._posts.clear()
                self._users.clear()
                self._paused_until = time.monotonic() + self._pause_seconds
            finally:
                self._in_flight = ({}, {})

    async def _refresh(self, posts: Stale, users: Stale) -> None:
        found = await feed_graph.entry_cards(self._graph, list(posts), list(users))
        items: list[tuple[str, bytes, Card]] = [
            (self._cards.post_key(c["id"]), posts[c["id"]], c)
            for c in (*found.posts, *found.shares)
            if c["id"] in posts  # the graph also brings the posts reposts show, and their people
        ]
        items += [(self._cards.user_key(c["id"]), users[c["id"]], c) for c in found.users if c["id"] in users]
        # Ids the graph no longer has are left to expire: a reader's miss path handles gone entries.
        await self._cards.refresh(items)


def _add(waiting: Stale, noticed: Stale, in_flight: Stale, limit: int) -> None:
    for card_id, stamp in noticed.items():
        if len(waiting) >= limit:
            return
        if card_id not in in_flight:
            waiting.setdefault(card_id, stamp)


def _take(waiting: Stale, count: int) -> Stale:
    """Up to ``count`` of the oldest waiting ids, removed from ``waiting``."""
    taken: Stale = {}
    for card_id in list(waiting)[:count]:
        taken[card_id] = waiting.pop(card_id)
    return taken
