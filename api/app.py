"""The FastAPI application. Its lifespan is FeedGraph's one wiring point: it builds the clients of
Neo4j, Redis, S3 and OpenSearch once, prepares them, and closes them on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.hot_paths import FastAPIWithHotPaths
from api.routes import (
    auth,
    feed,
    health,
    media,
    notifications,
    posts,
    search,
    stream,
    suggestions,
    users,
)
from api.services import Services
from core.gc_tuning import collector_clock, tune_gc
from core.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings)
        app.state.services = services
        tune_gc(settings.gc_gen0_threshold)  # after start-up's allocations, which it freezes
        collector = collector_clock(settings)
        try:
            services.start_preparing()
            services.start_following_pull_lists()
            yield
        finally:
            if collector is not None:
                collector.cancel()
            await services.close()

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = FastAPIWithHotPaths(
        hot_prefix=API_PREFIX,
        title="FeedGraph",
        version="0.1.0",
        summary="Personalized reverse-chronological feeds on Neo4j, Redis, S3 and OpenSearch",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (feed, posts, auth, users, suggestions, media, search, notifications, stream):
        app.include_router(module.router, prefix=API_PREFIX)
    return app
