"""Graph reads for search: documents to index, a viewer's visibility filters, hydration of hits."""

from __future__ import annotations

from dataclasses import dataclass

from graph.driver import Graph, Record
from graph.queries import cypher

_POST_DOCUMENTS = cypher("search/get_post_documents")
_USER_DOCUMENTS = cypher("search/get_user_documents")
_VIEWER_FILTERS = cypher("search/get_viewer_filters")
_HYDRATE_POSTS = cypher("search/hydrate_posts")
_HYDRATE_USERS = cypher("search/hydrate_users")
_LIST_POST_IDS = cypher("search/list_post_ids")
_LIST_USER_IDS = cypher("search/list_user_ids")


@dataclass(frozen=True)
class ViewerFilters:
    followee_ids: list[int]
    blocked_ids: list[int]  # a block either way


async def post_documents(graph: Graph, ids: list[int]) -> list[Record]:
    """Rows of the posts that still exist (see cypher/search/get_post_documents.cypher)."""
    return await graph.read(_POST_DOCUMENTS, ids=ids)


async def user_documents(graph: Graph, ids: list[int]) -> list[Record]:
    return [r["user"] for r in await graph.read(_USER_DOCUMENTS, ids=ids)]


async def viewer_filters(graph: Graph, viewer_id: int) -> ViewerFilters:
    rows = await graph.read(_VIEWER_FILTERS, viewer_id=viewer_id)
    if not rows:
        return ViewerFilters([], [])
    return ViewerFilters(list(rows[0]["followee_ids"]), list(rows[0]["blocked_ids"]))


async def hydrate_posts(graph: Graph, ids: list[int], viewer_id: int) -> list[Record]:
    """The visible ones among ``ids``, in the order of ``ids``."""
    if not ids:
        return []
    rows = await graph.read(_HYDRATE_POSTS, ids=ids, viewer_id=viewer_id)
    by_id = {row["post"]["id"]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def hydrate_users(graph: Graph, ids: list[int], viewer_id: int) -> list[Record]:
    """The users among ``ids`` not in a block with the viewer, in the order of ``ids``."""
    if not ids:
        return []
    rows = await graph.read(_HYDRATE_USERS, ids=ids, viewer_id=viewer_id)
    by_id = {row["user"]["id"]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def post_ids_after(graph: Graph, after_id: int, limit: int) -> list[int]:
    return [r["id"] for r in await graph.read(_LIST_POST_IDS, after_id=after_id, limit=limit)]


async def user_ids_after(graph: Graph, after_id: int, limit: int) -> list[int]:
    return [r["id"] for r in await graph.read(_LIST_USER_IDS, after_id=after_id, limit=limit)]
