"""Friend suggestions: for every active user, the top K accounts to follow, stored for the API.

Scoring (``cypher/suggestions/compute_suggestions.cypher``): friends of friends, by Adamic-Adar over
the accounts the user follows::

    score(u, c) = sum over f with u -FOLLOWS-> f -FOLLOWS-> c  of  1 / ln(1 + following_count(f))

Each followee ``f`` who follows candidate ``c`` vouches for it, and a vouch counts less the more
accounts ``f`` follows: someone who follows 5 accounts says more about each than someone who follows
5,000. Ties go to more vouching followees, then to the older account (smaller id), so a run is
deterministic. Excluded: the user, accounts already followed, blocked in either direction, muted, or
dismissed (``DELETE /api/v1/suggestions/{user_id}``). When fewer than K friends of friends exist
(always so for a new user who follows nobody: the cold start), the list is filled with the most
followed accounts, under the same exclusions.

The run walks active users (seen within ``FEEDGRAPH_ACTIVE_DAYS``) in id order, in batches: one read
transaction computes a batch, one write transaction replaces each of its users' suggestions
atomically, then a checkpoint (the last user id done) is saved in Redis. An interrupted run (crash,
deploy, Ctrl-C) leaves its checkpoint, and the next run continues after it; a finished run deletes it.
Recomputing a user only replaces their list, so reruns are harmless (idempotent).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis, RedisCluster
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.services import Services
from core.clock import now_ms
from graph.driver import Graph
from graph.repositories import suggestions
from graph.repositories.suggestions import Candidates

log = logging.getLogger(__name__)

JOB_NAME = "friend-suggestions"
CHECKPOINT_KEY = "fg:jobs:friend-suggestions:checkpoint"
# A checkpoint older than this is from a run nobody resumed; start over rather than skip users.
CHECKPOINT_TTL_SECONDS = 2 * 86_400
# Cold-start pool: the most followed accounts, a few times K, so that exclusions rarely empty it.
POPULAR_POOL_FACTOR = 3
# Followees named per suggestion for its reason ("followed by alice and 3 others you follow").
VIA_SAMPLE = 3


@dataclass(frozen=True)
class SuggestionReport:
    users: int  # users processed by this run
    with_friends: int  # users with at least one friend-of-friend suggestion
    cold_start: int  # users who follow nobody (popular accounts only)
    suggestions: int  # suggestions stored
    batches: int
    resumed_after: int | None  # the checkpoint this run continued from
    seconds: float

    def summary(self) -> str:
        resumed = f", resumed after user {self.resumed_after}" if self.resumed_after is not None else ""
        return (
            f"{self.users} users in {self.seconds:.1f}s ({self.batches} batches, {self.suggestions} "
            f"suggestions, {self.with_friends} with friends of friends, {self.cold_start} cold starts"
            f"{resumed})"
        )


def rank(candidates: Candidates, top_k: int) -> list[dict[str, Any]]:
    """The stored list of one user: friends of friends in score order, then popular accounts, up to K."""
    ranked: list[dict[str, Any]] = []
    for friend in candidates.friends[:top_k]:
        ranked.append(
            {
                "id": friend.id,
                "kind": "friends",
                "score": friend.score,
                "mutual_count": friend.mutual_count,
                "via": friend.via,
            }
        )
    seen = {s["id"] for s in ranked}
    for account in candidates.popular:
        if len(ranked) >= top_k:
            break
        if account not in seen:
            ranked.append({"id": account, "kind": "popular", "score": 0.0, "mutual_count": None, "via": []})
            seen.add(account)
    for position, suggestion in enumerate(ranked, start=1):
        suggestion["rank"] = position
    return ranked


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class FriendSuggestions:
    """One run of the job. ``user_ids`` limits it to those users (their own checkpoint); ``on_batch``
    is called with the users done so far after each committed batch."""

    def __init__(
        self,
        graph: Graph,
        redis: Redis | RedisCluster,
        *,
        top_k: int = 20,
        batch_size: int = 500,
        active_days: int = 7,
        user_ids: list[int] | None = None,
        on_batch: Callable[[int], None] | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.graph = graph
        self.redis = redis
        self.top_k = top_k
        self.batch_size = batch_size
        self.active_days = active_days
        self.user_ids = sorted(set(user_ids)) if user_ids is not None else None
        self.on_batch = on_batch
        self._console = Console(stderr=True)
        self.show_progress = self._console.is_terminal if show_progress is None else show_progress

    @property
    def checkpoint_key(self) -> str:
        if self.user_ids is None:
            return CHECKPOINT_KEY
        scope = hashlib.sha1(",".join(map(str, self.user_ids)).encode()).hexdigest()[:16]
        return f"{CHECKPOINT_KEY}:scope:{scope}"

    async def run(self) -> SuggestionReport:
        started = time.monotonic()
        checkpoint = await self._load_checkpoint()
        resumed_after = checkpoint["after_id"] if checkpoint else None
        after_id: int = checkpoint["after_id"] if checkpoint else -1
        # A resumed run keeps its first part's notion of "active", so its user set stays the same.
        active_since: int = (
            checkpoint["active_since"] if checkpoint else now_ms() - self.active_days * 86_400_000
        )
        if resumed_after is not None:
            log.info("%s: resuming after user %d", JOB_NAME, resumed_after)
        popular = await suggestions.popular_user_ids(self.graph, self.top_k * POPULAR_POOL_FACTOR)

        scoped: list[int] | None = None
        if self.user_ids is not None:
            scoped = [
                u
                for u in await suggestions.active_among(self.graph, self.user_ids, active_since)
                if u > after_id
            ]
            total = len(scoped)
        else:
            total = await suggestions.count_active_users(self.graph, after_id, active_since)

        users = with_friends = cold = stored = batches = 0
        progress = Progress(
            TextColumn("[bold]friend suggestions"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            disable=not self.show_progress,
        )
        with progress:
            bar = progress.add_task("users", total=total)
            async for batch in self._walk(scoped, after_id, active_since):
                found = await suggestions.candidates(self.graph, batch, self.top_k, popular, VIA_SAMPLE)
                rows: list[dict[str, Any]] = [
                    {"user_id": c.user_id, "suggestions": rank(c, self.top_k)} for c in found
                ]
                await suggestions.replace(self.graph, rows, now_ms())
                await self._save_checkpoint(batch[-1], active_since)
                batches += 1
                users += len(batch)
                with_friends += sum(1 for c in found if c.friends)
                cold += sum(1 for c in found if c.following == 0)
                stored += sum(len(r["suggestions"]) for r in rows)
                progress.update(bar, completed=users)
                log.info("%s: %d/%d users", JOB_NAME, users, total)
                if self.on_batch is not None:
                    self.on_batch(users)
        await self.redis.delete(self.checkpoint_key)
        report = SuggestionReport(
            users, with_friends, cold, stored, batches, resumed_after, time.monotonic() - started
        )
        log.info("%s: %s", JOB_NAME, report.summary())
        return report

    async def _walk(
        self, scoped: list[int] | None, after_id: int, active_since: int
    ) -> AsyncIterator[list[int]]:
        if scoped is not None:
            for batch in _batches(scoped, self.batch_size):
                yield batch
            return
        while batch := await suggestions.active_user_ids(self.graph, after_id, active_since, self.batch_size):
            yield batch
            after_id = batch[-1]

    async def _load_checkpoint(self) -> dict[str, int] | None:
        raw = await self.redis.get(self.checkpoint_key)
        if raw is None:
            return None
        data: dict[str, int] = orjson.loads(raw)
        return data

    async def _save_checkpoint(self, after_id: int, active_since: int) -> None:
        payload = orjson.dumps({"after_id": after_id, "active_since": active_since})
        await self.redis.set(self.checkpoint_key, payload, ex=CHECKPOINT_TTL_SECONDS)


async def run_friend_suggestions(services: Services) -> int:
    """The registered job: every active user; returns how many users were processed."""
    settings = services.settings
    job = FriendSuggestions(
        services.graph,
        services.redis,
        top_k=settings.suggestions_top_k,
        batch_size=settings.suggestions_batch_size,
        active_days=settings.active_days,
    )
    report = await job.run()
    return report.users
