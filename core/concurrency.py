"""Bounded concurrency for pipelined I/O: a few requests in flight, so that a server works on one
while this process encodes the next (one at a time, each side idles while the other works)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def run_bounded(works: Iterable[Awaitable[T]] | AsyncIterable[Awaitable[T]], limit: int) -> list[T]:
    """Await every one of ``works`` with at most ``limit`` running at once; their results, in completion
    order. ``works`` is consumed lazily (a generator of coroutines makes each one only when a slot is
    free). The first failure cancels the works still running and is raised: a caller that retries
    the whole lot (an event redelivered) must therefore be idempotent, as fan-out is."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    results: list[T] = []
    running: set[asyncio.Future[T]] = set()

    async def settle(at_most: int) -> None:
        nonlocal running
        while len(running) > at_most:
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            failures = [error for error in (task.exception() for task in done) if error is not None]
            if failures:  # every one retrieved (no "never retrieved" warnings); the first is raised
                raise failures[0]
            results.extend(task.result() for task in done)

    try:
        # A slot first, then the next work: one taken and not started would be left never awaited.
        if isinstance(works, AsyncIterable):
            pending = aiter(works)
            while True:
                await settle(limit - 1)
                try:
                    work = await anext(pending)
                except StopAsyncIteration:
                    break
                running.add(asyncio.ensure_future(work))
        else:
            remaining = iter(works)
            while True:
                await settle(limit - 1)
                if (next_work := next(remaining, None)) is None:
                    break
                running.add(asyncio.ensure_future(next_work))
        await settle(0)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return results
