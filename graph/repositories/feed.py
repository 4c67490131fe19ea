"""Graph reads and writes of the feed: fan-out targets, celebrity pull, rebuilds, hydration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from graph.driver import Graph, Record
from graph.queries import cypher

_AUTHOR_STATE = cypher("feed/get_author_state")
_SET_PULL_FEED = cypher("feed/set_pull_feed")
_ACTIVE_FOLLOWERS = cypher("feed/list_active_follower_ids")
_ALL_FOLLOWERS = cypher("feed/list_follower_ids")
_SOME_FOLLOWERS = cypher("feed/list_follower_ids_unordered")
_PULL_FOLLOWEES = cypher("feed/list_pull_followees")
_AUTHOR_RECENT = cypher("feed/author_recent_entries")
_REBUILD_TIMELINE = cypher("feed/rebuild_timeline")
_HYDRATE = cypher("feed/hydrate_entries")
_FILTER = cypher("feed/filter_entries")
_ENTRY_CARDS = cypher("feed/entry_cards")
_VIEWER_STATE = cypher("feed/viewer_state")
_POST_COUNTS = cypher("feed/post_counts")
_TOUCH_FEED_READ = cypher("feed/touch_feed_read")


@dataclass(frozen=True)
class AuthorState:
    follower_count: int
    pull_feed: bool
    pull_since: int | None


async def author_state(graph: Graph, author_id: int) -> AuthorState | None:
    rows = await graph.read(_AUTHOR_STATE, author_id=author_id)
    if not rows:
        return None
    return AuthorState(rows[0]["follower_count"], rows[0]["pull_feed"], rows[0]["pull_since"])


async def set_pull_feed(graph: Graph, author_id: int, pull: bool, now_ms: int) -> None:
    await graph.write(_SET_PULL_FEED, author_id=author_id, pull=pull, now=now_ms)


# Followers read per query. A keyset page costs a scan of ALL the author's followers whatever its
# size (a node's relationships are in no order, so the keyset on id cannot seek; the query keeps the
# top $limit): few large pages, not one per batch (50k followers: 25 pages of 2,000 took ~2.5 s, one
# page ~0.25 s). 50k ids are one ~0.4 MB list.
FOLLOWER_PAGE = 50_000


async def follower_batches(
    graph: Graph, author_id: int, batch_size: int, active_since: int | None = None
) -> AsyncIterator[list[int]]:
    """Follower ids in ascending batches of ``batch_size``; only those active since ``active_since``
    when it is given.

    Followers who fit in one page come from one unordered read (sorted here: a few ms against ~0.1 s
    for the graph's sort at 50k); more come in keyset pages, the next page read while the caller
    works on this one's batches."""
    page_size = max(batch_size, FOLLOWER_PAGE)
    ids: list[int] = await graph.read_list(
        _SOME_FOLLOWERS, "ids", author_id=author_id, active_since=active_since, limit=page_size + 1
    )
    if len(ids) <= page_size:
        ids.sort()
        for start in range(0, len(ids), batch_size):
            yield ids[start : start + batch_size]
        return

    async def page(after: int) -> list[int]:
        if active_since is None:
            return await graph.read_list(
                _ALL_FOLLOWERS, "ids", author_id=author_id, after_id=after, limit=page_size
            )
        return await graph.read_list(
            _ACTIVE_FOLLOWERS,
            "ids",
            author_id=author_id,
            active_since=active_since,
            after_id=after,
            limit=page_size,
        )

    ids = await page(-1)
    while True:
        following = asyncio.ensure_future(page(ids[-1])) if len(ids) == page_size else None
        try:
            for start in range(0, len(ids), batch_size):
                yield ids[start : start + batch_size]
        except BaseException:  # the caller stopped early (or failed): drop the read ahead
            if following is not None:
                following.cancel()
            raise
        if following is None:
            return
        ids = await following


async def pull_followees(graph: Graph, user_id: int) -> list[int]:
    return [r["id"] for r in await graph.read(_PULL_FOLLOWEES, user_id=user_id)]


async def author_recent_entries(
    graph: Graph, author_id: int, limit: int, before_id: int | None = None
) -> list[int]:
    rows = await graph.read(_AUTHOR_RECENT, author_id=author_id, before_id=before_id, limit=limit)
    return [r["id"] for r in rows]


async def timeline_entries(
    graph: Graph,
    user_id: int,
    per_author: int,
    limit: int,
    before_id: int | None = None,
    include_pulled: bool = False,
) -> list[int]:
    """A home timeline built from the graph (newest first), optionally older than ``before_id``;
    ``include_pulled`` adds celebrities' entries (the pure-pull feed)."""
    rows = await graph.read(
        _REBUILD_TIMELINE,
        user_id=user_id,
        before_id=before_id,
        include_pulled=include_pulled,
        per_author=per_author,
        limit=limit,
    )
    return [r["id"] for r in rows]


async def hydrate(graph: Graph, entry_ids: list[int], viewer_id: int) -> list[Record]:
    if not entry_ids:
        return []
    rows = await graph.read(_HYDRATE, ids=entry_ids, viewer_id=viewer_id)
    entries: list[Record] = rows[0]["entries"] if rows else []
    return entries


@dataclass(frozen=True)
class ViewerEntries:
    """The per-viewer half of hydration (``feed/filter_entries``)."""

    visible: list[int]  # entry ids the viewer may see, in the order asked
    liked: set[int]  # post ids among them the viewer liked
    shared: set[int]  # ... and shared
    shares: dict[int, Record]  # share entry id -> post_id, sharer_id, quote, shared_at


async def filter_entries(graph: Graph, entry_ids: list[int], viewer_id: int) -> ViewerEntries:
    """Which entries the viewer may see, with their like/share state and the reposts' details."""
    if not entry_ids:
        return ViewerEntries([], set(), set(), {})
    rows = await graph.read(_FILTER, ids=entry_ids, viewer_id=viewer_id)
    if not rows:
        return ViewerEntries([], set(), set(), {})
    row = rows[0]
    shares = {
        entry: {"post_id": post, "sharer_id": sharer, "quote": quote, "shared_at": at}
        for entry, post, sharer, quote, at in row["shares"]
    }
    return ViewerEntries(row["visible"], set(row["liked"]), set(row["shared"]), shares)


@dataclass(frozen=True)
class EntryCards:
    """The post cache's cards of some feed entries (``feed/entry_cards``)."""

    posts: list[Record]  # the posts among the entries, and the posts the reposts show
    shares: list[Record]  # the reposts among the entries: id, share_of, sharer_id, quote, shared_at
    users: list[Record]  # the profiles asked for, and those of the posts' authors and the sharers

    def found(self) -> set[int]:
        """The entry ids that exist (as a post or a repost)."""
        return {c["id"] for c in self.posts} | {c["id"] for c in self.shares}


async def entry_cards(graph: Graph, entry_ids: list[int], user_ids: list[int]) -> EntryCards:
    """What every viewer sees alike of these entries (post or repost ids; media included) and users,
    with every profile the entries show; ids that are gone are left out."""
    rows = await graph.read(_ENTRY_CARDS, entry_ids=entry_ids, user_ids=user_ids)
    if not rows:
        return EntryCards([], [], [])
    return EntryCards(rows[0]["posts"], rows[0]["shares"], rows[0]["users"])


@dataclass(frozen=True)
class ViewerState:
    liked: list[int]  # post ids newer than the cutoff
    shared: list[int]  # post ids newer than the cutoff
    hidden: list[int]  # user ids: blocked either way, or muted


async def viewer_state(graph: Graph, viewer_id: int, since_id: int) -> ViewerState | None:
    rows = await graph.read(_VIEWER_STATE, viewer_id=viewer_id, since_id=since_id)
    if not rows:
        return None
    return ViewerState(rows[0]["liked"], rows[0]["shared"], rows[0]["hidden"])


async def post_counts(graph: Graph, post_ids: list[int]) -> list[Record]:
    """Current counts (and counts_version) of these posts; missing posts are left out."""
    if not post_ids:
        return []
    return await graph.read_list(_POST_COUNTS, "counts", post_ids=post_ids)


async def touch_feed_read(graph: Graph, user_id: int, now_ms: int) -> None:
    await graph.write(_TOUCH_FEED_READ, user_id=user_id, now=now_ms)
