"""The transactional outbox: events written in the same transaction as the change they describe."""

from __future__ import annotations

from graph.driver import Graph, Record
from graph.queries import cypher

_LIST_PENDING = cypher("outbox/list_pending_events")
_GET_EVENTS = cypher("outbox/get_events")
_MARK_PUBLISHED = cypher("outbox/mark_published")
_LIST_PUBLISHED = cypher("outbox/list_published_events")
_REPUBLISHED = cypher("outbox/republished")
_DELETE_PUBLISHED = cypher("outbox/delete_published")
_DELETE_ABANDONED = cypher("outbox/delete_abandoned_published")


async def pending_events(graph: Graph, older_than_ms: int, limit: int) -> list[Record]:
    return [r["event"] for r in await graph.read(_LIST_PENDING, older_than_ms=older_than_ms, limit=limit)]


async def events_by_id(graph: Graph, ids: list[int]) -> list[Record]:
    return [r["event"] for r in await graph.read(_GET_EVENTS, ids=ids)]


async def mark_published(graph: Graph, ids: list[int], published_at: int, origin: str, run_id: str) -> int:
    rows = await graph.write(
        _MARK_PUBLISHED, ids=ids, published_at=published_at, origin=origin, run_id=run_id
    )
    return int(rows[0]["marked"]) if rows else 0


async def published_events(
    graph: Graph, origin: str, older_than_ms: int, limit: int
) -> list[tuple[Record, str]]:
    """Events put on the stream ``origin`` at least as long ago, each with the run id of the Redis
    process that took it."""
    rows = await graph.read(_LIST_PUBLISHED, origin=origin, older_than_ms=older_than_ms, limit=limit)
    return [(r["event"], str(r["run_id"])) for r in rows]


async def republished(graph: Graph, ids: list[int], published_at: int, run_id: str) -> int:
    rows = await graph.write(_REPUBLISHED, ids=ids, published_at=published_at, run_id=run_id)
    return int(rows[0]["marked"]) if rows else 0


async def delete_published(graph: Graph, ids: list[int]) -> int:
    rows = await graph.write(_DELETE_PUBLISHED, ids=ids)
    return int(rows[0]["deleted"]) if rows else 0


async def delete_abandoned_published(graph: Graph, older_than_ms: int, limit: int) -> int:
    """Up to ``limit`` published events of any stream published before ``older_than_ms``, deleted."""
    rows = await graph.write(_DELETE_ABANDONED, older_than_ms=older_than_ms, limit=limit)
    return int(rows[0]["deleted"]) if rows else 0
