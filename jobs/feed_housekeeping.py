"""Feed housekeeping: trim the event stream of entries every consumer group has acknowledged.

The stream has no length cap (a cap would drop events a lagging group has not read), so this job is
what bounds its memory; it runs every minute by default. Trimming is safe
below the oldest entry any group still needs: for each group, its oldest pending entry (delivered,
not yet acknowledged, so it may be retried or reclaimed) or else the entry after its last delivered
one. Nothing is trimmed when the stream has no group yet (nobody has read it). A consumer group
added later starts from what is left: a reindex, not the stream, backfills a new consumer."""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis, RedisCluster

from api.services import Services
from cache.events import STREAM

log = logging.getLogger(__name__)

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


async def run_feed_housekeeping(services: Services) -> int:
    """The registered job: returns how many stream entries were trimmed."""
    trimmed = await trim_acknowledged(services.redis)
    log.info("feed-housekeeping: trimmed %d acknowledged events from %s", trimmed, STREAM)
    return trimmed
