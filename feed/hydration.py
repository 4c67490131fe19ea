"""Feed entries (post ids and share ids) turned into what a viewer sees.

Normally from Redis alone: the post cache (cache/post_cards.py) holds what every viewer sees alike of a
post, a repost and a profile; the viewer's state (cache/viewer_state.py) says which of those posts the
viewer liked or shared and whom the viewer may not see.

Cards the cache lacks (expired, never read, or forgotten by a write) are read from the graph, those
alone (``feed/entry_cards``), and filled; the page is then read from the cache again. An entry the graph
no longer has (a deleted post or account, a withdrawn repost) leaves the page, and the reader's home
timeline too (a deleted account's posts are in the timelines of followers the graph has forgotten).

Whenever the caches cannot be sure — the viewer's state is not cached, a followers-only post of someone
else (the follow must be checked), a post older than the viewer state's cutoff, a card still missing
after the fill (a write forgot it meanwhile) — the page takes the graph path: the per-viewer half from
``feed/filter_entries`` (visibility, blocks, mutes, likes, shares), and cards as above; both fill the
caches for the next read. The rows have the shape of the graph-only hydration
(``feed/hydrate_entries``, kept for the pure-pull path that must work without Redis)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple

from cachetools import LRUCache
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from cache.page_state import PageRead, cards_and_flags
from cache.post_cards import Card, PostCards
from cache.timeline import Timelines
from cache.viewer_state import ViewerFlags, ViewerStates
from core.clock import now_ms
from core.expiry import SPREAD
from core.ids import id_to_ms, min_id_for_ms
from feed.cache_refresh import STATE_WINDOW_MS, StateRefresh, state_cutoff
from feed.page_memo import PageTrace
from graph.driver import Graph, Record
from graph.repositories import feed as feed_graph

log = logging.getLogger(__name__)

# A gone entry leaves the reader's timeline only when it is at least this old: a post just created
# may not have reached a lagging read replica yet, and must not be taken for a deleted one.
GONE_REPAIR_AGE_MS = 60_000


class _Fallback(Enum):
    """Why a page takes the graph path."""

    NO_VIEWER_STATE = "viewer state not cached"
    NEEDS_GRAPH = "needs a graph check"


class _Missing(NamedTuple):
    """The cards a page lacks in the cache."""

    entries: list[int]  # entries without a card (post or repost: unknown until the graph says)
    posts: list[int]  # posts the found entries show
    users: list[int]  # profiles of authors and sharers


# The last tenth of a viewer state's lifetime: a reader meeting it then asks for a refresh.
STATE_REFRESH_SHARE = 0.1

# Entries whose shape (post, author, sharer) this process remembers: a few pages of each active reader.
SHAPES_REMEMBERED = 200_000


# What never changes about an entry: (the post it shows, that post's author, for a repost who shared
# it). Known, it tells which cards and flags a page needs before any card is read. A plain tuple, not a
# NamedTuple: the collector stops tracking a tuple of ints, not a subclass, and 200,000 tracked
# NamedTuples made a full collection 16 ms longer (0.9 ms with tuples; a pause every request waits out).
_Shape = tuple[int, int, int | None]


class EntryHydrator:
    def __init__(
        self,
        graph: Graph,
        redis: Redis | RedisCluster,
        cards: PostCards,
        states: ViewerStates,
        home: Timelines,
        state_refresh: StateRefresh | None = None,
    ) -> None:
        self._graph = graph
        self._redis = redis
        self._cards = cards
        self._states = states
        self._home = home
        self._shapes: LRUCache[int, _Shape] = LRUCache(SHAPES_REMEMBERED)
        self._state_refresh = state_refresh
        # A viewer's state filled longer ago than this is refreshed in the background: the last tenth
        # of the shortest lifetime spread_ttl gives it, so a viewer who reads at least that often never
        # finds it expired (feed/refresh_ahead.py says why).
        shortest_ms = states.ttl_seconds * 1000 * (1 - SPREAD)
        self._state_refresh_after_ms = int(shortest_ms * (1 - STATE_REFRESH_SHARE))

    async def hydrate(
        self, entry_ids: list[int], viewer_id: int, trace: PageTrace | None = None
    ) -> list[Record]:
        """The entries the viewer may see, in the given order, with post, author and share details.
        ``trace`` learns whether the rows came from one cards-and-flags read alone, and which."""
        posts: dict[int, Card] = {}  # cards read so far: the graph path does not read them again
        users: dict[int, Card] = {}
        if trace is not None:
            trace.hydrations += 1
            trace.read = None
        cached = await self._from_cache(entry_ids, viewer_id, posts, users, trace)
        if isinstance(cached, _Missing):
            gone = await self._load_missing(cached, viewer_id)
            entry_ids = [e for e in entry_ids if e not in gone]
            if not entry_ids:
                return []
            cached = await self._from_cache(entry_ids, viewer_id, posts, users)
        if isinstance(cached, list):
            return cached
        if isinstance(cached, _Missing):  # the state may not have been looked at: one read warms both
            rows, state_cached = await asyncio.gather(
                self._through_graph(entry_ids, viewer_id, posts, users), self._states.cached(viewer_id)
            )
        else:
            rows = await self._through_graph(entry_ids, viewer_id, posts, users)
            state_cached = cached is not _Fallback.NO_VIEWER_STATE
        if not state_cached:
            await self._fill_state(viewer_id)
        return rows

    async def _from_cache(
        self,
        entry_ids: list[int],
        viewer_id: int,
        posts: dict[int, Card],
        users: dict[int, Card],
        trace: PageTrace | None = None,
    ) -> list[Record] | _Fallback | _Missing:
        """The page from the caches alone, or why not; the post and profile cards read are left in
        ``posts`` and ``users``. When every entry's shape is remembered, all cards and the viewer's
        flags are asked at once (two commands, one wait); otherwise the entries' cards come first."""
        shapes = [self._shapes.get(e) for e in entry_ids]
        if all(shapes):
            return await self._from_known_shapes(
                entry_ids, [s for s in shapes if s], viewer_id, posts, users, trace
            )
        entries, _ = await self._cards.get(entry_ids, [])
        shares = {e: c for e, c in entries.items() if "share_of" in c}
        posts.update((e, c) for e, c in entries.items() if "share_of" not in c)
        # An entry without a card names no post or author yet; the others' cards are still read, so
        # that one graph read can bring everything the page lacks.
        missing_entries = [e for e in entry_ids if e not in entries]
        known = [e for e in entry_ids if e in entries]
        wanted = _unique(shares[e]["share_of"] if e in shares else e for e in known)
        sharers = [s["sharer_id"] for s in shares.values()]
        reposted = [p for p in wanted if p not in posts]
        people = _authors(wanted, posts, sharers)
        (more_posts, found_users), flags, _ = await self._cards_and_flags(
            viewer_id, (reposted, people), (wanted, people)
        )
        posts.update(more_posts)
        users.update(found_users)
        if flags is None:
            return _Fallback.NO_VIEWER_STATE
        if missing_entries or len(found_users) < len(people) or any(p not in posts for p in wanted):
            return _missing(missing_entries, wanted, posts, people, users)
        more_people = [u for u in _authors(wanted, posts, sharers) if u not in users]
        if more_people:  # the authors of reposted posts
            (_, more_users), more_flags, _ = await self._cards_and_flags(
                viewer_id, ([], more_people), ([], more_people)
            )
            users.update(more_users)
            if more_flags is None:
                return _Fallback.NO_VIEWER_STATE
            if len(more_users) < len(more_people):
                return _missing([], [], posts, more_people, users)
            flags.hidden.update(more_flags.hidden)
        return self._cached_rows(entry_ids, viewer_id, shares, posts, users, flags)

    async def _from_known_shapes(
        self,
        entry_ids: list[int],
        shapes: list[_Shape],
        viewer_id: int,
        posts: dict[int, Card],
        users: dict[int, Card],
        trace: PageTrace | None,
    ) -> list[Record] | _Fallback | _Missing:
        wanted = _unique(post_id for post_id, _, _ in shapes)
        people = _unique([author for _, author, _ in shapes] + [sharer for _, _, sharer in shapes if sharer])
        known = None
        if trace is not None:
            known, trace.known = trace.known, None  # good for this one read only
        (found, found_users), flags, read = await self._cards_and_flags(
            viewer_id, (_unique([*entry_ids, *wanted]), people), (wanted, people), known
        )
        shares = {e: found[e] for e in entry_ids if e in found and "share_of" in found[e]}
        posts.update((p, c) for p, c in found.items() if "share_of" not in c)
        users.update(found_users)
        if flags is None:
            return _Fallback.NO_VIEWER_STATE
        missing_entries = [e for e in entry_ids if e not in found]
        if missing_entries or len(found_users) < len(people) or any(p not in posts for p in wanted):
            return _missing(missing_entries, wanted, posts, people, users)
        rows = self._cached_rows(entry_ids, viewer_id, shares, posts, users, flags)
        if trace is not None and isinstance(rows, list):
            trace.read = read  # every row came from this read (and facts that never change)
        return rows

    async def _cards_and_flags(
        self,
        viewer_id: int,
        card_ids: tuple[list[int], list[int]],
        flag_ids: tuple[list[int], list[int]],
        known: PageRead | None = None,
    ) -> tuple[tuple[dict[int, Card], dict[int, Card]], ViewerFlags | None, PageRead]:
        found, flags, read = await cards_and_flags(
            self._redis, self._cards, self._states, viewer_id, card_ids, flag_ids, known
        )
        if flags is not None:
            self._notice_state_due(viewer_id, flags.cutoff)
        return found, flags, read

    def notice_due(self, viewer_id: int, read: PageRead) -> None:
        """The refresh-ahead notices of ``read`` (cards and the viewer's state past their stamps), which
        making a page from it gives: for a page served from the memo instead (feed/page_memo.py)."""
        values, raw_flags = read.replies
        self._cards.notice_stale(values, read.question.card_keys)
        if raw_flags:  # the flags script's reply starts with the state's cutoff
            self._notice_state_due(viewer_id, int(raw_flags[0]))

    def _notice_state_due(self, viewer_id: int, cutoff: int) -> None:
        if self._state_refresh is not None:
            # The cutoff names the fill: the window's start when the state was read from the graph.
            filled_at = id_to_ms(cutoff) + STATE_WINDOW_MS
            if now_ms() - filled_at > self._state_refresh_after_ms:
                self._state_refresh.notice({viewer_id: cutoff})

    def _cached_rows(
        self,
        entry_ids: list[int],
        viewer_id: int,
        shares: dict[int, Card],
        posts: dict[int, Card],
        users: dict[int, Card],
        flags: ViewerFlags,
    ) -> list[Record] | _Fallback:
        rows: list[Record] = []
        for entry_id in entry_ids:
            share = shares.get(entry_id)
            self._remember_shape(entry_id, share, posts)
            row = _cached_row(entry_id, viewer_id, share, posts, users, flags)
            if isinstance(row, _Fallback):
                return row
            if row is not None:
                rows.append(row)
        return rows

    def _remember_shape(self, entry_id: int, share: Card | Record | None, posts: dict[int, Card]) -> None:
        """Note what never changes about an entry whose cards were read (a share card says
        ``share_of``, the graph's share rows ``post_id``)."""
        if entry_id in self._shapes:
            return
        post_id = entry_id if share is None else share.get("share_of", share.get("post_id"))
        post = posts.get(post_id) if isinstance(post_id, int) else None
        if post is not None:
            sharer = share["sharer_id"] if share else None
            self._shapes[entry_id] = (post["id"], post["author_id"], sharer)

    async def _load_missing(self, missing: _Missing, viewer_id: int) -> set[int]:
        """Read the missing cards from the graph and fill the cache with them; returns the missing
        entries the graph no longer has, after taking the older ones out of the viewer's timeline."""
        cards = await feed_graph.entry_cards(
            self._graph, _unique([*missing.entries, *missing.posts]), missing.users
        )
        await self._fill(cards.posts + cards.shares, cards.users)
        found = cards.found()
        gone = {e for e in missing.entries if e not in found}
        settled = min_id_for_ms(now_ms() - GONE_REPAIR_AGE_MS)
        old_gone = sorted(e for e in gone if e < settled)
        if old_gone:
            try:
                await self._home.remove(viewer_id, old_gone)
            except (RedisError, OSError) as exc:  # the graph path drops them meanwhile
                log.warning("gone entries left in the timeline of %s: %s", viewer_id, exc)
        return gone

    async def _through_graph(
        self, entry_ids: list[int], viewer_id: int, posts: dict[int, Card], users: dict[int, Card]
    ) -> list[Record]:
        """The page with the graph deciding what the viewer sees; cards not yet known are asked from the
        cache once, and what it lacks from the graph (which fills the cache)."""
        view = await feed_graph.filter_entries(self._graph, entry_ids, viewer_id)
        if not view.visible:
            return []
        wanted = _unique(view.shares[e]["post_id"] if e in view.shares else e for e in view.visible)
        sharers = [s["sharer_id"] for s in view.shares.values()]
        asked = set(entry_ids)  # the cache read of the entries has already answered for these
        need_posts = [p for p in wanted if p not in posts and p not in asked]
        need_users = [u for u in _authors(wanted, posts, sharers) if u not in users]
        if need_posts or need_users:
            more_posts, more_users = await self._cards.get(need_posts, need_users)
            posts.update(more_posts)
            users.update(more_users)
        missing_posts = [p for p in wanted if p not in posts]
        missing_users = [u for u in _authors(wanted, posts, sharers) if u not in users]
        share_cards = [
            {
                "id": entry_id,
                "share_of": s["post_id"],
                "sharer_id": s["sharer_id"],
                "quote": s["quote"],
                "shared_at": s["shared_at"],
            }
            for entry_id, s in view.shares.items()
        ]
        if missing_posts or missing_users:
            found = await feed_graph.entry_cards(self._graph, missing_posts, missing_users)
            posts.update((c["id"], c) for c in found.posts)
            users.update((c["id"], c) for c in found.users)
            await self._fill(found.posts + share_cards, found.users)
        elif share_cards:
            await self._fill(share_cards, [])
        for entry_id in view.visible:
            self._remember_shape(entry_id, view.shares.get(entry_id), posts)
        return [row for e in view.visible if (row := _graph_row(e, view, posts, users)) is not None]

    async def _fill(self, posts: list[Card], users: list[Card]) -> None:
        try:
            await self._cards.fill(posts, users)
        except (RedisError, OSError) as exc:  # the page is complete without it; the next read refills
            log.warning("post cache not filled: %s", exc)

    async def _fill_state(self, viewer_id: int) -> None:
        cutoff = state_cutoff()
        state = await feed_graph.viewer_state(self._graph, viewer_id, cutoff)
        if state is None:
            return
        try:
            await self._states.fill(viewer_id, cutoff, state.liked, state.shared, state.hidden)
        except (RedisError, OSError) as exc:
            log.warning("viewer state of %s not cached: %s", viewer_id, exc)


