"""Friend suggestions: candidates computed by the job, stored as SUGGESTED edges, read by the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import Invalid, NotFound
from graph.driver import Graph, Record
from graph.queries import cypher

_LIST_ACTIVE = cypher("suggestions/list_active_user_ids")
_LIST_ACTIVE_IN = cypher("suggestions/list_active_user_ids_in")
_COUNT_ACTIVE = cypher("suggestions/count_active_users")
_LIST_POPULAR = cypher("suggestions/list_popular_user_ids")
_COMPUTE = cypher("suggestions/compute_suggestions")
_REPLACE = cypher("suggestions/replace_suggestions")
_LIST = cypher("suggestions/list_suggestions")
_DISMISS = cypher("suggestions/dismiss_suggestion")


@dataclass(frozen=True)
class FriendCandidate:
    id: int
    score: float
    mutual_count: int
    via: list[int]


@dataclass(frozen=True)
class Candidates:
    """What the graph proposes for one user, before ranking (see jobs/friend_suggestions.py)."""

    user_id: int
    following: int
    friends: list[FriendCandidate]
    popular: list[int]


async def active_user_ids(graph: Graph, after_id: int, active_since_ms: int, limit: int) -> list[int]:
    rows = await graph.read(_LIST_ACTIVE, after_id=after_id, active_since=active_since_ms, limit=limit)
    return [int(r["user_id"]) for r in rows]


async def active_among(graph: Graph, user_ids: list[int], active_since_ms: int) -> list[int]:
    rows = await graph.read(_LIST_ACTIVE_IN, user_ids=user_ids, active_since=active_since_ms)
    return [int(r["user_id"]) for r in rows]


async def count_active_users(graph: Graph, after_id: int, active_since_ms: int) -> int:
    rows = await graph.read(_COUNT_ACTIVE, after_id=after_id, active_since=active_since_ms)
    return int(rows[0]["users"]) if rows else 0


async def popular_user_ids(graph: Graph, limit: int) -> list[int]:
    return [int(r["user_id"]) for r in await graph.read(_LIST_POPULAR, limit=limit)]


async def candidates(
    graph: Graph, user_ids: list[int], k: int, popular: list[int], via_sample: int = 3
) -> list[Candidates]:
    rows = await graph.read(_COMPUTE, user_ids=user_ids, k=k, popular=popular, via_sample=via_sample)
    return [
        Candidates(
            user_id=int(r["user_id"]),
            following=int(r["following"] or 0),
            friends=[
                FriendCandidate(int(f["id"]), float(f["score"]), int(f["mutual_count"]), list(f["via"]))
                for f in r["friends"]
            ],
            popular=[int(p) for p in r["popular"]],
        )
        for r in rows
    ]


async def replace(graph: Graph, rows: list[dict[str, Any]], now_ms: int) -> int:
    """Atomically replace the suggestions of every user in ``rows`` (one transaction per batch)."""
    if not rows:
        return 0
    result = await graph.write(_REPLACE, rows=rows, now=now_ms)
    return int(result[0]["users"]) if result else 0


async def list_for(graph: Graph, user_id: int, after_rank: int | None, limit: int) -> list[Record]:
    return await graph.read(_LIST, user_id=user_id, after_rank=after_rank, limit=limit)


async def dismiss(graph: Graph, user_id: int, target_id: int, now_ms: int) -> None:
    """Idempotent; 400 for yourself, 404 for an unknown user. Never suggested again."""
    if user_id == target_id:
        raise Invalid("you cannot dismiss yourself", code="cannot_dismiss_self")
    if not await graph.write(_DISMISS, user_id=user_id, target_id=target_id, now=now_ms):
        raise NotFound("no such user", code="user_not_found")
