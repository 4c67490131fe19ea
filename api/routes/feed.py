"""The home feed."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CurrentUser, ServicesDep
from api.pagination import cursor_one
from api.schemas.common import PAGE_SIZE_DEFAULT, Cursor, Limit
from api.schemas.posts import FeedItemOut, FeedPageOut
from api.services import Services
from core.cursor import encode_cursor
from feed.reader import FeedPage

router = APIRouter(tags=["feed"])


@router.get("/feed", response_model=FeedPageOut)
async def home_feed(
    services: ServicesDep,
    viewer: CurrentUser,
    limit: Limit = PAGE_SIZE_DEFAULT,
    before: Cursor = None,
) -> Response:
    """Newest first: followed accounts' posts and reposts (pushed or, for celebrities, pulled) and
    the viewer's own, without what the viewer may not see or has muted."""
    return await read_home_feed(services, viewer, limit, cursor_one(before))


async def read_home_feed(services: Services, viewer: int, limit: int, before: int | None) -> Response:
    """The route's work once its parameters are known (also called by api/hot_paths.py)."""
    page = await services.feed.reader.read_rendered(
        viewer, before, limit, lambda page: feed_page_body(services, page), FeedPageOut.recount
    )
    return _feed_response(page.body, page.degraded)


def feed_page_response(services: Services, page: FeedPage) -> Response:
    """A feed page as the home feed route answers it."""
    return _feed_response(feed_page_body(services, page), page.degraded)


def feed_page_body(services: Services, page: FeedPage) -> bytes:
    """A feed page as FeedPageOut's JSON (written directly: FeedPageOut.render)."""
    return FeedPageOut.render(
        (FeedItemOut.json_of(row, *services.media.for_post(row["post"])) for row in page.items),
        encode_cursor(page.next_before) if page.has_more and page.next_before else None,
        page.has_more,
    )


def _feed_response(body: bytes, degraded: bool) -> Response:
    """Header ``X-Feed-Source``: "hybrid" normally, "pull" when the page was built from the graph alone
    (Redis down)."""
    return Response(
        body, media_type="application/json", headers={"X-Feed-Source": "pull" if degraded else "hybrid"}
    )
