"""Feed housekeeping: trim the event stream of entries every consumer group has acknowledged.

The stream has no length cap (a cap would drop events a lagging group has not read), so this job is
what bounds its memory; it runs every minute by default. Trimming is safe
below the oldest entry any group still needs: for each group, its oldest pending entry (delivered,
not yet acknowledged, so it may be retried or reclaimed) or else the entry after its last delivered
one. Nothing is trimmed when the stream has no group yet (nobody has read it). A consumer group
added later starts from what is left: a reindex, not the stream, backfills a new consumer.

It also forgets published outbox events (feed/relay.py) that no stream's sweep has settled within
``ABANDONED_AFTER_MS``: a deployment's own workers settle its events within seconds, so these belong to
one that is gone (every test session's private Redis leaves a few behind in a shared graph) or whose
workers have been down for an hour; its Redis has had them on disk for that long unless it crashed
in the seconds after taking them and no worker has run since, the one case this gives up."""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis, RedisCluster

from api.services import Services
from cache.events import STREAM
from core.clock import now_ms
from graph.driver import Graph
from graph.repositories import outbox

log = logging.getLogger(__name__)

ABANDONED_AFTER_MS = 3_600_000
_ABANDONED_BATCH = 1_000

StreamId = tuple[int, int]


def _parse(stream_id: Any) -> StreamId:
    text = stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _group_floor(group: dict[Any, Any], oldest_pending: Any) -> StreamId:
    if oldest_pending is not None:
        return _parse(oldest_pending)
    ms, seq = _parse(group["last-delivered-id"])
    return ms, seq + 1  # everything up to the last delivered entry is acknowledged


async def trim_acknowledged(redis: Redis | RedisCluster, stream: str = STREAM) -> int:
    """Delete the entries of ``stream`` that every consumer group has acknowledged; returns how many."""
    if not await redis.exists(stream):
        return 0
    groups: list[dict[Any, Any]] = await redis.xinfo_groups(stream)
    if not groups:
        return 0
    floors = []
    for group in groups:
        oldest = None
        if int(group["pending"]) > 0:
            summary: dict[str, Any] = await redis.xpending(stream, group["name"])
            oldest = summary.get("min")
        floors.append(_group_floor(group, oldest))
    ms, seq = min(floors)
    # Exact trimming (not "~"): the job runs every few minutes, far from any hot path.
    trimmed = int(await redis.xtrim(stream, minid=f"{ms}-{seq}", approximate=False))
    return trimmed


async def forget_abandoned_events(graph: Graph, older_than_ms: int) -> int:
    """Delete published outbox events of any stream published before ``older_than_ms``; how many."""
    forgotten = 0
    while deleted := await outbox.delete_abandoned_published(graph, older_than_ms, _ABANDONED_BATCH):
        forgotten += deleted
    return forgotten


async def run_feed_housekeeping(services: Services) -> int:
    """The registered job: returns how many stream entries were trimmed."""
    trimmed = await trim_acknowledged(services.redis)
    log.info("feed-housekeeping: trimmed %d acknowledged events from %s", trimmed, STREAM)
    forgotten = await forget_abandoned_events(services.graph, now_ms() - ABANDONED_AFTER_MS)
    if forgotten:
        log.info("feed-housekeeping: forgot %d published events no sweep settled", forgotten)
    return trimmed
