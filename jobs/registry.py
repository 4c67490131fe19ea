"""Every scheduled job by name: an async function taking the Services container and returning how
many items it handled. Jobs are imported lazily, when they run, so that `feedgraph jobs list` and the
scheduler start fast and one job's heavy imports never burden another."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from api.services import Services

JobFunction = Callable[["Services"], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    module: str
    function: str

    def load(self) -> JobFunction:
        return cast(JobFunction, getattr(importlib.import_module(self.module), self.function))


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "friend-suggestions",
            "top K accounts to follow for every active user (friends of friends, cold start: popular)",
            "jobs.friend_suggestions",
            "run_friend_suggestions",
        ),
        Job(
            "media-cleanup",
            "delete uploaded media never attached to a post (after FEEDGRAPH_MEDIA_ORPHAN_TTL_SECONDS)",
            "media.cleanup",
            "run_media_cleanup",
        ),
        Job(
            "feed-housekeeping",
            "trim event-stream entries that every consumer group has acknowledged",
            "jobs.feed_housekeeping",
            "run_feed_housekeeping",
        ),
        Job(
            "reindex",
            "rebuild the search indices under the current mapping, behind the aliases (no downtime)",
            "search.reindex",
            "run_reindex",
        ),
        Job(
            "search-backfill",
            "index every post and user already in the graph (data written before search, a lost index)",
            "search.backfill",
            "run_backfill",
        ),
    )
}