def _missing(
    entries: list[int], wanted: list[int], posts: dict[int, Card], people: list[int], users: dict[int, Card]
) -> _Missing:
    """What a page lacks: these entries' cards, and the wanted posts and people not read so far."""
    return _Missing(entries, [p for p in wanted if p not in posts], [u for u in people if u not in users])


def _cached_row(
    entry_id: int,
    viewer_id: int,
    share: Card | None,
    posts: dict[int, Card],
    users: dict[int, Card],
    flags: ViewerFlags,
) -> Record | _Fallback | None:
    """One entry from the caches: the row, None when the viewer may not see it, or NEEDS_GRAPH when
    only the graph can tell."""
    post = posts[share["share_of"] if share else entry_id]
    author_id = post["author_id"]
    if post["id"] <= flags.cutoff:
        return _Fallback.NEEDS_GRAPH  # the viewer state does not cover likes of posts this old
    if author_id in flags.hidden or (share is not None and share["sharer_id"] in flags.hidden):
        return None
    if author_id != viewer_id and post["visibility"] != "public":
        # A private post of someone else is never shown; a followers-only one needs the follow checked.
        return None if post["visibility"] == "private" else _Fallback.NEEDS_GRAPH
    sharer = users[share["sharer_id"]] if share else None
    return _entry(entry_id, post, users[author_id], sharer, share, flags.liked, flags.shared)


