"""The transactional outbox: events written in the same transaction as the change they describe."""

from __future__ import annotations

from graph.driver import Graph, Record
from graph.queries import cypher

_LIST_PENDING = cypher("outbox/list_pending_events")
_GET_EVENTS = cypher("outbox/get_events")
_DELETE_EVENTS = cypher("outbox/delete_events")


async def pending_events(graph: Graph, older_than_ms: int, limit: int) -> list[Record]:
    return [r["event"] for r in await graph.read(_LIST_PENDING, older_than_ms=older_than_ms, limit=limit)]


async def events_by_id(graph: Graph, ids: list[int]) -> list[Record]:
    return [r["event"] for r in await graph.read(_GET_EVENTS, ids=ids)]


async def delete_events(graph: Graph, ids: list[int]) -> int:
    rows = await graph.write(_DELETE_EVENTS, ids=ids)
    return int(rows[0]["deleted"]) if rows else 0
