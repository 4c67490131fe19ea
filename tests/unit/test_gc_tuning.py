"""The collector's clock (core/gc_tuning.py): which generation each tick collects, and that it runs."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from core.gc_tuning import collect_on_a_clock, generation_at


def test_the_clock_collects_young_then_middle_every_tenth_then_all() -> None:
    schedule = [generation_at(tick, full_every=30) for tick in range(1, 31)]
    assert schedule[:9] == [0] * 9
    assert schedule[9] == 1 and schedule[19] == 1
    assert schedule[29] == 2
    assert schedule.count(0) == 27
    assert [generation_at(tick, full_every=1) for tick in (1, 2, 10)] == [2, 2, 2]


def test_the_clock_collects_until_cancelled() -> None:
    collected: list[int] = []
    full_collection = asyncio.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            collected.append(info["generation"])
            if info["generation"] == 2 and loops:  # a callback runs anywhere: tell the loop, do not touch it
                loops[0].call_soon_threadsafe(full_collection.set)

    async def run_for_a_while() -> None:
        loops.append(asyncio.get_running_loop())
        clock = asyncio.create_task(collect_on_a_clock(0.001, full_every=20))
        await full_collection.wait()
        clock.cancel()
        await asyncio.gather(clock, return_exceptions=True)

    gc.callbacks.append(seen)
    try:
        asyncio.run(asyncio.wait_for(run_for_a_while(), timeout=30))
    finally:
        gc.callbacks.remove(seen)
    assert {0, 1, 2} <= set(collected)
