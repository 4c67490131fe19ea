"""The ``search`` consumer group: keeps the OpenSearch indices and the trending scores in step with the
event stream.

Indexing is state-based: an event only says *which* post or user changed; the handler re-reads their
current state from the graph and writes whole documents (a post that no longer exists is deleted). So
events may come twice, late or out of order and the index still ends up right, and a burst of likes
on one post costs one graph read and one document write per batch, not one per like.

Each write carries an external version: an id taken before the graph read, i.e. a time no later than
the state written. OpenSearch keeps the highest version, so of two workers racing on one post the
older read cannot overwrite the newer (deletes leave a versioned tombstone for ``index.gc_deletes``).

When OpenSearch (or Neo4j) is unreachable the handler raises :class:`~cache.events.RetryLater`: the
batch stays pending and is retried, without counting towards the dead-letter limit, however long the
outage lasts. Trending scores live in Redis and are applied even then (idempotently, per event id)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cache.events import Event, RetryLater
from core.clock import now_ms
from core.errors import Unavailable
from core.ids import id_to_ms, new_id
from graph.driver import Graph
from graph.repositories import search as search_graph
from search.documents import post_document, user_document
from search.errors import is_outage
from search.indices import POSTS, USERS, IndexSpec, Indices
from search.trending import (
    COMMENT_WEIGHT,
    LIKE_WEIGHT,
    POST_CREATED_WEIGHT,
    SHARE_WEIGHT,
    Contribution,
    Trending,
)

log = logging.getLogger(__name__)

GROUP = "search"

# Events whose post must be re-read (content, visibility or counters changed).
_POST_EVENTS = {
    "post_created",
    "post_deleted",
    "post_shared",
    "post_unshared",
    "post_liked",
    "post_unliked",
    "comment_created",
    "comment_deleted",
}
# Events whose users must be re-read: the actor and the user the event is about.
_USER_EVENTS = {
    "user_created",
    "user_updated",
    "user_followed",
    "user_unfollowed",
    "user_blocked",
    "user_deleted",
}
_TREND_WEIGHTS = {
    "post_created": POST_CREATED_WEIGHT,
    "post_liked": LIKE_WEIGHT,
    "comment_created": COMMENT_WEIGHT,
    "post_shared": SHARE_WEIGHT,
}
# Per-document results that are fine: a newer version is already there (409), nothing to delete (404).
_HARMLESS = {200, 201, 404, 409}


class IndexingError(Exception):
    """OpenSearch refused a document (a bug, e.g. a mapping mismatch): counted, parked after retries."""


@dataclass(frozen=True)
class _Write:
    doc_id: int
    document: dict[str, Any] | None  # None: delete


class SearchIndexer:
    def __init__(self, graph: Graph, indices: Indices, trending: Trending) -> None:
        self._graph = graph
        self._indices = indices
        self._trending = trending

    async def handle(self, events: list[Event]) -> None:
        """The consumer group's handler (idempotent)."""
        post_ids = _unique(
            [e.post_id for e in events if e.type in _POST_EVENTS]
            # A deleted account takes its posts along: re-reading finds them gone, so they are deleted.
            + [p for e in events if e.type == "user_deleted" for p in e.post_ids]
        )
        user_ids = _unique(
            uid
            for e in events
            if e.type in _USER_EVENTS
            for uid in (e.actor_id, e.user_id)
            if uid is not None
        )
        version = new_id()
        try:
            post_rows = await search_graph.post_documents(self._graph, post_ids) if post_ids else []
            user_rows = await search_graph.user_documents(self._graph, user_ids) if user_ids else []
        except Unavailable as exc:
            raise RetryLater("neo4j is unavailable") from exc
        indexed_at = now_ms()
        posts = {
            row["post"]["id"]: post_document(row["post"], row["author_username"], indexed_at)
            for row in post_rows
        }
        users = {row["id"]: user_document(row, indexed_at) for row in user_rows}

        await self._trending.record(list(_contributions(events, posts)))
        await self._trending.forget_posts([p for p in post_ids if p not in posts])

        await self.write(POSTS, [_Write(p, posts.get(p)) for p in post_ids], version)
        await self.write(USERS, [_Write(u, users.get(u)) for u in user_ids], version)

    async def index_posts(self, post_ids: list[int]) -> int:
        """Re-read these posts from the graph and write them (or delete the missing); returns how many."""
        version = new_id()
        rows = await search_graph.post_documents(self._graph, post_ids)
        indexed_at = now_ms()
        posts = {r["post"]["id"]: post_document(r["post"], r["author_username"], indexed_at) for r in rows}
        await self.write(POSTS, [_Write(p, posts.get(p)) for p in post_ids], version)
        return len(posts)

    async def index_users(self, user_ids: list[int]) -> int:
        version = new_id()
        rows = await search_graph.user_documents(self._graph, user_ids)
        indexed_at = now_ms()
        users = {r["id"]: user_document(r, indexed_at) for r in rows}
        await self.write(USERS, [_Write(u, users.get(u)) for u in user_ids], version)
        return len(users)

    async def write(self, spec: IndexSpec, writes: list[_Write], version: int) -> None:
        """One bulk request to every index behind the write alias (two while a reindex runs)."""
        if not writes:
            return
        try:
            await self._indices.ensure()
            targets = await self._indices.write_targets(spec)
            body: list[dict[str, Any]] = []
            for index in targets:
                for w in writes:
                    meta = {
                        "_index": index,
                        "_id": str(w.doc_id),
                        "version": version,
                        "version_type": "external",
                    }
                    if w.document is None:
                        body.append({"delete": meta})
                    else:
                        body += [{"index": meta}, w.document]
            response = await self._indices.client.bulk(body=body)
        except Exception as exc:
            if is_outage(exc):
                raise RetryLater(f"opensearch is unavailable: {exc!r}") from exc
            raise
        if response.get("errors"):
            _check_items(response["items"])


def _check_items(items: list[dict[str, Any]]) -> None:
    outage: list[tuple[Any, int, Any]] = []
    refused: list[tuple[Any, int, Any]] = []
    for item in items:
        (result,) = item.values()
        status = int(result.get("status", 500))
        error = result.get("error") or {}
        if status in _HARMLESS or error.get("type") == "index_not_found_exception":
            continue  # an old index deleted by a reindex that just finished: the new one has the write
        (outage if status in {429, 502, 503, 504} else refused).append((result.get("_id"), status, error))
    if outage:
        raise RetryLater(f"opensearch could not take {len(outage)} documents now (e.g. {outage[0]})")
    if refused:
        raise IndexingError(f"opensearch refused {len(refused)} documents (e.g. {refused[0]})")


def _contributions(events: Iterable[Event], posts: dict[int, dict[str, Any]]) -> Iterable[Contribution]:
    """Trending contributions of these events; only public posts that still exist count."""
    for event in events:
        weight = _TREND_WEIGHTS.get(event.type)
        post = posts.get(event.post_id)
        if weight is None or post is None or post["visibility"] != "public":
            continue
        at = id_to_ms(event.id)
        yield Contribution(event.id, at, "p", str(event.post_id), weight)
        for tag in post["hashtags"]:
            yield Contribution(event.id, at, "t", tag, weight)


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(v for v in values if v))
