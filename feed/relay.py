"""The outbox relay: moves OutboxEvent nodes from the graph onto the Redis stream.

The API publishes the events of its own writes right after the commit (the fast path). If the process
dies in between, the event is still in the graph: the worker's sweep publishes every event older than
``SWEEP_AGE_MS``. An event may thus be published twice; every consumer is idempotent."""

from __future__ import annotations

import logging

from cache.events import Event, EventStream
from core.clock import now_ms
from graph.driver import Graph
from graph.repositories import outbox

log = logging.getLogger(__name__)

# Younger events normally belong to an API request still publishing them.
SWEEP_AGE_MS = 2000
SWEEP_BATCH = 500


class OutboxRelay:
    def __init__(self, graph: Graph, stream: EventStream) -> None:
        self._graph = graph
        self._stream = stream

    async def publish(self, event_ids: list[int]) -> int:
        """Publish the given outbox events (the API's fast path); returns how many were found."""
        records = await outbox.events_by_id(self._graph, event_ids)
        return await self._relay(records)

    async def sweep(self, older_than_ms: int = SWEEP_AGE_MS) -> int:
        """Publish events left behind (e.g. by a crash between commit and publish); returns how many."""
        total = 0
        while True:
            records = await outbox.pending_events(self._graph, now_ms() - older_than_ms, SWEEP_BATCH)
            total += await self._relay(records)
            if len(records) < SWEEP_BATCH:
                return total

    async def publish_written(self, events: list[Event]) -> int:
        """Publish outbox events the caller has just committed and knows in full, without reading them
        back (one transaction less). They stay in the graph until published, so the sweep still covers
        a crash; one the sweep already took is published twice, which consumers tolerate."""
        if not events:
            return 0
        await self._stream.publish(events)
        await outbox.delete_events(self._graph, [e.id for e in events])
        return len(events)

    async def _relay(self, records: list[dict[str, object]]) -> int:
        return await self.publish_written([Event.from_record(r) for r in records])
