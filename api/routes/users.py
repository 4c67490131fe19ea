"""Profiles, follow graph, blocks and mutes."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, BackgroundTasks, Response, status

from api.deps import CurrentUser, GraphDep, ServicesDep, Writer
from api.pagination import cursor_two, page
from api.schemas.common import Cursor, Limit, parse_id
from api.schemas.users import AccountDeletion, FollowOut, ProfileUpdate, RelationOut, UserOut, UserPage
from core.clock import now_ms
from core.errors import Unauthorized
from core.ids import new_id
from graph.driver import Record
from graph.repositories import social, users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserOut)
async def me(graph: GraphDep, user_id: CurrentUser) -> UserOut:
    row = await users.get_user(graph, user_id, user_id)
    return UserOut.from_record(row["user"])


@router.patch("/me", response_model=UserOut)
async def update_me(
    body: ProfileUpdate, services: ServicesDep, user_id: Writer, tasks: BackgroundTasks
) -> UserOut:
    """Change display name, bio or avatar_url; only the fields sent change (null clears bio/avatar)."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("display_name", "") is None:
        changes.pop("display_name")  # a display name cannot be cleared, only changed
    event_id = new_id()
    row = await users.update_profile(services.graph, user_id, changes, event_id)
    await services.feed.cards_changed(user_ids=[user_id])  # the profile shown on every post of theirs
    tasks.add_task(services.feed.publish_soon, event_id)  # search indexes profiles
    return UserOut.from_record(row)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(
    body: AccountDeletion, services: ServicesDep, user_id: Writer, tasks: BackgroundTasks
) -> Response:
    """Delete the account for good, with its posts, comments, likes, shares, follows and media; the
    password confirms it. Others' counters stay exact; search and media storage follow via events."""
    profile = await users.get_user(services.graph, user_id, user_id)
    found = await users.credentials(services.graph, profile["user"]["username"])
    valid = found is not None and await anyio.to_thread.run_sync(
        services.passwords.verify, found[1], body.password
    )
    if not valid:
        raise Unauthorized("the password is wrong", code="invalid_credentials")
    event_id = new_id()
    deleted = await users.delete_user(services.graph, user_id, event_id, now_ms())
    # Without its profile card, every cached post or repost of the account takes the graph path.
    await services.feed.cards_changed(deleted, user_ids=[user_id])
    tasks.add_task(services.feed.publish_soon, event_id)
    await services.feed.follows_changed(user_id)  # drops the timeline and caches of the account
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/by-username/{username}", response_model=UserOut)
async def by_username(username: str, graph: GraphDep, viewer: CurrentUser) -> UserOut:
    row = await users.get_user_by_username(graph, username, viewer)
    return UserOut.from_record(row["user"], row)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: str, graph: GraphDep, viewer: CurrentUser) -> UserOut:
    row = await users.get_user(graph, parse_id(user_id, "user_id"), viewer)
    return UserOut.from_record(row["user"], row)


@router.get("/{user_id}/followers", response_model=UserPage)
async def followers(
    user_id: str,
    graph: GraphDep,
    viewer: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> UserPage:
    rows = await users.list_followers(
        graph, parse_id(user_id, "user_id"), viewer, cursor_two(before), limit + 1
    )
    return _user_page(rows, limit)


@router.get("/{user_id}/following", response_model=UserPage)
async def following(
    user_id: str,
    graph: GraphDep,
    viewer: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> UserPage:
    rows = await users.list_following(
        graph, parse_id(user_id, "user_id"), viewer, cursor_two(before), limit + 1
    )
    return _user_page(rows, limit)


def _user_page(rows: list[Record], limit: int) -> UserPage:
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["followed_at"], r["user"]["id"]))
    return UserPage(
        users=[UserOut.from_record(r["user"]) for r in items], next_cursor=next_cursor, has_more=has_more
    )


@router.post("/{user_id}/follow", response_model=FollowOut)
async def follow(user_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> FollowOut:
    """Idempotent. 400 for yourself, 404 for an unknown user, 403 when a block stands either way."""
    target, event_id = parse_id(user_id, "user_id"), new_id()
    state = await social.follow(services.graph, me, target, now_ms(), event_id)
    tasks.add_task(services.feed.publish_soon, event_id)  # search indexes follower counts
    if state.changed:
        await services.feed.follows_changed(me)
    return _follow_out(target, state)


@router.delete("/{user_id}/follow", response_model=FollowOut)
async def unfollow(user_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> FollowOut:
    target, event_id = parse_id(user_id, "user_id"), new_id()
    state = await social.unfollow(services.graph, me, target, event_id)
    tasks.add_task(services.feed.publish_soon, event_id)
    if state.changed:
        await services.feed.follows_changed(me)
    return _follow_out(target, state)


def _follow_out(target: int, state: social.FollowState) -> FollowOut:
    return FollowOut(
        user_id=target,
        following=state.following,
        follower_count=state.follower_count,
        following_count=state.following_count,
    )


@router.post("/{user_id}/block", response_model=RelationOut)
async def block(user_id: str, services: ServicesDep, me: Writer, tasks: BackgroundTasks) -> RelationOut:
    """Idempotent. Removes follows both ways; each then sees nothing of the other."""
    target, event_id = parse_id(user_id, "user_id"), new_id()
    async with services.feed.changing_viewers(me, target):
        await social.block(services.graph, me, target, now_ms(), event_id)
    tasks.add_task(services.feed.publish_soon, event_id)
    await services.feed.follows_changed(me, target)
    return RelationOut(user_id=target, blocked=True)


@router.delete("/{user_id}/block", response_model=RelationOut)
async def unblock(user_id: str, services: ServicesDep, me: Writer) -> RelationOut:
    target = parse_id(user_id, "user_id")
    async with services.feed.changing_viewers(me, target):
        await social.unblock(services.graph, me, target)
    return RelationOut(user_id=target, blocked=False)


@router.post("/{user_id}/mute", response_model=RelationOut)
async def mute(user_id: str, services: ServicesDep, me: Writer) -> RelationOut:
    target = parse_id(user_id, "user_id")
    async with services.feed.changing_viewers(me):
        await social.mute(services.graph, me, target, now_ms())
    return RelationOut(user_id=target, muted=True)


@router.delete("/{user_id}/mute", response_model=RelationOut)
async def unmute(user_id: str, services: ServicesDep, me: Writer) -> RelationOut:
    target = parse_id(user_id, "user_id")
    async with services.feed.changing_viewers(me):
        await social.unmute(services.graph, me, target)
    return RelationOut(user_id=target, muted=False)
