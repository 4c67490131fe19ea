"""The API the benchmarks run against: the production app (api.app.create_app, unchanged) plus a
bench-only router that production never mounts.

``GET /bench/pull-feed`` is the pure-pull baseline: the same page as ``GET /api/v1/feed``, built the way
the reader builds it while Redis is down (feed/reader.py, degraded mode: every followee's entries,
celebrities included, by Cypher over all followees, then the same hydration and paging). It exists only
in processes started by ``feedgraph bench``, so production behaviour cannot change.

Each API process of a benchmark also publishes its page memo's counters (feed/page_memo.py: pages
served from the memo, pages made) to Redis every ``MEMO_PUBLISH_SECONDS``, one hash field per process, so a
benchmark can say how many pages each phase made (bench/common.py memo_counts): one worker's counters
cannot be asked over HTTP, since which process takes a connection is the kernel's choice."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response
from redis.exceptions import RedisError

from api.app import create_app
from api.deps import CurrentUser, ServicesDep
from api.pagination import cursor_one
from api.routes.feed import feed_page_response
from api.schemas.common import Cursor, Limit
from api.schemas.posts import FeedPageOut
from api.services import Services
from bench.common import MEMO_COUNTS_KEY, MEMO_PUBLISH_SECONDS
from core.errors import Unavailable

log = logging.getLogger(__name__)

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


async def publish_memo_counts(services: Services) -> None:
    """This process's page memo counters (bench/common.py MEMO_COUNTS, space-separated) under its pid,
    until cancelled."""
    memo, field = services.feed.reader.memo, str(os.getpid())
    while True:
        await asyncio.sleep(MEMO_PUBLISH_SECONDS)
        try:
            counts = f"{memo.hits} {memo.misses} {memo.made} {memo.restamped} {memo.recounted}"
            await services.redis.hset(MEMO_COUNTS_KEY, field, counts)
        except RedisError as exc:  # a benchmark's own diagnostics: a Redis outage fails its requests anyway
            log.warning("page memo counters not published: %s", exc)


def create_bench_app() -> FastAPI:
    app = create_app()
    app.include_router(router)
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with serve(app):
            publisher = asyncio.create_task(publish_memo_counts(app.state.services), name="memo counters")
            try:
                yield
            finally:
                publisher.cancel()

    app.router.lifespan_context = lifespan
    return app
