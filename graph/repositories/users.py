"""Accounts and profiles."""

from __future__ import annotations

from typing import Any

from core.clock import now_ms as now
from core.errors import NotFound
from core.ids import new_id
from graph.driver import Graph, Record
from graph.queries import cypher

_CREATE_USER = cypher("users/create_user")
_GET_CREDENTIALS = cypher("users/get_credentials")
_GET_USER = cypher("users/get_user")
_FIND_USER_ID = cypher("users/find_user_id")
_UPDATE_PROFILE = cypher("users/update_profile")
_LIST_FOLLOWERS = cypher("users/list_followers")
_LIST_FOLLOWING = cypher("users/list_following")
_DELETE_USER = cypher("users/delete_user")


async def create_user(
    graph: Graph,
    *,
    user_id: int,
    username: str,
    email: str,
    password_hash: str,
    now_ms: int,
    event_id: int | None = None,
) -> Record:
    """Create the account; a taken username or email raises Conflict (from the constraint). Writes the
    outbox event ``event_id`` (a fresh id when None: the relay's sweep publishes it)."""
    rows = await graph.write(
        _CREATE_USER,
        id=user_id,
        username=username,
        username_lower=username.lower(),
        email=email.lower(),
        password_hash=password_hash,
        display_name=username,
        event_id=event_id or new_id(),
        now=now_ms,
    )
    user: Record = rows[0]["user"]
    return user


async def credentials(graph: Graph, login: str) -> tuple[int, str] | None:
    """(user id, password hash) for a username or email, or None."""
    rows = await graph.read(_GET_CREDENTIALS, login=login.lower())
    return (rows[0]["id"], rows[0]["password_hash"]) if rows else None


async def get_user(graph: Graph, user_id: int, viewer_id: int) -> Record:
    """The profile with the viewer's relation flags; NotFound when missing or the user blocks the viewer."""
    rows = await graph.read(_GET_USER, user_id=user_id, viewer_id=viewer_id)
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    return rows[0]


async def get_user_by_username(graph: Graph, username: str, viewer_id: int) -> Record:
    rows = await graph.read(_FIND_USER_ID, username_lower=username.lower())
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    return await get_user(graph, rows[0]["id"], viewer_id)


async def update_profile(
    graph: Graph, user_id: int, changes: dict[str, Any], event_id: int | None = None
) -> Record:
    rows = await graph.write(
        _UPDATE_PROFILE, user_id=user_id, changes=changes, event_id=event_id or new_id(), now=now()
    )
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    user: Record = rows[0]["user"]
    return user


async def list_followers(
    graph: Graph, user_id: int, viewer_id: int, before: tuple[int, int] | None, limit: int
) -> list[Record]:
    return await _list_relations(graph, _LIST_FOLLOWERS, user_id, viewer_id, before, limit)


async def list_following(
    graph: Graph, user_id: int, viewer_id: int, before: tuple[int, int] | None, limit: int
) -> list[Record]:
    return await _list_relations(graph, _LIST_FOLLOWING, user_id, viewer_id, before, limit)


async def _list_relations(
    graph: Graph, query: Any, user_id: int, viewer_id: int, before: tuple[int, int] | None, limit: int
) -> list[Record]:
    await get_user(graph, user_id, viewer_id)  # 404 for a missing user or one who blocks the viewer
    before_at, before_id = before if before else (None, None)
    return await graph.read(
        query, user_id=user_id, viewer_id=viewer_id, before_at=before_at, before_id=before_id, limit=limit
    )


async def delete_user(graph: Graph, user_id: int, event_id: int, now_ms: int) -> list[int]:
    """Delete the account and all it made, in one transaction with its outbox event; returns the ids
    of the posts it changed: its own (deleted) and others' whose counts it changed."""
    rows = await graph.write(_DELETE_USER, user_id=user_id, event_id=event_id, now=now_ms)
    if not rows:
        raise NotFound("no such user", code="user_not_found")
    changed: list[int] = rows[0]["post_ids"] + rows[0]["recounted_ids"]
    return changed
