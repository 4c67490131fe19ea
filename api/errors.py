"""The single place that turns errors into JSON: ``{"error": code, "detail": message}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import AppError

log = logging.getLogger(__name__)


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def app_error_response(exc: AppError) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.detail), status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("validation_error", _describe(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc)


def internal_error_response(exc: Exception) -> JSONResponse:
    """The answer to an unexpected error (logged with its traceback): a 500 that tells nothing inside."""
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "an unexpected error occurred"), status_code=500)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(
            f"{location}: {err.get('msg', 'invalid')}" if location else str(err.get("msg", "invalid"))
        )
    return "; ".join(parts) or "invalid request"
