"""OpenSearch request bodies (pure functions, unit-tested without a server).

Visibility is enforced inside every post query with ids read from the graph: public posts, the
viewer's own posts, and followers-only posts of accounts the viewer follows; never posts of anyone in
a block with the viewer. Hits are checked against the graph once more when hydrated, which covers the
index's lag (a post deleted, or a block made, a moment ago)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any

from search.query import PostQuery

# Ids per ``terms`` clause: well under OpenSearch's index.max_terms_count (65,536). A viewer who follows
# more accounts gets several clauses, so a large follow list still works (up to MAX_FILTER_IDS).
TERMS_CHUNK = 10_000
# Beyond this the list is cut: 50 clauses of 10,000 ids; nobody reads that many accounts' posts.
MAX_FILTER_IDS = 500_000
# Explore looks this far back, and a post's freshness halves every EXPLORE_DECAY_SCALE after a grace.
EXPLORE_WINDOW_MS = 3 * 86_400_000
EXPLORE_DECAY_SCALE = "12h"
EXPLORE_DECAY_OFFSET = "1h"

# Tiers of a user match, best first; equal tiers are ordered by follower count ("popular first among
# equals"). Constant scores make ties real: BM25 scores would differ by field lengths and never tie.
USER_EXACT, USER_PREFIX, USER_WORD_PREFIX, USER_FUZZY = 100, 60, 40, 20


class PostSort(StrEnum):
    relevance = "relevance"
    recent = "recent"


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    capped = list(ids[:MAX_FILTER_IDS])
    for start in range(0, len(capped), TERMS_CHUNK):
        yield capped[start : start + TERMS_CHUNK]


def visible_to(viewer_id: int, followee_ids: Sequence[int]) -> dict[str, Any]:
    """Posts the viewer may see, by visibility (blocks are :func:`not_blocked`)."""
    should: list[dict[str, Any]] = [
        {"term": {"visibility": "public"}},
        {"term": {"author_id": viewer_id}},
    ]
    for chunk in _chunks(followee_ids):
        should.append(
            {"bool": {"filter": [{"term": {"visibility": "followers"}}, {"terms": {"author_id": chunk}}]}}
        )
    return {"bool": {"should": should, "minimum_should_match": 1}}


def not_by(field: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    """``must_not`` clauses excluding documents whose ``field`` is one of ``ids``."""
    return [{"terms": {field: chunk}} for chunk in _chunks(ids)]


def _after(search_after: Sequence[Any] | None) -> dict[str, Any]:
    return {"search_after": list(search_after)} if search_after else {}


def post_search(
    query: PostQuery,
    *,
    viewer_id: int,
    followee_ids: Sequence[int],
    blocked_ids: Sequence[int],
    author: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    sort: PostSort = PostSort.relevance,
    search_after: Sequence[Any] | None = None,
    size: int = 20,
) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    if query.words:
        # match, not query_string: the text is analysed as plain words, whatever characters it holds.
        must.append({"match": {"content": {"query": query.words, "operator": "and"}}})
    for phrase in query.phrases:
        must.append({"match_phrase": {"content": phrase}})
    filters: list[dict[str, Any]] = [visible_to(viewer_id, followee_ids)]
    filters += [{"term": {"hashtags": tag}} for tag in query.hashtags]
    filters += [{"term": {"mentions": name}} for name in query.mentions]
    if author is not None:
        filters.append({"term": {"author_username": author}})
    if since_ms is not None or until_ms is not None:
        window: dict[str, int] = {}
        if since_ms is not None:
            window["gte"] = since_ms
        if until_ms is not None:
            window["lte"] = until_ms
        filters.append({"range": {"created_at": window}})
    order: list[dict[str, Any]] = [{"post_id": "desc"}]
    if sort is PostSort.relevance and query.has_text:
        order.insert(0, {"_score": "desc"})
    return {
        "size": size,
        "track_total_hits": False,
        "_source": False,
        "query": {"bool": {"must": must, "filter": filters, "must_not": not_by("author_id", blocked_ids)}},
        "sort": order,
        **_after(search_after),
    }


def hashtag_posts(
    tag: str,
    *,
    viewer_id: int,
    followee_ids: Sequence[int],
    blocked_ids: Sequence[int],
    search_after: Sequence[Any] | None = None,
    size: int = 20,
) -> dict[str, Any]:
    """Newest first (post ids are time-ordered)."""
    return post_search(
        PostQuery(hashtags=[tag]),
        viewer_id=viewer_id,
        followee_ids=followee_ids,
        blocked_ids=blocked_ids,
        sort=PostSort.recent,
        search_after=search_after,
        size=size,
    )


def explore(
    *,
    viewer_id: int,
    excluded_authors: Sequence[int],
    origin_ms: int,
    search_after: Sequence[Any] | None = None,
    size: int = 20,
) -> dict[str, Any]:
    """Popular recent public posts by accounts outside ``excluded_authors`` (the viewer, whom they
    follow, blocks either way). Score = log10(engagement + 2) x gauss(age): popularity with diminishing
    returns, fading with age. ``origin_ms`` is fixed for a whole pagination, so scores (and
    ``search_after``) stay stable from page to page."""
    return {
        "size": size,
        "track_total_hits": False,
        "_source": False,
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"visibility": "public"}},
                            {
                                "range": {
                                    "created_at": {"gte": origin_ms - EXPLORE_WINDOW_MS, "lte": origin_ms}
                                }
                            },
                        ],
                        "must_not": not_by("author_id", [viewer_id, *excluded_authors]),
                    }
                },
                "functions": [
                    {
                        "field_value_factor": {
                            "field": "engagement",
                            "modifier": "log2p",
                            "missing": 0,
                        }
                    },
                    {
                        "gauss": {
                            "created_at": {
                                "origin": origin_ms,
                                "scale": EXPLORE_DECAY_SCALE,
                                "offset": EXPLORE_DECAY_OFFSET,
                                "decay": 0.5,
                            }
                        }
                    },
                ],
                "score_mode": "multiply",
                "boost_mode": "replace",
            }
        },
        "sort": [{"_score": "desc"}, {"post_id": "desc"}],
        **_after(search_after),
    }


def user_search(
    raw: str,
    *,
    blocked_ids: Sequence[int],
    search_after: Sequence[Any] | None = None,
    size: int = 20,
) -> dict[str, Any]:
    """Typeahead: exact username, username prefix, word prefixes of username and display name, then
    typo-tolerant matches; the best tier counts (dis_max), followers break ties."""
    text = raw.strip()
    lowered = text.lstrip("@").lower()

    def tier(score: int, clause: dict[str, Any]) -> dict[str, Any]:
        return {"constant_score": {"filter": clause, "boost": score}}

    def prefix_of(field: str) -> dict[str, Any]:
        return {
            "multi_match": {
                "query": text,
                "type": "bool_prefix",
                "operator": "and",
                "fields": [field, f"{field}._2gram", f"{field}._3gram"],
            }
        }

    def fuzzy(field: str) -> dict[str, Any]:
        return {"match": {field: {"query": text, "fuzziness": "AUTO", "operator": "and"}}}

    tiers = [
        tier(USER_EXACT, {"term": {"username_lower": lowered}}),
        tier(USER_PREFIX, {"prefix": {"username_lower": lowered}}),
        tier(USER_WORD_PREFIX, prefix_of("username_text")),
        tier(USER_WORD_PREFIX, prefix_of("display_name")),
        tier(USER_FUZZY, fuzzy("username_text")),
        tier(USER_FUZZY, fuzzy("display_name")),
    ]
    return {
        "size": size,
        "track_total_hits": False,
        "_source": False,
        "query": {
            "bool": {
                "must": [{"dis_max": {"queries": tiers}}],
                "must_not": not_by("user_id", blocked_ids),
            }
        },
        "sort": [{"_score": "desc"}, {"follower_count": "desc"}, {"user_id": "asc"}],
        **_after(search_after),
    }
