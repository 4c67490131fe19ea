"""The two hottest requests, a home-feed read and a like, answered in front of FastAPI's routing and
parameter binding.

FastAPI 0.16x spends ~170 µs of CPU per request between the ASGI call and the route's first line
(route matching, twice, through included routers; dependency solving, which inspects every parameter's
annotation again on each request), measured in process on a feed read whose page was ready: 240 µs
through the app, 71 µs for the same token check, page and response called directly. On a warm feed read
(~0.8 ms of API CPU) that is a fifth of the work, and as much on a like.

Only plainly valid requests are answered here: the exact route and method, one bearer token that
verifies, the route's own query parameters with plain values. Anything else (no or a bad token, an
unknown, repeated or invalid parameter, another method) goes on to the FastAPI app untouched, which
answers it as always: validation errors and their bodies have one source. The work is the function the
FastAPI route calls too, and the OpenAPI schema still documents both routes from those. An error raised
once the work has started (no such post, the rate limit, a dependency down) is rendered by the app's own
exception handler function; anything unexpected gets the app's 500 answer (api/errors.py
internal_error_response, logged), as from a route.

Answered before all of FastAPI's own stack, not as a middleware inside it: FastAPI 0.165's application
call checks on every request whether OpenTelemetry providers are configured (environment lookups) and
runs two more middlewares (exception telemetry, body limit) around Starlette's error middleware; in a
profile of the feed at saturation (fourteenth round) that was ~5 % of the API's CPU between the ASGI
call and this code. FeedGraph configures no OpenTelemetry; where an operator does, FastAPI traces
every request but these two (whose work shows in the logs and the benchmarks)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.deps import count_write
from api.errors import app_error_response, internal_error_response
from api.pagination import cursor_one
from api.routes.feed import read_home_feed
from api.routes.posts import like_post
from api.schemas.common import CURSOR_MAX_LENGTH, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, PAGE_SIZE_MIN, parse_id
from api.services import Services
from core.errors import AppError


class FastAPIWithHotPaths(FastAPI):
    """The FastAPI app, with the hot paths answered before its own stack (the module says why)."""

    def __init__(self, *, hot_prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hot_paths = HotPaths(hot_prefix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Behind a path prefix (root_path) the routes' paths are the framework's business.
        if scope["type"] == "http" and not scope.get("root_path"):
            try:
                answer = await self._hot_paths.answer(scope, self.state)
            except Exception as exc:  # what the app's error middleware does for a route: its 500
                answer = internal_error_response(exc)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class HotPaths:
    """Which requests are plain enough to answer here, and their answers."""

    def __init__(self, prefix: str) -> None:
        self._feed_path = f"{prefix}/feed"
        self._like_path = re.compile(rf"{re.escape(prefix)}/posts/([0-9]+)/like")

    async def answer(self, scope: Scope, state: State) -> Response | None:
        """The response, or None to leave the request to the app (``state``: the app's, once started)."""
        path, method = scope["path"], scope["method"]
        if path == self._feed_path and method == "GET":
            return await self._feed(scope, state)
        if method == "POST" and (match := self._like_path.fullmatch(path)):
            return await self._like(scope, state, match[1])
        return None

    async def _feed(self, scope: Scope, state: State) -> Response | None:
        params = _feed_params(scope["query_string"])
        if params is None:
            return None
        services = _services(state)
        viewer = _bearer_user(services, scope)
        if viewer is None:
            return None
        limit, before = params
        try:
            return await read_home_feed(services, viewer, limit, before)
        except AppError as exc:
            return app_error_response(exc)

    async def _like(self, scope: Scope, state: State, post_id: str) -> Response | None:
        if scope["query_string"]:  # the route takes none: whatever it is, the app decides
            return None
        try:
            pid = parse_id(post_id, "post_id")
        except AppError:
            return None
        services = _services(state)
        me = _bearer_user(services, scope)
        if me is None:
            return None
        try:
            await count_write(services, me)
            liked = await like_post(services, me, pid)
        except AppError as exc:
            return app_error_response(exc)
        return Response(liked.model_dump_json(), media_type="application/json")


def _services(state: State) -> Services:
    services: Services = state.services
    return services


def _bearer_user(services: Services, scope: Scope) -> int | None:
    """The user of the request's one bearer token, if it verifies."""
    authorization = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is not None:
                return None
            authorization = value.decode("latin-1")
    if authorization is None:
        return None
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return services.tokens.user_id(token)
    except AppError:
        return None


def _feed_params(query_string: bytes) -> tuple[int, int | None] | None:
    """(limit, before) of a feed query with nothing but plain values, each at most once; else None."""
    limit, before, seen = PAGE_SIZE_DEFAULT, None, set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return None
        seen.add(name)
        if name == "limit" and value.isascii() and value.isdigit() and len(value) <= 3:
            limit = int(value)
            if not PAGE_SIZE_MIN <= limit <= PAGE_SIZE_MAX:
                return None
        elif name == "before" and 0 < len(value) <= CURSOR_MAX_LENGTH:
            try:
                before = cursor_one(value)
            except AppError:
                return None
        else:
            return None
    return limit, before