def _graph_row(
    entry_id: int, view: feed_graph.ViewerEntries, posts: dict[int, Card], users: dict[int, Card]
) -> Record | None:
    """One entry the graph said the viewer may see; None when its post or a profile vanished between
    the two reads (deleted meanwhile)."""
    share = view.shares.get(entry_id)
    post = posts.get(share["post_id"] if share else entry_id)
    author = users.get(post["author_id"]) if post else None
    sharer = users.get(share["sharer_id"]) if share else None
    if post is None or author is None or (share and sharer is None):
        return None
    return _entry(entry_id, post, author, sharer, share, view.liked, view.shared)


def _entry(
    entry_id: int,
    post: Card,
    author: Card,
    sharer: Card | None,
    share: Record | None,
    liked: set[int],
    shared: set[int],
) -> Record:
    """A feed row, shaped as the graph-only hydration (``feed/hydrate_entries``) shapes it."""
    return {
        "entry_id": entry_id,
        "post": post,
        "author": author,
        "is_liked": post["id"] in liked,
        "is_shared": post["id"] in shared,
        "shared_by": sharer,
        "quote": share["quote"] if share else None,
        "shared_at": share["shared_at"] if share else None,
    }


def _authors(wanted: list[int], posts: dict[int, Card], sharers: list[int]) -> list[int]:
    """The authors of the wanted posts known so far, and the sharers of the reposts."""
    return _unique([posts[p]["author_id"] for p in wanted if p in posts] + sharers)


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))
