"""Graph writes and reads of the benchmark datasets (bench/): batched UNWIND loads, counters, clean-up.

Only bench/ uses this module; every query touches users whose username starts with ``bench_``."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph, Record
from graph.queries import cypher

_CREATE_USERS = cypher("bench/create_users")
_CREATE_FOLLOWS = cypher("bench/create_follows")
_CREATE_POSTS = cypher("bench/create_posts")
_CREATE_LIKES = cypher("bench/create_likes")
_FINALIZE_USERS = cypher("bench/finalize_users")
_FINALIZE_POSTS = cypher("bench/finalize_posts")
_LIST_USERS = cypher("bench/list_users")
_DELETE_BATCH = cypher("bench/delete_dataset_batch")
_TOUCH_USERS = cypher("bench/touch_users")
_MARK_LOADED = cypher("bench/mark_dataset_loaded")
_MARKER = cypher("bench/dataset_marker")
_UNMARK = cypher("bench/unmark_dataset")


def _count(rows: list[Record], column: str) -> int:
    return int(rows[0][column]) if rows else 0


async def create_users(graph: Graph, rows: list[dict[str, Any]], password_hash: str) -> int:
    return _count(await graph.write(_CREATE_USERS, rows=rows, password_hash=password_hash), "created")


async def create_follows(graph: Graph, rows: list[tuple[int, int, int]]) -> int:
    return _count(await graph.write(_CREATE_FOLLOWS, rows=rows), "created")


async def create_posts(graph: Graph, rows: list[tuple[int, int, int, str]]) -> int:
    return _count(await graph.write(_CREATE_POSTS, rows=rows), "created")


async def create_likes(graph: Graph, rows: list[tuple[int, int, int]]) -> int:
    return _count(await graph.write(_CREATE_LIKES, rows=rows), "created")


async def finalize_users(graph: Graph, ids: list[int], threshold: int, now_ms: int) -> int:
    rows = await graph.write(_FINALIZE_USERS, ids=ids, threshold=threshold, now=now_ms)
    return _count(rows, "celebrities")


async def finalize_posts(graph: Graph, ids: list[int]) -> int:
    return _count(await graph.write(_FINALIZE_POSTS, ids=ids), "updated")


async def list_users(graph: Graph, prefix: str, limit: int) -> list[Record]:
    return await graph.read(_LIST_USERS, prefix=prefix, limit=limit)


async def delete_dataset_batch(graph: Graph, prefix: str, limit: int) -> int:
    _check_namespace(prefix)
    return _count(await graph.write(_DELETE_BATCH, prefix=prefix, limit=limit), "deleted")


async def mark_loaded(graph: Graph, prefix: str, shape: dict[str, int], now_ms: int) -> None:
    _check_namespace(prefix)
    await graph.write(_MARK_LOADED, prefix=prefix, shape=shape, now=now_ms)


async def loaded_shape(graph: Graph, prefix: str) -> Record | None:
    """The shape recorded when the dataset finished loading, or None (never loaded, or interrupted)."""
    rows = await graph.read(_MARKER, prefix=prefix)
    return rows[0] if rows else None


async def unmark(graph: Graph, prefix: str) -> None:
    _check_namespace(prefix)
    await graph.write(_UNMARK, prefix=prefix)


def _check_namespace(prefix: str) -> None:
    if not prefix.startswith("bench_"):
        raise ValueError(f"refusing to touch data outside the bench_ namespace: {prefix!r}")


async def touch_users(graph: Graph, ids: list[int], now_ms: int) -> int:
    return _count(await graph.write(_TOUCH_USERS, ids=ids, now=now_ms), "touched")
