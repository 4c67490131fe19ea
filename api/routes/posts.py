"""Posts, likes, comments and shares."""

from __future__ import annotations

import functools

from fastapi import APIRouter, BackgroundTasks, Response, status

from api.deps import CurrentUser, GraphDep, ServicesDep, Writer
from api.pagination import cursor_one, cursor_two, page
from api.schemas.common import Cursor, Limit, parse_id
from api.schemas.posts import (
    CommentCreate,
    CommentOut,
    CommentPage,
    LikeOut,
    PostCreate,
    PostOut,
    PostPage,
    ShareCreate,
    ShareOut,
)
from api.schemas.users import UserOut, UserPage
from api.services import Services
from core.clock import now_ms
from core.ids import new_id
from graph.repositories import interactions, posts
from media.attach import check_attachment, check_request

router = APIRouter(tags=["posts"])


@router.post("/posts", status_code=status.HTTP_201_CREATED, response_model=PostOut)
async def create_post(body: PostCreate, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> PostOut:
    """Publish a post. It reaches followers' feeds through the event stream (fan-out on write).
    ``media_ids``: at most 4 images or 1 video, uploaded by the author and not attached to another post."""
    media_ids = [parse_id(m, "media_id") for m in body.media_ids]
    check_request(media_ids)
    event_id = new_id()
    row = await posts.create_post(
        services.graph,
        post_id=new_id(),
        author_id=me,
        content=body.content,
        visibility=body.visibility.value,
        media_ids=media_ids,
        event_id=event_id,
        now_ms=now_ms(),
        check_media=functools.partial(check_attachment, media_ids, author_id=me),
    )
    tasks.add_task(services.feed.publish_soon, event_id)
    return PostOut.from_record(row, *services.media.for_post(row["post"]))


@router.get("/posts/{post_id}", response_model=PostOut)
async def get_post(post_id: str, services: ServicesDep, viewer: CurrentUser) -> PostOut:
    row = await posts.get_post(services.graph, parse_id(post_id, "post_id"), viewer)
    return PostOut.from_record(row, *services.media.for_post(row["post"]))


@router.delete("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post(post_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> Response:
    """Author only. Comments, likes and shares go with the post."""
    event_id = new_id()
    pid = parse_id(post_id, "post_id")
    await posts.delete_post(services.graph, pid, me, event_id, now_ms())
    await services.feed.cards_changed([pid])
    tasks.add_task(services.feed.publish_soon, event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/posts", response_model=PostPage)
async def user_posts(
    user_id: str, services: ServicesDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> PostPage:
    """The author's own posts, newest first, as the viewer may see them."""
    rows = await posts.list_user_posts(
        services.graph, parse_id(user_id, "user_id"), viewer, cursor_one(before), limit + 1
    )
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["post"]["id"],))
    return PostPage(
        posts=[PostOut.from_record(r, *services.media.for_post(r["post"])) for r in items],
        next_cursor=next_cursor,
        has_more=has_more,
    )


@router.post("/posts/{post_id}/like", response_model=LikeOut)
async def like(post_id: str, services: ServicesDep, me: Writer) -> LikeOut:
    """Idempotent; like_count is exact, also under many concurrent likes (group-committed per post)."""
    return await like_post(services, me, parse_id(post_id, "post_id"))


async def like_post(services: Services, me: int, post_id: int) -> LikeOut:
    """The route's work once its parameters are known (also called by api/hot_paths.py)."""
    # Publishes its events and forgets the liker's cached viewer state itself, once per batch.
    count = await services.likes.like(me, post_id)
    return LikeOut(post_id=post_id, liked=True, like_count=count)


@router.delete("/posts/{post_id}/like", response_model=LikeOut)
async def unlike(post_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> LikeOut:
    pid, event_id = parse_id(post_id, "post_id"), new_id()
    async with services.feed.changing_viewers(me):
        counts = await interactions.unlike(services.graph, me, pid, event_id, now_ms())
    await services.feed.counts_changed(pid, counts)  # before the answer: the next read sees the count
    tasks.add_task(services.feed.publish_soon, event_id)
    return LikeOut(post_id=pid, liked=False, like_count=counts["like_count"])


@router.get("/posts/{post_id}/likes", response_model=UserPage)
async def likes(
    post_id: str, graph: GraphDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> UserPage:
    pid = parse_id(post_id, "post_id")
    await posts.get_post(graph, pid, viewer)  # 404 when the viewer may not see the post
    rows = await interactions.list_likes(graph, pid, viewer, cursor_two(before), limit + 1)
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["liked_at"], r["user"]["id"]))
    return UserPage(
        users=[UserOut.from_record(r["user"]) for r in items], next_cursor=next_cursor, has_more=has_more
    )


@router.post("/posts/{post_id}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentOut)
async def comment(
    post_id: str, body: CommentCreate, services: ServicesDep, me: Writer, tasks: BackgroundTasks
) -> CommentOut:
    pid, event_id = parse_id(post_id, "post_id"), new_id()
    row = await interactions.create_comment(services.graph, me, pid, body.content, now_ms(), event_id)
    await services.feed.counts_changed(pid, row["counts"])
    tasks.add_task(services.feed.publish_soon, event_id)  # search counters and trending
    return CommentOut.from_record(row)


@router.get("/posts/{post_id}/comments", response_model=CommentPage)
async def comments(
    post_id: str, graph: GraphDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> CommentPage:
    """Oldest first. The cursor is named ``before`` like every list's, and points past the last comment."""
    pid = parse_id(post_id, "post_id")
    await posts.get_post(graph, pid, viewer)
    rows = await interactions.list_comments(graph, pid, viewer, cursor_one(before), limit + 1)
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["comment"]["id"],))
    return CommentPage(
        comments=[CommentOut.from_record(r) for r in items], next_cursor=next_cursor, has_more=has_more
    )


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(
    comment_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks
) -> Response:
    """Allowed to the comment's author and to the post's author."""
    event_id = new_id()
    post_id, counts = await interactions.delete_comment(
        services.graph, parse_id(comment_id, "comment_id"), me, event_id, now_ms()
    )
    await services.feed.counts_changed(post_id, counts)
    tasks.add_task(services.feed.publish_soon, event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/posts/{post_id}/share", response_model=ShareOut)
async def share(
    post_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks, body: ShareCreate | None = None
) -> ShareOut:
    """Repost (idempotent), with an optional quote. Only public posts can be shared."""
    pid, event_id = parse_id(post_id, "post_id"), new_id()
    quote = body.quote if body and body.quote else None
    async with services.feed.changing_viewers(me):
        counts = await interactions.share(services.graph, me, pid, quote, event_id, now_ms())
    await services.feed.counts_changed(pid, counts)
    tasks.add_task(services.feed.publish_soon, event_id)
    return ShareOut(post_id=pid, shared=True, share_count=counts["share_count"])


@router.delete("/posts/{post_id}/share", response_model=ShareOut)
async def unshare(post_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> ShareOut:
    pid, event_id = parse_id(post_id, "post_id"), new_id()
    async with services.feed.changing_viewers(me):
        counts, share_ids = await interactions.unshare(services.graph, me, pid, event_id, now_ms())
    await services.feed.counts_changed(pid, counts)
    await services.feed.cards_changed(share_ids)  # the withdrawn reposts' own cards
    tasks.add_task(services.feed.publish_soon, event_id)
    return ShareOut(post_id=pid, shared=False, share_count=counts["share_count"])
