"""core.concurrency.run_bounded: every work awaited, never more than the limit at once, the first
failure raised and the works still running cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable

import pytest

from core.concurrency import run_bounded


class Probe:
    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.cancelled = 0

    async def work(self, value: int, fail: bool = False) -> int:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.001 * (value % 3))
            if fail:
                raise ConnectionError(f"work {value} failed")
            await asyncio.sleep(0.001)
            return value
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


def test_every_work_runs_with_at_most_the_limit_in_flight() -> None:
    probe = Probe()
    results = asyncio.run(run_bounded((probe.work(i) for i in range(20)), 3))
    assert sorted(results) == list(range(20))
    assert probe.most == 3


def test_works_from_an_async_iterator_are_taken_only_when_a_slot_is_free() -> None:
    probe = Probe()
    ahead: list[int] = []

    async def works() -> AsyncIterator[Awaitable[int]]:
        for i in range(10):
            ahead.append(probe.running)  # works running when the next one is taken
            yield probe.work(i)

    results = asyncio.run(run_bounded(works(), 2))
    assert sorted(results) == list(range(10))
    assert probe.most == 2
    assert max(ahead) <= 1  # a slot was free each time


def test_the_first_failure_is_raised_and_the_rest_cancelled() -> None:
    probe = Probe()

    async def scenario() -> None:
        works = (probe.work(i, fail=(i == 4)) for i in range(50))
        await run_bounded(works, 4)

    with pytest.raises(ConnectionError, match="work 4 failed"):
        asyncio.run(scenario())
    assert probe.running == 0  # nothing left behind
    assert probe.cancelled >= 1


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        asyncio.run(run_bounded([], 0))
