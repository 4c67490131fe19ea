"""Likes, comments and shares (reposts)."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import now_ms as now
from core.errors import Forbidden, NotFound
from core.ids import new_id
from graph.driver import Graph, Record
from graph.queries import cypher

_LIKE = cypher("interactions/like_post")
_LIKE_BATCH = cypher("interactions/like_post_batch")
_UNLIKE = cypher("interactions/unlike_post")
_LIST_LIKES = cypher("interactions/list_likes")
_CREATE_COMMENT = cypher("interactions/create_comment")
_LIST_COMMENTS = cypher("interactions/list_comments")
_DELETE_COMMENT = cypher("interactions/delete_comment")
_SHARE = cypher("interactions/share_post")
_UNSHARE = cypher("interactions/unshare_post")


async def like(graph: Graph, user_id: int, post_id: int, now_ms: int, event_id: int | None = None) -> int:
    """Idempotent; returns the exact like_count. A post the user may not see is a 404. A new like writes
    the outbox event ``event_id`` (a fresh id when None: the relay's sweep publishes it)."""
    rows = await graph.write(
        _LIKE, user_id=user_id, post_id=post_id, event_id=event_id or new_id(), now=now_ms
    )
    if not rows or not rows[0]["visible"]:
        raise NotFound("no such post", code="post_not_found")
    count: int = rows[0]["like_count"]
    return count


@dataclass(frozen=True)
class BatchLike:
    """One liker's outcome in a batch. ``event_id`` is the OutboxEvent written when ``created``."""

    visible: bool
    created: bool
    event_id: int


@dataclass(frozen=True)
class BatchLikes:
    like_count: int
    by_user: dict[int, BatchLike]  # a user absent from the map (post gone) may not see the post
    # The post's counts as committed (like_count, comment_count, share_count, counts_version); None
    # when there is no such post.
    counts: Record | None = None


async def like_batch(graph: Graph, post_id: int, likes: list[tuple[int, int]], now_ms: int) -> BatchLikes:
    """Likes of one post by ``(user_id, event_id)`` pairs in one transaction (the post's lock taken once);
    the same user twice is one like. Returns the exact like_count as committed and each user's outcome;
    no such post: a count of 0 and no user (none may see it)."""
    rows = await graph.write(
        _LIKE_BATCH,
        post_id=post_id,
        likes=[{"user_id": user_id, "event_id": event_id} for user_id, event_id in likes],
        now=now_ms,
    )
    if not rows:
        return BatchLikes(like_count=0, by_user={})
    return BatchLikes(
        counts=rows[0]["counts"],
        like_count=rows[0]["like_count"],
        by_user={
            like["user_id"]: BatchLike(like["visible"], like["created"], like["event_id"])
            for like in rows[0]["likes"]
        },
    )


async def unlike(
    graph: Graph, user_id: int, post_id: int, event_id: int | None = None, now_ms: int | None = None
) -> Record:
    """Idempotent; returns the post's counts as committed (like_count, comment_count, share_count,
    counts_version)."""
    rows = await graph.write(
        _UNLIKE, user_id=user_id, post_id=post_id, event_id=event_id or new_id(), now=now_ms or now()
    )
    if not rows:
        raise NotFound("no such post", code="post_not_found")
    counts: Record = rows[0]["counts"]
    return counts


async def list_likes(
    graph: Graph, post_id: int, viewer_id: int, before: tuple[int, int] | None, limit: int
) -> list[Record]:
    before_at, before_id = before if before else (None, None)
    return await graph.read(
        _LIST_LIKES,
        post_id=post_id,
        viewer_id=viewer_id,
        before_at=before_at,
        before_id=before_id,
        limit=limit,
    )


async def create_comment(
    graph: Graph, user_id: int, post_id: int, content: str, now_ms: int, event_id: int | None = None
) -> Record:
    rows = await graph.write(
        _CREATE_COMMENT,
        comment_id=new_id(),
        user_id=user_id,
        post_id=post_id,
        content=content,
        event_id=event_id or new_id(),
        now=now_ms,
    )
    if not rows or not rows[0]["visible"]:
        raise NotFound("no such post", code="post_not_found")
    return rows[0]


async def list_comments(
    graph: Graph, post_id: int, viewer_id: int, after_id: int | None, limit: int
) -> list[Record]:
    return await graph.read(
        _LIST_COMMENTS, post_id=post_id, viewer_id=viewer_id, after_id=after_id, limit=limit
    )


async def delete_comment(
    graph: Graph, comment_id: int, user_id: int, event_id: int | None = None, now_ms: int | None = None
) -> tuple[int, Record]:
    """Returns the id of the post the comment was on and its counts as committed."""
    rows = await graph.write(
        _DELETE_COMMENT,
        comment_id=comment_id,
        user_id=user_id,
        event_id=event_id or new_id(),
        now=now_ms or now(),
    )
    if not rows:
        raise NotFound("no such comment", code="comment_not_found")
    if not rows[0]["allowed"]:
        raise Forbidden("only the comment's author or the post's author can delete it", code="not_author")
    return rows[0]["post_id"], rows[0]["counts"]


async def share(
    graph: Graph, user_id: int, post_id: int, quote: str | None, event_id: int, now_ms: int
) -> Record:
    """Idempotent repost of a public post; returns the post's counts as committed (exact share_count)."""
    rows = await graph.write(
        _SHARE,
        user_id=user_id,
        post_id=post_id,
        share_id=new_id(),
        quote=quote,
        event_id=event_id,
        now=now_ms,
    )
    if not rows or not rows[0]["visible"]:
        raise NotFound("no such post", code="post_not_found")
    if not rows[0]["shareable"]:
        raise Forbidden("only public posts can be shared", code="not_shareable")
    counts: Record = rows[0]["counts"]
    return counts


async def unshare(
    graph: Graph, user_id: int, post_id: int, event_id: int, now_ms: int
) -> tuple[Record, list[int]]:
    """Idempotent; returns the post's counts as committed and the ids of the withdrawn shares (feed
    entries)."""
    rows = await graph.write(_UNSHARE, user_id=user_id, post_id=post_id, event_id=event_id, now=now_ms)
    if not rows:
        raise NotFound("no such post", code="post_not_found")
    return rows[0]["counts"], rows[0]["share_ids"]
