"""Request dependencies as ``Annotated`` aliases, so routes read like their domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer

from api.services import Services
from core.errors import RateLimited, Unauthorized
from graph.driver import Graph


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# async: a plain def dependency would run in the thread pool, a thread hop on every request.
ServicesDep = Annotated[Services, Depends(_services)]


async def _graph(services: ServicesDep) -> Graph:
    return services.graph


GraphDep = Annotated[Graph, Depends(_graph)]


class _BearerViewer(OAuth2PasswordBearer):
    """The user a request's bearer token was issued to, in one dependency: it reads the header and
    checks the token itself rather than through a chain of sub-dependencies (each level costs FastAPI
    tens of microseconds on every request, a sizeable part of a warm feed read). Being an OAuth2 scheme,
    it still documents the login flow in the OpenAPI schema."""

    def __init__(self) -> None:
        # auto_error=False: a missing token goes through our error hierarchy, not FastAPI's own 401 body.
        # One scheme name for both: the OpenAPI schema lists one login, as before.
        super().__init__(tokenUrl="/api/v1/auth/login", scheme_name="OAuth2PasswordBearer", auto_error=False)

    async def __call__(self, request: HTTPConnection) -> int:  # type: ignore[override]
        token = await super().__call__(request)
        if not token:
            raise Unauthorized("a bearer token is required", code="not_authenticated", headers=_CHALLENGE)
        services: Services = request.app.state.services
        try:
            return services.tokens.user_id(token)
        except Unauthorized as exc:
            exc.headers = _CHALLENGE
            raise


_CHALLENGE = {"WWW-Authenticate": "Bearer"}

CurrentUser = Annotated[int, Depends(_BearerViewer())]


class _BearerWriter(_BearerViewer):
    """The current user, after counting one write against their rate limit (429 with Retry-After); one
    dependency level like the viewer's (a viral post's likes go through it)."""

    async def __call__(self, request: HTTPConnection) -> int:  # type: ignore[override]
        user_id = await super().__call__(request)
        services: Services = request.app.state.services
        await count_write(services, user_id)
        return user_id


async def count_write(services: Services, user_id: int) -> None:
    """One write against the user's rate limit; 429 with Retry-After past it."""
    retry_after = await services.rate_limiter.hit(user_id)
    if retry_after is not None:
        raise RateLimited(
            f"too many writes; retry in {retry_after}s", headers={"Retry-After": str(retry_after)}
        )


Writer = Annotated[int, Depends(_BearerWriter())]
