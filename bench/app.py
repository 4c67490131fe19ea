"""The API the benchmarks run against: the production app (api.app.create_app, unchanged) plus a
bench-only router that production never mounts.

``GET /bench/pull-feed`` is the pure-pull baseline: the same page as ``GET /api/v1/feed``, built the way
the reader builds it while Redis is down (feed/reader.py, degraded mode: every followee's entries,
celebrities included, by Cypher over all followees, then the same hydration and paging). It exists only
in processes started by ``feedgraph bench``, so production behaviour cannot change."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response

from api.app import create_app
from api.deps import CurrentUser, ServicesDep
from api.pagination import cursor_one
from api.routes.feed import feed_page_response
from api.schemas.common import Cursor, Limit
from api.schemas.posts import FeedPageOut
from core.errors import Unavailable

router = APIRouter(prefix="/bench", tags=["bench"], include_in_schema=False)


@router.get("/ready")
async def ready(services: ServicesDep) -> dict[str, bool]:
    """200 once the schema is applied (the lifespan prepares it in the background)."""
    if not services.prepared.is_set():
        raise Unavailable("still preparing")
    return {"ready": True}


@router.get("/pull-feed", response_model=FeedPageOut)
async def pull_feed(
    services: ServicesDep,
    viewer: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> Response:
    # The reader's own degraded path: the baseline is exactly what production serves by pure pull,
    # not a re-implementation of it.
    page = await services.feed.reader.read_pure_pull(viewer, cursor_one(before), limit)
    return feed_page_response(services, page)


def create_bench_app() -> FastAPI:
    app = create_app()
    app.include_router(router)
    return app
