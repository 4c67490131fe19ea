"""Graph reads and writes of the feed: fan-out targets, celebrity pull, rebuilds, hydration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from graph.driver import Graph, Record
from graph.queries import cypher

_AUTHOR_STATE = cypher("feed/get_author_state")
_SET_PULL_FEED = cypher("feed/set_pull_feed")
_ACTIVE_FOLLOWERS = cypher("feed/list_active_follower_ids")
_ALL_FOLLOWERS = cypher("feed/list_follower_ids")
_PULL_FOLLOWEES = cypher("feed/list_pull_followees")
_AUTHOR_RECENT = cypher("feed/author_recent_entries")
_REBUILD_TIMELINE = cypher("feed/rebuild_timeline")
_HYDRATE = cypher("feed/hydrate_entries")
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


async def follower_batches(
    graph: Graph, author_id: int, batch_size: int, active_since: int | None = None
) -> AsyncIterator[list[int]]:
    """Follower ids in ascending batches; only those active since ``active_since`` when it is given."""
    after = -1
    while True:
        if active_since is None:
            rows = await graph.read(_ALL_FOLLOWERS, author_id=author_id, after_id=after, limit=batch_size)
        else:
            rows = await graph.read(
                _ACTIVE_FOLLOWERS,
                author_id=author_id,
                active_since=active_since,
                after_id=after,
                limit=batch_size,
            )
        ids: list[int] = rows[0]["ids"] if rows else []
        if ids:
            yield ids
        if len(ids) < batch_size:
            return
        after = ids[-1]


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


async def touch_feed_read(graph: Graph, user_id: int, now_ms: int) -> None:
    await graph.write(_TOUCH_FEED_READ, user_id=user_id, now=now_ms)
