"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from cache.client import redis_version
from search.client import opensearch_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no dependency is touched)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is down; the body names it"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """A real round trip to Neo4j, Redis, S3 and OpenSearch, in parallel, each with a timeout."""
    probes: dict[str, Callable[[], Awaitable[str]]] = {
        "neo4j": services.graph.ping,
        "redis": lambda: redis_version(services.redis),
        "s3": services.store.ping,
        "opensearch": lambda: opensearch_version(services.search),
    }
    if services.cache_redis is not services.redis:  # the caches' own Redis (settings.cache_redis_url)
        probes["redis_cache"] = lambda: redis_version(services.cache_redis)
    timeout = services.settings.dependency_timeout_seconds
    results = await asyncio.gather(*(_probe(probe, timeout) for probe in probes.values()))
    dependencies = dict(zip(probes, results, strict=True))
    failing = [name for name, result in dependencies.items() if not result["ok"]]
    if not failing and not services.prepared.is_set():
        failing = ["startup"]
        dependencies["startup"] = {"ok": False, "detail": "schema or bucket not prepared yet"}
    if failing:
        detail = "; ".join(f"{name}: {dependencies[name]['detail']}" for name in failing)
        body = {
            "error": "service_unavailable",
            "detail": f"not ready: {detail}",
            "dependencies": dependencies,
        }
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", "dependencies": dependencies})


async def _probe(probe: Callable[[], Awaitable[str]], limit_seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        version = await asyncio.wait_for(probe(), limit_seconds)
    except TimeoutError:
        return {"ok": False, "detail": f"no answer within {limit_seconds:g}s"}
    except Exception as exc:
        return {"ok": False, "detail": _short(exc)}
    return {"ok": True, "version": version, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _short(exc: Exception) -> str:
    text = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    return str(text).splitlines()[0][:200]
