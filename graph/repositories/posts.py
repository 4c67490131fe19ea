"""Posts: create, read, delete, and an author's own timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neo4j import AsyncManagedTransaction

from core import text
from core.errors import Forbidden, NotFound
from graph.driver import Graph, Record
from graph.queries import cypher
from graph.repositories.media import LOCK_MEDIA

# Raises (an AppError) to refuse the media a post wants: the transaction is then rolled back.
MediaCheck = Callable[[list[Record]], None]

_CREATE_POST = cypher("posts/create_post")
_GET_POST = cypher("posts/get_post")
_DELETE_POST = cypher("posts/delete_post")
_LIST_USER_POSTS = cypher("posts/list_user_posts")


async def create_post(
    graph: Graph,
    *,
    post_id: int,
    author_id: int,
    content: str,
    visibility: str,
    media_ids: list[int],
    event_id: int,
    now_ms: int,
    check_media: MediaCheck | None = None,
) -> Record:
    """Create the post with its hashtags, mentions, media and outbox event in one transaction.

    With ``media_ids``, the items are locked and their state handed to ``check_media`` first, in the same
    transaction, so that two posts can never attach the same item."""
    params: dict[str, Any] = {
        "post_id": post_id,
        "author_id": author_id,
        "content": content,
        "visibility": visibility,
        "media_ids": media_ids,
        "hashtags": text.hashtags(content),
        "mentions": text.mentions(content),
        "event_id": event_id,
        "now": now_ms,
    }

    async def work(tx: AsyncManagedTransaction) -> list[Record]:
        if media_ids:
            locked = await tx.run(LOCK_MEDIA.text, ids=media_ids)
            found = [record.data() for record in await locked.fetch(len(media_ids) + 1)]
            if check_media is not None:
                check_media(found)
        result = await tx.run(_CREATE_POST.text, params)
        return [record.data() for record in await result.fetch(1)]

    rows = await graph.write_tx(work)
    if not rows:
        raise NotFound("the author no longer exists", code="user_not_found")
    return {**rows[0], "is_liked": False, "is_shared": False}


async def get_post(graph: Graph, post_id: int, viewer_id: int) -> Record:
    """The post as the viewer sees it; NotFound also when the viewer may not see it (no existence leak)."""
    rows = await graph.read(_GET_POST, post_id=post_id, viewer_id=viewer_id)
    if not rows:
        raise NotFound("no such post", code="post_not_found")
    return rows[0]


async def delete_post(graph: Graph, post_id: int, user_id: int, event_id: int, now_ms: int) -> list[int]:
    """Delete by the author only; returns the media ids the post carried."""
    rows = await graph.write(_DELETE_POST, post_id=post_id, user_id=user_id, event_id=event_id, now=now_ms)
    if not rows:
        raise NotFound("no such post", code="post_not_found")
    if not rows[0]["is_author"]:
        raise Forbidden("only the author can delete a post", code="not_author")
    return list(rows[0]["media_ids"] or [])


async def list_user_posts(
    graph: Graph, user_id: int, viewer_id: int, before_id: int | None, limit: int
) -> list[Record]:
    return await graph.read(
        _LIST_USER_POSTS, user_id=user_id, viewer_id=viewer_id, before_id=before_id, limit=limit
    )
