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
reads: 93-96 ms against 130-138 ms of collections per 6 s), with warm reads' CPU unchanged."""

from __future__ import annotations

import gc


def tune_gc(gen0_threshold: int) -> None:
    """Freeze what exists now and collect young objects every ``gen0_threshold`` net allocations
    (FEEDGRAPH_GC_GEN0_THRESHOLD; 700 is CPython's default)."""
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
