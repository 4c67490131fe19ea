"""Group commit of likes per post, inside one process.

A viral post gets likes faster than one transaction per like can commit: each like of a post waits for
the post's write lock and pays a full commit, then two more transactions to publish its outbox event.
Here concurrent likes of the same post coalesce: while one batch's transaction is in flight, newly
arriving likes of that post queue, and when it commits everything queued (up to ``max_batch``) goes as
the next batch, in one transaction (interactions/like_post_batch), one stream publish and one outbox
delete. Under light load a batch is a single like, so nothing waits for a timer.

Each request still gets its own exact answer: whether it may see the post, and the like_count as
committed by its batch."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from cache.events import Event
from core.clock import now_ms
from core.errors import NotFound
from core.ids import new_id
from graph.driver import Graph
from graph.repositories import interactions

log = logging.getLogger(__name__)

# Bounds one transaction's size (and its lock hold time); a longer queue goes in several batches.
MAX_BATCH = 500

# (post_id, [(user_id, event_id)], now_ms) -> outcome: the batch's transaction (interactions.like_batch).
CommitBatch = Callable[[int, list[tuple[int, int]], int], Awaitable[interactions.BatchLikes]]
Publish = Callable[[list[Event]], Coroutine[Any, Any, None]]
# (post_id, the post's counts as committed) -> None
AfterCommit = Callable[[int, dict[str, Any] | None], Awaitable[None]]


class LikerStates(Protocol):
    """The likers' cached viewer states around a batch's transaction (feed/service.py, with
    cache/viewer_state.py's hold and release)."""

    async def hold_likers(self, user_ids: list[int]) -> Any:
        """Before the transaction: their states are about to change. Returns what release_likers needs."""

    async def release_likers(self, held: Any, post_id: int, liked: list[int]) -> None:
        """After the commit: ``liked``, those whose like it created, now like ``post_id``."""


@dataclass(frozen=True)
class LikeOutcome:
    visible: bool  # False: no such post, or the user may not see it
    like_count: int  # as committed by the like's batch


@dataclass
class _Waiter:
    user_id: int
    event_id: int
    outcome: asyncio.Future[LikeOutcome] = field(repr=False)


class LikeBatcher:
    """Likes per post, group-committed. ``publish`` gets each batch's new events in the background (the
    outbox fast path: the sweep recovers whatever it fails to publish); ``after_commit(post_id)`` runs
    once per batch that created a like, before that batch's requests are answered (so that the cached
    count is updated before the liker's next read): keep it quick, its failure is only logged.
    ``likers`` holds the batch's users' cached viewer states before its transaction and releases them
    after the commit with the likes it created (feed/service.py): once per batch, not once per like, so
    a viral post's likers cost one Redis exchange each way per batch."""

    def __init__(
        self,
        commit: CommitBatch,
        publish: Publish,
        *,
        after_commit: AfterCommit | None = None,
        likers: LikerStates | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._commit_batch = commit
        self._publish = publish
        self._after_commit = after_commit
        self._likers = likers
        self._max_batch = max_batch
        # A post has an entry only while a drain task runs for it: the entry goes when its queue is empty.
        self._queues: dict[int, list[_Waiter]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # strong references: the loop keeps weak ones

    @classmethod
    def for_graph(
        cls,
        graph: Graph,
        publish: Publish,
        *,
        after_commit: AfterCommit | None = None,
        likers: LikerStates | None = None,
    ) -> LikeBatcher:
        return cls(
            functools.partial(interactions.like_batch, graph),
            publish,
            after_commit=after_commit,
            likers=likers,
        )

    @property
    def posts_in_flight(self) -> int:
        return len(self._queues)

    async def like(self, user_id: int, post_id: int) -> int:
        """Idempotent; returns the exact like_count as committed by this like's batch. A post the user
        may not see (or no such post) is a 404 for this user alone; a failed transaction fails the
        whole batch with the same error."""
        outcome = await self.submit(user_id, post_id)
        if not outcome.visible:
            raise NotFound("no such post", code="post_not_found")
        return outcome.like_count

    async def submit(self, user_id: int, post_id: int) -> LikeOutcome:
        """Queue the like behind the post's batch in flight (or start one) and wait for its commit."""
        waiter = _Waiter(user_id, new_id(), asyncio.get_running_loop().create_future())
        queue = self._queues.get(post_id)
        if queue is None:
            self._queues[post_id] = [waiter]
            self._spawn(self._drain(post_id), name=f"likes-of-{post_id}")
        else:
            queue.append(waiter)
        # A cancelled request cancels only its own future: the drain task skips it or ignores its result.
        return await waiter.outcome

    async def _drain(self, post_id: int) -> None:
        queue = self._queues[post_id]
        batch: list[_Waiter] = []
        try:
            while queue:
                batch = [w for w in queue[: self._max_batch] if not w.outcome.done()]
                del queue[: self._max_batch]
                if batch:
                    await self._commit(post_id, batch)
                batch = []
        finally:
            # Reached with an empty queue (no await since the check), or when cancelled (shutdown).
            del self._queues[post_id]
            for waiter in batch + queue:
                waiter.outcome.cancel()  # no-op on a future already done

    async def _commit(self, post_id: int, batch: list[_Waiter]) -> None:
        held = await self._hold_likers(list(dict.fromkeys(w.user_id for w in batch)))
        try:
            result = await self._commit_batch(post_id, [(w.user_id, w.event_id) for w in batch], now_ms())
        except Exception as exc:  # the same error reaches every request of the batch
            # The holds expire with their hold-off: the states then read as absent (filled afresh).
            for waiter in batch:
                if not waiter.outcome.done():
                    waiter.outcome.set_exception(exc)
            return
        events = [
            Event(id=like.event_id, type="post_liked", post_id=post_id, actor_id=user_id)
            for user_id, like in result.by_user.items()
            if like.created
        ]
        # Every held state comes back (with the like for those whose like this batch created).
        hooks = [
            self._run_hook(
                functools.partial(self._release_likers, held, post_id), [e.actor_id for e in events]
            )
        ]
        if events:
            self._spawn(self._publish(events), name=f"publish-likes-of-{post_id}")
            hooks.append(self._run_hook(functools.partial(self._run_after_commit, post_id), result.counts))
        await asyncio.gather(*hooks)
        for waiter in batch:
            like = result.by_user.get(waiter.user_id)
            if not waiter.outcome.done():
                visible = like is not None and like.visible
                waiter.outcome.set_result(LikeOutcome(visible, result.like_count))

    async def _run_after_commit(self, post_id: int, counts: dict[str, Any] | None) -> None:
        if self._after_commit is not None:
            await self._after_commit(post_id, counts)

    async def _hold_likers(self, user_ids: list[int]) -> Any:
        if self._likers is None:
            return None
        try:
            return await self._likers.hold_likers(user_ids)
        except Exception:  # released (or, failing that, expired) as if held: the likes go on regardless
            log.exception("like batch could not hold its likers' viewer states")
            return None

    async def _release_likers(self, held: Any, post_id: int, liked: list[int]) -> None:
        if self._likers is not None:
            await self._likers.release_likers(held, post_id, liked)

    @staticmethod
    async def _run_hook(hook: Callable[[Any], Awaitable[None]], argument: Any) -> None:
        try:
            await hook(argument)
        except Exception:  # the likes are (or are about to be) committed: their requests go on regardless
            log.exception("like batch hook %s failed", getattr(hook, "__name__", hook))

    async def close(self, grace_seconds: float = 2.0) -> None:
        """At shutdown (requests have been answered): let batches and their event publishes finish for a
        moment, then cancel what is left (an unpublished event stays in the outbox for the sweep)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
