"""The outbox relay: moves OutboxEvent nodes from the graph onto the Redis stream.

The API publishes the events of its own writes right after the commit (the fast path). If the process
dies in between, the event is still in the graph: the worker's sweep publishes every event older than
``SWEEP_AGE_MS``. An event may thus be published twice; every consumer is idempotent.

A published event is not forgotten at once: Redis acknowledges a write before it is on disk (the AOF
is written to disk every second), so a crash of the Redis host in that second would lose the events
it had just taken, and with them the fan-out, indexing and notifications of the posts they describe.
So the relay marks them published (``PublishedEvent``) with the stream's origin and the run id of the
Redis process that took them (cache/events.py ``StreamServer``), and the sweep forgets them once
``DURABLE_AFTER_MS`` has passed with that same process still running (a run id is new after every
restart or failover). Should the process have changed, they may be lost: they are published again (to
consumers, a redelivery) and kept for another round. A sweep settles its own stream's events only
(other deployments may share the graph: a test's private Redis, the benchmarks' database). The stream's
Redis must persist (AOF): one that restarts empty has a new origin, and what it held is gone."""

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
# appendfsync everysec writes the AOF to disk every second (Redis delays it up to 2 s when the disk is
# slow): a published event this old, still held by the same Redis process, is on disk.
DURABLE_AFTER_MS = 5000


class OutboxRelay:
    def __init__(self, graph: Graph, stream: EventStream) -> None:
        self._graph = graph
        self._stream = stream

    async def publish(self, event_ids: list[int]) -> int:
        """Publish the given outbox events (the API's fast path); returns how many were found."""
        records = await outbox.events_by_id(self._graph, event_ids)
        return await self._relay(records)

    async def sweep(self, older_than_ms: int = SWEEP_AGE_MS, durable_after_ms: int = DURABLE_AFTER_MS) -> int:
        """Publish events left behind (e.g. by a crash between commit and publish), then settle the
        published ones old enough to be on disk; returns how many were published (again)."""
        total = 0
        while True:
            records = await outbox.pending_events(self._graph, now_ms() - older_than_ms, SWEEP_BATCH)
            total += await self._relay(records)
            if len(records) < SWEEP_BATCH:
                break
        return total + await self._settle(durable_after_ms)

    async def _settle(self, durable_after_ms: int) -> int:
        """Forget published events their Redis process has held for ``durable_after_ms``; publish again
        those whose process is gone (restarted or failed over: it may have lost them). Returns how many
        were published again."""
        republished = 0
        server = await self._stream.server(max_age_seconds=0)
        run_id = server.run_id
        cutoff = now_ms() - durable_after_ms
        while True:
            rows = await outbox.published_events(self._graph, server.origin, cutoff, SWEEP_BATCH)
            durable = [int(str(event["id"])) for event, taken_by in rows if taken_by == run_id]
            doubtful = [Event.from_record(event) for event, taken_by in rows if taken_by != run_id]
            if durable:
                await outbox.delete_published(self._graph, durable)
            if doubtful:
                log.warning(
                    "publishing %d events again: the Redis process that took them is gone", len(doubtful)
                )
                await self._stream.publish(doubtful)
                await outbox.republished(self._graph, [e.id for e in doubtful], now_ms(), run_id)
                republished += len(doubtful)
            if len(rows) < SWEEP_BATCH:
                return republished

    async def publish_written(self, events: list[Event]) -> int:
        """Publish outbox events the caller has just committed and knows in full, without reading them
        back (one transaction less). They stay in the graph until published, so the sweep still covers
        a crash; one the sweep already took is published twice, which consumers tolerate. Published,
        they stay until the stream's Redis surely has them on disk (see the module's docstring)."""
        if not events:
            return 0
        server = await self._stream.server()  # read before the write (see EventStream.server)
        await self._stream.publish(events)
        await outbox.mark_published(
            self._graph, [e.id for e in events], now_ms(), server.origin, server.run_id
        )
        return len(events)

    async def _relay(self, records: list[dict[str, object]]) -> int:
        return await self.publish_written([Event.from_record(r) for r in records])
