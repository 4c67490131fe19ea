"""Search and discovery, assembled once per process from the shared clients: the indices, the indexing
consumer, trending, and the read paths the API serves.

Every read path asks OpenSearch (or Redis, for trending) for ids only, then hydrates them from the
graph with the viewer's visibility rules applied again, so a stale index can never show a deleted
post or one the viewer may not see; counters shown are the graph's exact ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opensearchpy import AsyncOpenSearch
from redis.asyncio import Redis, RedisCluster

from core.clock import now_ms
from core.errors import Invalid
from core.settings import Settings
from graph.driver import Graph, Record
from graph.repositories import search as search_graph
from search import builders
from search.builders import PostSort
from search.cursors import decode_sort, encode_sort
from search.errors import search_errors
from search.indexer import SearchIndexer
from search.indices import POSTS, USERS, IndexSpec, Indices
from search.query import normalize_tag, normalize_username, parse_post_query
from search.trending import MAX_MEMBERS, Trending


@dataclass(frozen=True)
class Page:
    """Hydrated rows of one page; ``has_more`` comes from the index (hydration may drop a stale hit)."""

    rows: list[Record]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class TagPage:
    tags: list[tuple[str, float]]
    next_cursor: str | None
    has_more: bool


class SearchService:
    def __init__(
        self, settings: Settings, graph: Graph, client: AsyncOpenSearch, redis: Redis | RedisCluster
    ) -> None:
        self.graph = graph
        self.indices = Indices(client, settings)
        # Trending keys follow the index prefix: deployments (and test runs) that keep separate indices
        # keep separate trends.
        self.trending = Trending(redis, settings.opensearch_index_prefix)
        self.indexer = SearchIndexer(graph, self.indices, self.trending)

    async def refresh(self) -> None:
        """Make every write so far searchable now (tests, jobs; OpenSearch does it every second)."""
        async with search_errors():
            await self.indices.ensure()
            for spec in (POSTS, USERS):
                await self.indices.client.indices.refresh(index=self.indices.read_alias(spec))

    async def search_posts(
        self,
        viewer_id: int,
        raw_query: str,
        *,
        author: str | None,
        since_ms: int | None,
        until_ms: int | None,
        sort: PostSort,
        limit: int,
        cursor: str | None,
    ) -> Page:
        query = parse_post_query(raw_query)
        if query.is_empty:
            raise Invalid("the query has no words, #hashtags or @mentions to search for", code="empty_query")
        author_name = None
        if author is not None:
            author_name = normalize_username(author)
            if author_name is None:
                raise Invalid("author must be a username", code="invalid_author")
        if since_ms is not None and until_ms is not None and since_ms > until_ms:
            raise Invalid("since must not be after until", code="invalid_range")
        shape = "fi" if sort is PostSort.relevance and query.has_text else "i"
        filters = await search_graph.viewer_filters(self.graph, viewer_id)
        body = builders.post_search(
            query,
            viewer_id=viewer_id,
            followee_ids=filters.followee_ids,
            blocked_ids=filters.blocked_ids,
            author=author_name,
            since_ms=since_ms,
            until_ms=until_ms,
            sort=sort,
            search_after=decode_sort(cursor, shape) if cursor else None,
            size=limit + 1,
        )
        return await self._post_page(POSTS, body, viewer_id, limit, shape)

    async def hashtag_posts(self, viewer_id: int, raw_tag: str, limit: int, cursor: str | None) -> Page:
        tag = normalize_tag(raw_tag)
        if tag is None:
            raise Invalid(
                "a hashtag is 1-100 letters, digits or underscores, not only digits", code="invalid_tag"
            )
        filters = await search_graph.viewer_filters(self.graph, viewer_id)
        body = builders.hashtag_posts(
            tag,
            viewer_id=viewer_id,
            followee_ids=filters.followee_ids,
            blocked_ids=filters.blocked_ids,
            search_after=decode_sort(cursor, "i") if cursor else None,
            size=limit + 1,
        )
        return await self._post_page(POSTS, body, viewer_id, limit, "i")

    async def explore(self, viewer_id: int, limit: int, cursor: str | None) -> Page:
        """Popular recent public posts from accounts the viewer does not follow (nor blocks)."""
        if cursor:
            origin, score, last_id = decode_sort(cursor, "ifi")
            origin_ms, after = int(origin), [score, last_id]
        else:
            origin_ms, after = now_ms(), None
        filters = await search_graph.viewer_filters(self.graph, viewer_id)
        body = builders.explore(
            viewer_id=viewer_id,
            excluded_authors=[*filters.followee_ids, *filters.blocked_ids],
            origin_ms=origin_ms,
            search_after=after,
            size=limit + 1,
        )
        page = await self._post_page(POSTS, body, viewer_id, limit, "fi")
        if page.next_cursor is None:
            return page
        last_sort = decode_sort(page.next_cursor, "fi")
        return Page(page.rows, encode_sort([origin_ms, *last_sort], "ifi"), page.has_more)

    async def search_users(self, viewer_id: int, raw_query: str, limit: int, cursor: str | None) -> Page:
        if not raw_query.strip().lstrip("@"):
            raise Invalid("the query is empty", code="empty_query")
        filters = await search_graph.viewer_filters(self.graph, viewer_id)
        body = builders.user_search(
            raw_query,
            blocked_ids=filters.blocked_ids,
            search_after=decode_sort(cursor, "fii") if cursor else None,
            size=limit + 1,
        )
        hits = await self._search(USERS, body)
        ids, next_cursor, has_more = _paged(hits, limit, "fii")
        rows = await search_graph.hydrate_users(self.graph, ids, viewer_id)
        return Page(rows, next_cursor, has_more)

    async def trending_posts(self, viewer_id: int, limit: int, cursor: str | None) -> Page:
        offset = _offset(cursor)
        ranked = await self.trending.top_posts(offset, limit + 1)
        ids = [int(r.member) for r in ranked[:limit]]
        rows = await search_graph.hydrate_posts(self.graph, ids, viewer_id)
        has_more = len(ranked) > limit
        return Page(rows, encode_sort([offset + limit], "i") if has_more else None, has_more)

    async def trending_tags(self, limit: int, cursor: str | None) -> TagPage:
        offset = _offset(cursor)
        ranked = await self.trending.top_tags(offset, limit + 1)
        has_more = len(ranked) > limit
        return TagPage(
            [(r.member, r.score) for r in ranked[:limit]],
            encode_sort([offset + limit], "i") if has_more else None,
            has_more,
        )

    async def _post_page(
        self, spec: IndexSpec, body: dict[str, Any], viewer_id: int, limit: int, shape: str
    ) -> Page:
        hits = await self._search(spec, body)
        ids, next_cursor, has_more = _paged(hits, limit, shape)
        rows = await search_graph.hydrate_posts(self.graph, ids, viewer_id)
        return Page(rows, next_cursor, has_more)

    async def _search(self, spec: IndexSpec, body: dict[str, Any]) -> list[dict[str, Any]]:
        async with search_errors():
            await self.indices.ensure()
            response = await self.indices.client.search(index=self.indices.read_alias(spec), body=body)
        hits: list[dict[str, Any]] = response["hits"]["hits"]
        return hits


def _paged(hits: Sequence[dict[str, Any]], limit: int, shape: str) -> tuple[list[int], str | None, bool]:
    has_more = len(hits) > limit
    page = list(hits[:limit])
    next_cursor = encode_sort(page[-1]["sort"], shape) if has_more and page else None
    return [int(hit["_id"]) for hit in page], next_cursor, has_more


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    (offset,) = decode_sort(cursor, "i")
    if not 0 <= offset <= MAX_MEMBERS:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page", code="invalid_cursor")
    return int(offset)
