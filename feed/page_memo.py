"""Each process's memo of the feed pages it rendered, each kept with what it was made from.

A warm feed read spends most of its CPU after the timeline read: decoding ~40 cards, deciding what the
viewer may see, and writing ~9 KB of JSON (about three quarters of the API's work on a page; in
process, 600 µs against 145 µs without that part). Readers refresh: the same viewer asks for the same
page again and again, and most times nothing on it has changed.

A page is remembered when one cards-and-flags read (cache/page_state.py) made all of it, with the
entries it was made from. The next read of that page by that viewer reads the timeline as always,
merges the same sources into its entries, and if they are the same entries, asks Redis the same
cards-and-flags question again. Only if the replies are the same (their fingerprint,
PageRead.fingerprint: equal fingerprints are equal replies), or differ only in the cards' freshness
stamps, which no page shows (PageRead.content), is the remembered page served: the cards
(content, visibility, counts, profiles) and the viewer's flags (likes, shares, blocks, mutes, the
state's cutoff) are the page's only other inputs, and the entries' shapes never change, so the page
made now would be the same page. Nothing is invalidated and nothing can be stale: every read checks
everything, and any change (a like anywhere on the page, an edit, a block, a new post) makes the page
afresh, from the replies just read. On a standalone Redis the question rides behind the timeline
read, in the same exchange (feed/reader.py): a remembered page costs one round trip, served or made
afresh from those replies, where a page not remembered costs two; on a cluster the question follows the
timeline read.

What a memo holds is chosen for the garbage collector as much as for memory: the question as the
packed exchange and a digest (PageQuestion.kept), the replies as one fingerprint, the entries as a
tuple: a kept page is ~7 small objects for the collector (a tuple of ids or bytes is untracked once
examined) where it was ~15 holding ~300 references (the replies' and the question's tuples). In a
probe the young collection after a burst of pages made afresh took 42 ms before, 21 ms after; the
rest of that story, the collections on a clock, is in core/gc_tuning.py.

What a hit skips, besides the work, is noticing that a card or the viewer's state is due for a refresh
from the graph (feed/cache_refresh.py, feed/refresh_ahead.py), which a page made afresh notices while
decoding. So a hit is *due* (:meth:`PageMemo.due`) at least every ``check_seconds``
(FEEDGRAPH_FEED_PAGE_MEMO_CHECK_SECONDS, a minute; the refresh windows are six minutes long) and
whenever its cards changed only in their stamps, and its reader then gives those notices from the
replies it just read, without decoding them (EntryHydrator.notice_due). Before the fifteenth round a
page was instead made afresh once a minute for these notices: every API process remade every one of
its pages each minute, a few hundred pages per 10 s phase of the benchmark, made in bursts (pages
made together expire together) that showed in the fixed-rate p99 (docs/BENCHMARKS.md). A page is now
kept at most ``seconds`` (FEEDGRAPH_FEED_PAGE_MEMO_SECONDS, ten minutes, and at most a quarter of
FEEDGRAPH_MEDIA_URL_TTL_SECONDS: the signed media URLs on a remembered page are those of a page made
at most that long ago, and each is valid for that TTL from its signing, as on any page)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cachetools import TLRUCache

from cache.page_state import PageQuestion, PageRead
from core.expiry import spread_seconds

Page = TypeVar("Page")
# A remembered page with new counts written in (feed/reader.py), given the page, a read of its question
# and the memo's content (PageRead.content) it was made from; None unless only counts changed.
Recount = Callable[[Page, PageRead, bytes], Page | None]
MemoKey = tuple[int, int | None, int]  # viewer, before, limit


@dataclass
class PageTrace:
    """Filled in by the hydration (feed/hydration.py) while a page is made."""

    known: PageRead | None = None  # a read of this page's cards and flags just made: used if asked the same
    read: PageRead | None = None  # the one read the last hydration's rows all came from, if so
    hydrations: int = 0  # rounds of entries hydrated (a page refilled after many were hidden: > 1)


@dataclass(slots=True)
class _Memo(Generic[Page]):
    entries: tuple[int, ...]
    question: PageQuestion  # what the page asked Redis
    fingerprint: bytes  # what Redis last answered that served this page (PageRead.fingerprint)
    content: bytes  # the answer without the cards' stamps (PageRead.content): what the page shows
    page: Page
    due_at: float  # when a hit is next due for its reader's refresh-ahead notices (PageMemo.due)

    def made_from(self, entries: list[int]) -> bool:
        return self.entries == tuple(entries)


@dataclass
class PageMemo(Generic[Page]):
    """Pages by (viewer, before, limit), the least recently used forgotten first, each for at most
    ``seconds``; a served page is due for its reader's refresh-ahead notices every ``check_seconds``."""

    pages: int
    seconds: float
    check_seconds: float = 60.0
    timer: Callable[[], float] = time.monotonic
    hits: int = 0  # pages served from the memo
    misses: int = 0  # pages made afresh although remembered: something on them changed
    made: int = 0  # pages made afresh for any reason (not remembered, expired, changed)
    restamped: int = 0  # of the hits, those whose cards had been refreshed (new stamps, same cards)
    recounted: int = 0  # of the hits, pages served with new counts (only counts changed: ``recount``)
    _memos: TLRUCache[MemoKey, _Memo[Page], float] | None = field(init=False)

    def __post_init__(self) -> None:
        enabled = self.pages > 0 and self.seconds > 0
        self._memos = TLRUCache(self.pages, ttu=self._forget_at, timer=self.timer) if enabled else None

    def _forget_at(self, _key: MemoKey, _memo: _Memo[Page], now: float) -> float:
        """Each page is kept for between 80 % of ``seconds`` and all of it, at random (spread_seconds' usual
        spread): pages made together (a benchmark phase's first second, a deploy) would otherwise all be
        made afresh together ``seconds`` later, a burst of full-price reads every ``seconds``; each lifetime
        drawn spreads them further. A wider spread costs CPU: every worker makes each of its pages once per
        lifetime (5-10 s, 7.5 on average, meant a third more pages made than 10 s; in the fixed-rate
        benchmark an API process sees each viewer every ~2 s), and so does a short lifetime: at 10 s a
        fifth of the benchmark's reads at 1,000 req/s made their page, at 60 s up to one in twenty
        (docs/BENCHMARKS.md, fourteenth and fifteenth rounds), hence ten minutes by default."""
        return now + spread_seconds(self.seconds)

    def remembered(self, key: MemoKey) -> _Memo[Page] | None:
        """The memo of this page, whatever it was made from (a read asks its question early)."""
        return self._memos.get(key) if self._memos is not None else None

    def recall(self, key: MemoKey, entries: list[int]) -> _Memo[Page] | None:
        """The memo of this page if it was made from these entries."""
        memo = self.remembered(key)
        return memo if memo is not None and memo.made_from(entries) else None

    def serves(self, memo: _Memo[Page], read: PageRead, recount: Recount[Page] | None = None) -> bool:
        """Whether ``memo``'s page, or that page with new counts (``recount``), is the page ``read`` (its
        question asked now) would make, counted as a hit or a miss. Equal fingerprints first (one
        pickle); if they differ, equal contents: cards refreshed ahead of expiry (cache/post_cards.py)
        carry new stamps and nothing else new, and a dataset's cards filled together reach their refresh
        window together, so without this a wave of refreshes remade every page showing one of those
        cards (docs/BENCHMARKS.md, fourteenth round). If the contents differ too, ``recount`` is given
        the page, the read and the memo's content: if only counts changed (likes on a post the page
        shows; at 100 likes/s on widely seen posts nine pages in ten, fifteenth round) it writes them
        into the page, else it answers None and the page is made afresh. The memo then keeps
        the new fingerprint, so the next check is the quick one again."""
        fingerprint = read.fingerprint()
        if fingerprint != memo.fingerprint:
            content = read.content()
            if content != memo.content:
                page = None if recount is None else recount(memo.page, read, memo.content)
                if page is None:
                    self.misses += 1
                    return False
                memo.page, memo.content = page, content
                self.recounted += 1
            else:
                self.restamped += 1
            memo.fingerprint = fingerprint
            memo.due_at = 0.0  # a stamp may have changed to one already past, or to none
        self.hits += 1
        return True

    def due(self, memo: _Memo[Page]) -> bool:
        """Whether the reader of ``memo``'s page, just served, should give the refresh-ahead notices a page
        made afresh would (cards and viewer state past their stamps): its cards were restamped, or
        ``check_seconds`` have passed since it was made or last due."""
        now = self.timer()
        if now < memo.due_at:
            return False
        memo.due_at = now + self.check_seconds
        return True

    def keep(self, key: MemoKey, entries: list[int], trace: PageTrace, page: Page) -> None:
        """Remember ``page`` if one read made all of it (one hydration, the rows from one read)."""
        if self._memos is not None and trace.hydrations == 1 and trace.read is not None:
            read = trace.read
            question, fingerprint, content = read.question.kept(), read.fingerprint(), read.content()
            due_at = self.timer() + self.check_seconds  # the page was just made: its notices given
            self._memos[key] = _Memo(tuple(entries), question, fingerprint, content, page, due_at)
