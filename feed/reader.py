"""The home feed read: push timeline + celebrity pull, merged by id, filtered, hydrated, paged.

Entry ids are time-ordered, so merging sources newest-first is a merge by id and the cursor is just
the last entry id shown. The user's own entries are in their own timeline (fan-out and rebuild both
put them there)."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial

from cachetools import TTLCache
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from cache.page_state import QUESTION_SCRIPTS, PageQuestion, PageRead, content_replies
from cache.post_cards import Counts, PostCards
from cache.timeline import TimelinePage, Timelines, TimelineState
from core.clock import now_ms
from core.expiry import spread_ttl
from feed.celebrity_cache import PullFolloweesCache
from feed.hydration import EntryHydrator
from feed.page_memo import PageMemo, PageTrace
from feed.pull_heads import PullHeads
from graph.driver import Graph, Record
from graph.repositories import feed as feed_graph

# Hydration drops the entries the viewer may not see (blocked, muted, deleted) and a post that two
# followees shared; in most feeds that is a few per page, so a tenth more than asked fills the page in
# one round (each entry examined costs card and state reads in Redis and decoding here: 1.5x cost ~7 %
# more CPU per read). A page that lost more is refilled, and after a few rounds a sparse page still
# hands back a cursor.
_OVERFETCH = 1.1
_MAX_ROUNDS = 4
# The graph learns of a feed read at most this often (it drives fan-out to active users only).
_ACTIVITY_MARK_SECONDS = 3600
# Viewers this process remembers having marked within the hour (oldest forgotten first when full).
_MARKED_MEMORY = 100_000


log = logging.getLogger(__name__)

_GraphSource = Callable[[int, int | None, int], Awaitable[list[int]]]


_Candidates = Callable[[int | None, int], Awaitable[list[int]]]
# Entry ids and viewer -> visible rows: from the post cache normally, from the graph alone in pure pull.
_Hydrate = Callable[[list[int], int], Awaitable[list[Record]]]


@dataclass(frozen=True)
class FeedPage:
    items: list[Record]
    next_before: int | None
    has_more: bool
    degraded: bool = False  # served by pure pull because Redis was unavailable


@dataclass(frozen=True, slots=True)
class RenderedPage:
    body: bytes
    degraded: bool  # as FeedPage.degraded


@dataclass(frozen=True, slots=True)
class _FirstRound:
    pulled: list[int]  # the celebrities the viewer follows
    want: int  # entries the first round examines
    entries: list[int]  # those entries, newest first
    checked: PageRead | None = None  # the remembered page's question, answered in the same round trip


class FeedReader:
    def __init__(
        self,
        graph: Graph,
        redis: Redis | RedisCluster,
        home: Timelines,
        pulls: Timelines,
        pull_heads: PullHeads,
        pull_cache: PullFolloweesCache,
        hydrator: EntryHydrator,
        memo: PageMemo[RenderedPage] | None = None,
    ) -> None:
        self._graph = graph
        self._redis = redis
        self._home = home
        self._pulls = pulls
        self._pull_heads = pull_heads
        self._pull_cache = pull_cache
        self._hydrator = hydrator
        self._marked: TTLCache[int, bool] = TTLCache(_MARKED_MEMORY, ttl=_ACTIVITY_MARK_SECONDS)
        self.memo: PageMemo[RenderedPage] = memo if memo is not None else PageMemo(0, 0)

    async def read(self, viewer_id: int, before: int | None, limit: int) -> FeedPage:
        """The page of the hybrid feed; while Redis is down, the same page by pure pull from the graph."""
        try:
            first = await self._first_round(viewer_id, before, limit)
            return await self._assemble_hybrid(viewer_id, before, limit, first, None)
        except (RedisError, OSError) as exc:
            log.warning("feed of %s served by pure pull, redis unavailable: %s", viewer_id, exc)
            return await self.read_pure_pull(viewer_id, before, limit)

    async def read_rendered(
        self,
        viewer_id: int,
        before: int | None,
        limit: int,
        render: Callable[[FeedPage], bytes],
        recount: Callable[[bytes, Mapping[int, Counts]], bytes] | None = None,
    ) -> RenderedPage:
        """:meth:`read`, rendered by ``render``; a page this process rendered before and whose every
        input is unchanged is served as it was, or with new counts written in by ``recount`` (the body
        and the changed posts' counts) if only counts changed (feed/page_memo.py)."""
        try:
            key = (viewer_id, before, limit)
            remembered = self.memo.remembered(key)
            # A remembered page's question rides with the timeline read: one round trip for a hit.
            first = await self._first_round(
                viewer_id, before, limit, remembered.question if remembered is not None else None
            )
            trace = PageTrace()
            if remembered is not None and remembered.made_from(first.entries):
                trace.known = first.checked or await remembered.question.ask(self._redis)
                recounted = None if recount is None else partial(_recounted, recount)
                if self.memo.serves(remembered, trace.known, recounted):
                    if self.memo.due(remembered):
                        self._hydrator.notice_due(viewer_id, trace.known)
                    return remembered.page
            page = await self._assemble_hybrid(viewer_id, before, limit, first, trace)
            self.memo.made += 1
            rendered = RenderedPage(render(page), degraded=False)
            self.memo.keep(key, first.entries, trace, rendered)
            return rendered
        except (RedisError, OSError) as exc:
            log.warning("feed of %s served by pure pull, redis unavailable: %s", viewer_id, exc)
            return RenderedPage(render(await self.read_pure_pull(viewer_id, before, limit)), degraded=True)

    async def _first_round(
        self, viewer_id: int, before: int | None, limit: int, question: PageQuestion | None = None
    ) -> _FirstRound:
        """The celebrities the viewer follows and the entries the first round of filling the page
        examines; and ``question`` (a remembered page's) answered in the same round trip when it can
        be (a standalone Redis: its exchange is packed)."""
        await self._mark_active(viewer_id)
        # The first round's home page and the viewer's cached celebrity list share a hash slot: one
        # command reads both.
        want = _round_size(limit, 0)
        # Only a packed (standalone) question can ride; a cluster's is asked after, key by key.
        packed = question.packed if question is not None else None
        cached_pulled, home_page, checked = await self._home.page_with(
            viewer_id, before, want, self._pull_cache.key(viewer_id), packed or (), QUESTION_SCRIPTS
        )
        pulled = await self._pull_cache.resolve(
            viewer_id, cached_pulled, lambda: feed_graph.pull_followees(self._graph, viewer_id)
        )
        entries = await self._candidates(viewer_id, pulled, before, want, home_page)
        answered = question.answered(checked) if question is not None and packed else None
        return _FirstRound(pulled, want, entries, answered)

    async def _assemble_hybrid(
        self, viewer_id: int, before: int | None, limit: int, first: _FirstRound, trace: PageTrace | None
    ) -> FeedPage:
        async def source(cursor: int | None, count: int) -> list[int]:
            if (cursor, count) == (before, first.want):
                return first.entries
            return await self._candidates(viewer_id, first.pulled, cursor, count)

        async def hydrate(entry_ids: list[int], viewer: int) -> list[Record]:
            return await self._hydrator.hydrate(entry_ids, viewer, trace)

        return await self._assemble(viewer_id, before, limit, source, hydrate)

    async def read_pure_pull(self, viewer_id: int, before: int | None, limit: int) -> FeedPage:
        """The same page built from the graph alone (every followed account, celebrities too): the
        degraded mode, and the benchmarks' baseline (the seed's PullFeedService)."""
        page = await self._assemble(
            viewer_id,
            before,
            limit,
            lambda cursor, n: self._pure_pull(viewer_id, cursor, n),
            lambda ids, viewer: feed_graph.hydrate(self._graph, ids, viewer),
        )
        return FeedPage(page.items, page.next_before, page.has_more, degraded=True)

    async def _assemble(
        self, viewer_id: int, before: int | None, limit: int, source: _Candidates, hydrate: _Hydrate
    ) -> FeedPage:
        """Fill a page from ``source``: hydrate candidates, drop what the viewer may not see and posts
        already on the page (several followees shared it), refill when too much was dropped."""
        shown: list[Record] = []
        seen_posts: set[int] = set()
        cursor, exhausted = before, False
        for _ in range(_MAX_ROUNDS):
            want = _round_size(limit, len(shown))
            candidates = await source(cursor, want)
            exhausted = len(candidates) < want
            if candidates:
                for row in await hydrate(candidates, viewer_id):
                    if row["post"]["id"] not in seen_posts:  # newest occurrence wins
                        seen_posts.add(row["post"]["id"])
                        shown.append(row)
                cursor = candidates[-1]
            if len(shown) > limit or exhausted:
                break
        if len(shown) > limit:
            items = shown[:limit]
            return FeedPage(items, items[-1]["entry_id"], True)
        if not exhausted:  # many entries were hidden: hand back a cursor past what was examined
            return FeedPage(shown, cursor, True)
        return FeedPage(shown, None, False)

    async def _pure_pull(self, viewer_id: int, before: int | None, count: int) -> list[int]:
        """Every followed account's entries (celebrities too) straight from the graph."""
        return await feed_graph.timeline_entries(
            self._graph, viewer_id, per_author=count, limit=count, before_id=before, include_pulled=True
        )

    async def _candidates(
        self,
        viewer_id: int,
        pulled: list[int],
        before: int | None,
        count: int,
        home_page: TimelinePage | None = None,
    ) -> list[int]:
        """The next ``count`` entry ids older than ``before`` across every source, newest first
        (``home_page``: that page of the home timeline, if already read)."""
        sources = [await self._home_entries(viewer_id, before, count, home_page)]
        if pulled:
            pages = await self._pull_heads.page_many(pulled, before, count)
            for author_id, page in zip(pulled, pages, strict=True):
                sources.append(await self._pull_entries(author_id, page, before, count))
        merged: list[int] = []
        for entry in heapq.merge(*sources, reverse=True):
            if not merged or merged[-1] != entry:
                merged.append(entry)
                if len(merged) == count:
                    break
        return merged

    async def _home_entries(
        self, viewer_id: int, before: int | None, count: int, page: TimelinePage | None
    ) -> list[int]:
        if page is None:
            page = await self._home.page(viewer_id, before, count)
        if page.state is not TimelineState.OK:
            await self._home.rebuild(
                viewer_id, lambda: self._timeline_from_graph(viewer_id, None, self._home.cap)
            )
            page = await self._home.page(viewer_id, before, count)
        return await self._beyond_cap(
            page, before, count, self._home.cap, viewer_id, self._timeline_from_graph
        )

    async def _pull_entries(
        self, author_id: int, page: TimelinePage, before: int | None, count: int
    ) -> list[int]:
        if page.state is not TimelineState.OK:
            await self._pulls.rebuild(
                author_id, lambda: feed_graph.author_recent_entries(self._graph, author_id, self._pulls.cap)
            )
            page = await self._pulls.page(author_id, before, count)
        return await self._beyond_cap(
            page, before, count, self._pulls.cap, author_id, self._author_from_graph
        )

    @staticmethod
    async def _beyond_cap(
        page: TimelinePage, before: int | None, count: int, cap: int, owner: int, load: _GraphSource
    ) -> list[int]:
        """A capped list holds only the newest entries: a page running past its end reads on in the graph."""
        entries = page.entries
        if len(entries) >= count or page.length < cap:
            return entries
        oldest = entries[-1] if entries else before
        return entries + await load(owner, oldest, count - len(entries))

    async def _timeline_from_graph(self, viewer_id: int, before: int | None, count: int) -> list[int]:
        return await feed_graph.timeline_entries(
            self._graph, viewer_id, per_author=count, limit=count, before_id=before
        )

    async def _author_from_graph(self, author_id: int, before: int | None, count: int) -> list[int]:
        return await feed_graph.author_recent_entries(self._graph, author_id, count, before_id=before)

    async def _mark_active(self, viewer_id: int) -> None:
        """At most hourly per viewer, the graph records the read (Redis's ``seen`` key dedupes across
        processes); this process remembers whom it marked, so most reads skip that round trip too."""
        if viewer_id in self._marked:
            return
        if await self._redis.set(f"seen:{{{viewer_id}}}", 1, nx=True, ex=spread_ttl(_ACTIVITY_MARK_SECONDS)):
            await feed_graph.touch_feed_read(self._graph, viewer_id, now_ms())
        self._marked[viewer_id] = True


def _round_size(limit: int, shown: int) -> int:
    """Entries to examine in a round of filling a page: what is still missing plus a margin for what
    hydration drops, and one more to know whether another page follows."""
    return int((limit + 1 - shown) * _OVERFETCH) + 1


def _recounted(
    recount: Callable[[bytes, Mapping[int, Counts]], bytes], page: RenderedPage, read: PageRead, before: bytes
) -> RenderedPage | None:
    """``page`` with the counts ``read`` shows now, if its replies differ from those the page was made
    from (``before``, PageRead.content) in counts records and stamps alone; else None (PageMemo.serves)."""
    values, flags = content_replies(before)
    if flags != read.replies[1]:
        return None
    changes = PostCards.counts_changes(read.question.card_keys(), values, read.replies[0])
    if changes is None:
        return None
    return RenderedPage(recount(page.body, changes), page.degraded) if changes else page
