"""Garbage-collector settings for the long-running processes (API and worker).

A feed read allocates thousands of short-lived containers (decoded cards, rows, response models);
with CPython's default gen-0 threshold of 700 the collector ran every few requests and took ~11 % of a
read's CPU (measured in process on the S dataset). Almost all of those objects die by reference
counting, so collecting far less often costs little memory. ``gc.freeze()`` first moves everything
built at start-up (clients, caches, the Cypher library, FastAPI's routes) out of the collector's
reach, so the rarer full collections do not walk it either (Instagram's recipe for Django).

How rare: 5,000. A warm feed read leaves no reference cycles (a ``DEBUG_SAVEALL`` probe: none in 200
reads), so its objects never wait for the collector whatever the threshold; every graph query, though,
leaves ~80 objects in cycles inside the Neo4j driver (session and config closures, result, summary,
hydration scope), which only a collection frees. At 50,000 such garbage piled up between collections
and each one stopped the worker for 25-35 ms in process (39-99 ms under load over HTTP), every request
of the worker waiting; at 5,000 the pauses are 1-5 ms and their total is lower (in process, pure-pull
reads: 93-96 ms against 130-138 ms of collections per 6 s), with warm reads' CPU unchanged.

Why also on a clock (:func:`collect_on_a_clock`): the threshold counts *net* allocations, and an
object of an old generation that dies counts against it. Long-lived caches that replace their entries
(the feed page memo, feed/page_memo.py: every page made afresh drops the old memo and keeps a new one)
therefore add young objects without moving the count, and the young generation grew to 7,000-12,000
objects between two collections: one young collection then stopped the worker for 21-42 ms of CPU
(in process, S dataset, a probe on ``gc.callbacks``), in the middle of a fixed-rate run at 1,000
requests/s. Collected every 100 ms instead, the young generation holds what a tenth of a second left:
the longest young collection in the same probe was 0.6 ms, and their total per 1,000 reads was lower
(1-5 ms against one 21-42 ms collection). The clock collects the middle generation every tenth time and
everything every ``full_every``-th time, as the thresholds would have (the automatic collections still
run, as a backstop, when 5,000 net allocations come within one tick)."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings

# CPython's own ratio between collections of one generation and the next (gc.get_threshold()[1]).
_MIDDLE_EVERY = 10


def tune_gc(gen0_threshold: int) -> None:
    """Freeze what exists now and collect young objects every ``gen0_threshold`` net allocations
    (FEEDGRAPH_GC_GEN0_THRESHOLD; 700 is CPython's default)."""
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)


def generation_at(tick: int, full_every: int) -> int:
    """The generation the ``tick``-th collection of the clock collects (ticks count from 1)."""
    if tick % full_every == 0:
        return 2
    return 1 if tick % _MIDDLE_EVERY == 0 else 0


async def collect_on_a_clock(seconds: float, full_every: int) -> None:
    """Collect the young generation every ``seconds`` (FEEDGRAPH_GC_YOUNG_SECONDS), the middle one
    every tenth time and all of them every ``full_every``-th time, until cancelled."""
    tick = 0
    while True:
        await asyncio.sleep(seconds)
        tick += 1
        gc.collect(generation_at(tick, full_every))


def collector_clock(settings: Settings) -> asyncio.Task[None] | None:
    """:func:`collect_on_a_clock` started on the running loop as the settings say (None: off); the
    caller cancels it when it stops."""
    if settings.gc_young_seconds <= 0:
        return None
    return asyncio.get_running_loop().create_task(
        collect_on_a_clock(settings.gc_young_seconds, settings.gc_full_every), name="collector clock"
    )
