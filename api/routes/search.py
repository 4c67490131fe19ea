"""Search and discovery: full-text post search, user typeahead, hashtags, trending, explore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentUser, ServicesDep
from api.schemas.common import Cursor, Limit
from api.schemas.posts import PostOut, PostPage
from api.schemas.search import TrendingTagOut, TrendingTagPage
from api.schemas.users import UserOut, UserPage
from api.services import Services
from search.builders import PostSort
from search.query import MAX_QUERY_LENGTH
from search.service import Page

router = APIRouter(tags=["search"])
SearchText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)]


@router.get("/search/posts", response_model=PostPage)
async def search_posts(
    services: ServicesDep,
    viewer: CurrentUser,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description='words (stemmed), "quoted phrases", #hashtags and @mentions; all must match',
        ),
    ],
    author: Annotated[str | None, Query(max_length=31, description="username of the author")] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601; naive times are UTC")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601; naive times are UTC")] = None,
    sort: PostSort = PostSort.relevance,
    limit: Limit = 20,
    before: Cursor = None,
) -> PostPage:
    """Posts the viewer may see: public ones, their own, followers-only posts of accounts they follow;
    never posts of users in a block with them. ``relevance`` ranks by text match, then newest."""
    page = await services.search_service.search_posts(
        viewer,
        q,
        author=author,
        since_ms=_ms(since),
        until_ms=_ms(until),
        sort=sort,
        limit=limit,
        cursor=before,
    )
    return _post_page(services, page)


@router.get("/search/users", response_model=UserPage)
async def search_users(
    services: ServicesDep, viewer: CurrentUser, q: SearchText, limit: Limit = 20, before: Cursor = None
) -> UserPage:
    """Typeahead on username and display name, typo-tolerant; among equal matches, most followers first."""
    page = await services.search_service.search_users(viewer, q, limit, before)
    return UserPage(
        users=[UserOut.from_record(row["user"], row) for row in page.rows],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@router.get("/hashtags/{tag}/posts", response_model=PostPage)
async def hashtag_posts(
    tag: Annotated[str, Path(max_length=101)],
    services: ServicesDep,
    viewer: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> PostPage:
    """Newest posts with the hashtag (``rust`` or ``#rust``, any case) that the viewer may see."""
    return _post_page(services, await services.search_service.hashtag_posts(viewer, tag, limit, before))


@router.get("/trending/hashtags", response_model=TrendingTagPage)
async def trending_hashtags(
    services: ServicesDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> TrendingTagPage:
    """Hashtags by time-decayed activity on public posts (half-life one hour)."""
    page = await services.search_service.trending_tags(limit, before)
    return TrendingTagPage(
        hashtags=[TrendingTagOut(tag=tag, score=round(score, 3)) for tag, score in page.tags],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@router.get("/trending/posts", response_model=PostPage)
async def trending_posts(
    services: ServicesDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> PostPage:
    """Public posts by time-decayed likes, comments and shares (half-life one hour)."""
    return _post_page(services, await services.search_service.trending_posts(viewer, limit, before))


@router.get("/explore", response_model=PostPage)
async def explore(
    services: ServicesDep, viewer: CurrentUser, limit: Limit = 20, before: Cursor = None
) -> PostPage:
    """Popular recent public posts from accounts the viewer does not follow."""
    return _post_page(services, await services.search_service.explore(viewer, limit, before))


def _post_page(services: Services, page: Page) -> PostPage:
    return PostPage(
        posts=[PostOut.from_record(row, *services.media.for_post(row["post"])) for row in page.rows],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)
