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
from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from cache.realtime import PULL_LISTS_CHANNEL, RealtimeHub
from cache.timeline import TimelinePage, Timelines, TimelineState

log = logging.getLogger(__name__)

# Entries kept per head: the first page of a feed examines 24 per source (reader.py's _round_size for
# 20 posts); 64 answer the first pages of most feeds.
HEAD_SIZE = 64
# Heads a process keeps (the oldest read go first): ~1 KB each.
MAX_HEADS = 20_000
# Between attempts to subscribe to the announcements while Redis is down.
_SUBSCRIBE_RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class _Head:
    page: TimelinePage  # the newest entries, the list's length and state
    complete: bool  # the list held no more than these entries
    until: float  # the timer's reading past which it is not used


# One read of lists' first pages (HEAD_SIZE entries or more), by author: each page, and whether it is
# the whole list.
_FirstPages = dict[int, tuple[TimelinePage, bool]]


class PullHeads:
    """:meth:`Timelines.page_many` of the pull lists, answered from recent heads where they can.

    A plain dict of heads, each with its deadline, checked against one timer reading per call: a feed
    read asks for every celebrity its viewer follows, and cachetools' TTLCache cost ~3 µs per lookup
    (its timer and expiry walk), 6 % of a remembered page's CPU in a profile (fourteenth round). And
    one read per list at a time: when a head expires, the reads that want it meanwhile wait for the one
    read in flight instead of each sending its own (at 2,000 feed reads/s, every expiry of a popular
    head sent tens of identical reads, ~5 % of the API's CPU)."""

    def __init__(self, pulls: Timelines, ttl_ms: int, timer: Callable[[], float] = time.monotonic) -> None:
        self._pulls = pulls
        self._ttl = ttl_ms / 1000
        self._timer = timer
        self._heads: dict[int, _Head] = {}
        self._reading: dict[int, asyncio.Task[_FirstPages]] = {}  # first-page reads in flight, by list
        # Bumped by every forget: a head read from Redis before a change is not kept after it.
        self._generation = 0

    async def page_many(self, author_ids: list[int], before: int | None, count: int) -> list[TimelinePage]:
        """Up to ``count`` entries older than ``before`` of each author's pull list, as
        :meth:`Timelines.page_many` would read them up to ``ttl_ms`` ago or later."""
        if self._ttl <= 0:
            return await self._pulls.page_many(author_ids, before, count)
        now, heads = self._timer(), self._heads
        answered: dict[int, TimelinePage] = {}
        for author_id in author_ids:
            head = heads.get(author_id)
            if head is not None and head.until > now:
                page = _answer(head, before, count)
                if page is not None:
                    answered[author_id] = page
        if len(answered) < len(author_ids):
            missing = [a for a in author_ids if a not in answered]
            if before is None:  # a first page: from the one read of its list in flight
                answered.update(await self._first_pages(missing, count))
            else:
                answered.update(
                    zip(missing, await self._pulls.page_many(missing, before, count), strict=True)
                )
        return [answered[a] for a in author_ids]

    async def _first_pages(self, author_ids: list[int], count: int) -> dict[int, TimelinePage]:
        wanted = max(count, HEAD_SIZE)  # a whole head, so the next reads of these lists need no round trip
        starting = [a for a in author_ids if a not in self._reading]
        if starting:
            # A task of its own: a cancelled request does not cancel the read others wait for.
            read = asyncio.ensure_future(self._read_heads(starting, wanted))
            read.add_done_callback(_retrieve)
            self._reading.update(dict.fromkeys(starting, read))
        reads = {a: self._reading[a] for a in author_ids}
        answered: dict[int, TimelinePage] = {}
        short: list[int] = []  # read in flight for fewer entries than this call wants (count > its wanted)
        for author_id, read in reads.items():
            page, complete = (await asyncio.shield(read))[author_id]
            if page.state is not TimelineState.OK:
                answered[author_id] = page
            elif (head := _answer(_Head(page, complete, 0.0), None, count)) is not None:
                answered[author_id] = head
            else:
                short.append(author_id)
        if short:
            answered.update(zip(short, await self._pulls.page_many(short, None, count), strict=True))
        return answered

    async def _read_heads(self, author_ids: list[int], wanted: int) -> _FirstPages:
        """One read of these lists' first ``wanted`` entries, kept as heads unless one changed meanwhile."""
        generation, until = self._generation, self._timer() + self._ttl
        me = asyncio.current_task()
        try:
            pages = await self._pulls.page_many(author_ids, None, wanted)
        finally:
            for author_id in author_ids:
                if self._reading.get(author_id) is me:
                    del self._reading[author_id]
        read = {a: (page, len(page.entries) < wanted) for a, page in zip(author_ids, pages, strict=True)}
        if generation == self._generation:
            for author_id, (page, complete) in read.items():
                if page.state is TimelineState.OK:
                    self._keep(author_id, _Head(page, complete, until))
        return read

    def _keep(self, author_id: int, head: _Head) -> None:
        heads = self._heads
        heads.pop(author_id, None)  # to the end: the dict's order is the order heads were read in
        heads[author_id] = head
        if len(heads) > MAX_HEADS:  # rare: more celebrities read within a lifetime than heads kept
            for oldest in list(heads)[: len(heads) - MAX_HEADS]:
                del heads[oldest]

    def forget(self, author_id: int) -> None:
        """This author's pull list changed (an entry pushed or removed, the list rebuilt or dropped):
        its head goes, and a read of it already in flight answers only the reads that came before."""
        self._generation += 1
        self._heads.pop(author_id, None)
        self._reading.pop(author_id, None)

    async def follow_changes(self, hub: RealtimeHub) -> None:
        """Forget the heads whose lists another process announces changed (``RealtimeBus.
        pull_list_changed``); runs until cancelled."""
        if self._ttl <= 0:
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


def _retrieve(read: asyncio.Task[_FirstPages]) -> None:
    """A failed read's error is its waiters' (each request handles it); retrieved here in case none
    waited to the end (all cancelled), so asyncio does not log it as never retrieved."""
    if not read.cancelled():
        read.exception()
