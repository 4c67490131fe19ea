"""Follows, blocks and mutes between users."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import now_ms as now
from core.errors import Forbidden, Invalid, NotFound
from core.ids import new_id
from graph.driver import Graph
from graph.queries import cypher

_FOLLOW = cypher("social/follow_user")
_UNFOLLOW = cypher("social/unfollow_user")
_BLOCK = cypher("social/block_user")
_UNBLOCK = cypher("social/unblock_user")
_MUTE = cypher("social/mute_user")
_UNMUTE = cypher("social/unmute_user")


@dataclass(frozen=True)
class FollowState:
    following: bool
    changed: bool
    follower_count: int
    following_count: int


def _not_self(actor_id: int, target_id: int, verb: str) -> None:
    if actor_id == target_id:
        raise Invalid(f"you cannot {verb} yourself", code=f"cannot_{verb}_self")


async def follow(
    graph: Graph, follower_id: int, followee_id: int, now_ms: int, event_id: int | None = None
) -> FollowState:
    """Idempotent; 400 for yourself, 404 for an unknown user, 403 when a block stands either way. A new
    follow writes the outbox event ``event_id`` (a fresh id when None: the relay's sweep publishes it)."""
    _not_self(follower_id, followee_id, "follow")
    rows = await graph.write(
        _FOLLOW,
        follower_id=follower_id,
        followee_id=followee_id,
        event_id=event_id or new_id(),
        now=now_ms,
    )
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    row = rows[0]
    if row["blocked"]:
        raise Forbidden("you cannot follow this user", code="blocked")
    return FollowState(True, row["created"], row["follower_count"], row["following_count"])


async def unfollow(
    graph: Graph, follower_id: int, followee_id: int, event_id: int | None = None
) -> FollowState:
    _not_self(follower_id, followee_id, "follow")
    rows = await graph.write(
        _UNFOLLOW,
        follower_id=follower_id,
        followee_id=followee_id,
        event_id=event_id or new_id(),
        now=now(),
    )
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    row = rows[0]
    return FollowState(False, row["removed"], row["follower_count"], row["following_count"])


async def block(
    graph: Graph, blocker_id: int, blocked_id: int, now_ms: int, event_id: int | None = None
) -> None:
    _not_self(blocker_id, blocked_id, "block")
    if not await graph.write(
        _BLOCK, blocker_id=blocker_id, blocked_id=blocked_id, event_id=event_id or new_id(), now=now_ms
    ):
        raise NotFound("no such user", code="user_not_found")


async def unblock(graph: Graph, blocker_id: int, blocked_id: int) -> None:
    _not_self(blocker_id, blocked_id, "block")
    if not await graph.write(_UNBLOCK, blocker_id=blocker_id, blocked_id=blocked_id):
        raise NotFound("no such user", code="user_not_found")


async def mute(graph: Graph, muter_id: int, muted_id: int, now_ms: int) -> None:
    _not_self(muter_id, muted_id, "mute")
    if not await graph.write(_MUTE, muter_id=muter_id, muted_id=muted_id, now=now_ms):
        raise NotFound("no such user", code="user_not_found")


async def unmute(graph: Graph, muter_id: int, muted_id: int) -> None:
    _not_self(muter_id, muted_id, "mute")
    if not await graph.write(_UNMUTE, muter_id=muter_id, muted_id=muted_id):
        raise NotFound("no such user", code="user_not_found")
