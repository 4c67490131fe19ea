"""Each process's short-lived copy of the newest entries of the celebrities' pull lists.

Every follower's feed read asks for the same few hot lists. Read from Redis each time, a celebrity
with 100M followers would put a large share of all feed reads on the one shard holding their list (a
hot key), and each list costs a script call on the read path (a feed read of the benchmark's viewers
asks for six). A process keeps the head of each list it read for ``ttl_ms``
(FEEDGRAPH_PULL_HEAD_CACHE_MS, 1 s by default): a celebrity's post then reaches followers served by
other processes up to that much later at worst, the same order of time an ordinary author's post takes
to be pushed to 50k followers. Normally much sooner: a change made by a process's fan-out forgets that
process's head at once and is announced on a pub/sub channel, and every API process forgets its head
when it hears of it (:meth:`PullHeads.follow_changes`). A lost announcement (the subscription was down)
leaves the lifetime as the bound."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from cachetools import TTLCache
from redis.exceptions import RedisError

from cache.realtime import PULL_LISTS_CHANNEL, RealtimeHub
from cache.timeline import TimelinePage, Timelines, TimelineState

log = logging.getLogger(__name__)

# Entries kept per head: the first page of a feed examines 24 per source (reader.py's _round_size for
# 20 posts); 64 answer the first pages of most feeds.
HEAD_SIZE = 64
# Heads a process keeps (the least recently used go first): ~1 KB each.
MAX_HEADS = 20_000
# Between attempts to subscribe to the announcements while Redis is down.
_SUBSCRIBE_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class _Head:
    page: TimelinePage  # the newest entries, the list's length and state
    complete: bool  # the list held no more than these entries


class PullHeads:
    """:meth:`Timelines.page_many` of the pull lists, answered from recent heads where they can."""

    def __init__(self, pulls: Timelines, ttl_ms: int) -> None:
        self._pulls = pulls
        self._heads: TTLCache[int, _Head] | None = (
            TTLCache(MAX_HEADS, ttl=ttl_ms / 1000, timer=time.monotonic) if ttl_ms > 0 else None
        )
        # Bumped by every forget: a head read from Redis before a change is not kept after it.
        self._generation = 0

    async def page_many(self, author_ids: list[int], before: int | None, count: int) -> list[TimelinePage]:
        """Up to ``count`` entries older than ``before`` of each author's pull list, as
        :meth:`Timelines.page_many` would read them up to ``ttl_ms`` ago or later."""
        heads = self._heads
        if heads is None:
            return await self._pulls.page_many(author_ids, before, count)
        answered: dict[int, TimelinePage] = {}
        for author_id in author_ids:
            head = heads.get(author_id)
            page = None if head is None else _answer(head, before, count)
            if page is not None:
                answered[author_id] = page
        missing = [a for a in author_ids if a not in answered]
        if missing:
            generation = self._generation
            # A first page reads a whole head, so the next reads of these lists need no round trip.
            wanted = max(count, HEAD_SIZE) if before is None else count
            for author_id, page in zip(
                missing, await self._pulls.page_many(missing, before, wanted), strict=True
            ):
                if before is None and page.state is TimelineState.OK:
                    head = _Head(page, complete=len(page.entries) < wanted)
                    if generation == self._generation:
                        heads[author_id] = head
                    answered[author_id] = _answer(head, None, count) or page
                else:
                    answered[author_id] = page
        return [answered[a] for a in author_ids]

    def forget(self, author_id: int) -> None:
        """This author's pull list changed (an entry pushed or removed, the list rebuilt or dropped)."""
        self._generation += 1
        if self._heads is not None:
            self._heads.pop(author_id, None)

    async def follow_changes(self, hub: RealtimeHub) -> None:
        """Forget the heads whose lists another process announces changed (``RealtimeBus.
        pull_list_changed``); runs until cancelled."""
        if self._heads is None:
            return
        while True:
            try:
                changes = await hub.subscribe([PULL_LISTS_CHANNEL])
                break
            except (RedisError, OSError) as exc:  # heads expire on their own meanwhile
                log.warning("pull-list announcements not heard yet (%s); retrying", exc)
                await asyncio.sleep(_SUBSCRIBE_RETRY_SECONDS)
        while True:
            event = await changes.get()
            self.forget(int(event.data["author_id"]))


def _answer(head: _Head, before: int | None, count: int) -> TimelinePage | None:
    """The page a read of the list would return, if the head holds all of it."""
    entries = head.page.entries if before is None else [e for e in head.page.entries if e < before]
    if len(entries) >= count or head.complete:
        return TimelinePage(head.page.state, entries[:count], head.page.length)
    return None
