"""The batching logic of feed/likes.py alone, with an in-memory stand-in for the batch transaction (the
transaction itself is tested against Neo4j in tests/integration/test_like_batches.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cache.events import Event
from core.errors import NotFound, Unavailable
from feed.likes import LikeBatcher
from graph.repositories.interactions import BatchLike, BatchLikes

HIDDEN_FROM = 666  # the user who may not see any post


class MemoryLikes:
    """like_batch's contract in memory; ``gate`` holds every transaction until it is set."""

    def __init__(self) -> None:
        self.likes: set[tuple[int, int]] = set()
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next = False

    async def commit(self, post_id: int, pairs: list[tuple[int, int]], now_ms: int) -> BatchLikes:
        self.batches.append([user_id for user_id, _ in pairs])
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise Unavailable("neo4j is unavailable", code="dependency_unavailable")
        by_user: dict[int, BatchLike] = {}
        for user_id, event_id in pairs:
            if user_id in by_user:
                continue
            visible = user_id != HIDDEN_FROM
            created = visible and (post_id, user_id) not in self.likes
            if created:
                self.likes.add((post_id, user_id))
            by_user[user_id] = BatchLike(visible, created, event_id)
        count = sum(1 for p, _ in self.likes if p == post_id)
        return BatchLikes(like_count=count, by_user=by_user)


class Recorder:
    def __init__(self, memory: MemoryLikes | None = None) -> None:
        self.events: list[Event] = []
        self.commits: list[int] = []
        self.memory = memory
        # ("hold", users, batches begun) before a transaction; ("release", users liking, batches begun)
        self.viewers: list[tuple[str, list[int], int]] = []

    async def publish(self, events: list[Event]) -> None:
        self.events += events

    async def after_commit(self, post_id: int, counts: dict[str, Any] | None) -> None:
        self.commits.append(post_id)

    def _begun(self) -> int:
        return len(self.memory.batches) if self.memory else 0

    async def hold_likers(self, user_ids: list[int]) -> list[int]:
        self.viewers.append(("hold", user_ids, self._begun()))
        return user_ids

    async def release_likers(self, held: list[int], post_id: int, liked: list[int]) -> None:
        assert set(liked) <= set(held)
        self.viewers.append(("release", liked, self._begun()))


def batcher(memory: MemoryLikes, recorder: Recorder, max_batch: int = 500) -> LikeBatcher:
    return LikeBatcher(
        memory.commit,
        recorder.publish,
        after_commit=recorder.after_commit,
        likers=recorder,
        max_batch=max_batch,
    )


async def settle() -> None:
    """Let spawned publish tasks run (they only append to a list)."""
    for _ in range(3):
        await asyncio.sleep(0)


def test_likes_arriving_while_a_batch_is_in_flight_go_together_as_the_next_batch() -> None:
    async def scenario() -> None:
        memory, recorder = MemoryLikes(), Recorder()
        likes = batcher(memory, recorder)
        memory.gate.clear()
        first = asyncio.create_task(likes.like(1, 10))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert memory.batches == [[1]]  # in flight, alone
        later = [asyncio.create_task(likes.like(u, 10)) for u in (2, 3, 4)]
        other_post = asyncio.create_task(likes.like(2, 11))
        await asyncio.sleep(0)
        assert likes.posts_in_flight == 2
        memory.gate.set()
        assert await first == 1
        assert await asyncio.gather(*later) == [4, 4, 4]
        assert await other_post == 1
        assert sorted(memory.batches) == [[1], [2], [2, 3, 4]]
        assert likes.posts_in_flight == 0
        await settle()
        assert sorted((e.post_id, e.actor_id, e.type) for e in recorder.events) == [
            (10, 1, "post_liked"),
            (10, 2, "post_liked"),
            (10, 3, "post_liked"),
            (10, 4, "post_liked"),
            (11, 2, "post_liked"),
        ]
        assert sorted(recorder.commits) == [10, 10, 11]

    asyncio.run(scenario())


def test_batches_are_bounded_and_a_repeated_like_creates_nothing() -> None:
    async def scenario() -> None:
        memory, recorder = MemoryLikes(), Recorder()
        likes = batcher(memory, recorder, max_batch=2)
        assert await asyncio.gather(*(likes.like(u, 10) for u in range(1, 6))) == [2, 2, 4, 4, 5]
        assert memory.batches == [[1, 2], [3, 4], [5]]
        await settle()
        published, commits = len(recorder.events), len(recorder.commits)
        assert list(await asyncio.gather(likes.like(1, 10), likes.like(1, 10))) == [5, 5]
        await settle()
        assert (len(recorder.events), len(recorder.commits)) == (published, commits)  # nothing new

    asyncio.run(scenario())


def test_a_hidden_post_is_a_404_for_that_user_alone() -> None:
    async def scenario() -> None:
        likes = batcher(MemoryLikes(), Recorder())
        results = await asyncio.gather(
            likes.like(1, 10), likes.like(HIDDEN_FROM, 10), likes.like(2, 10), return_exceptions=True
        )
        assert results[0] == results[2] == 2
        assert isinstance(results[1], NotFound) and results[1].code == "post_not_found"

    asyncio.run(scenario())


def test_a_failed_transaction_fails_its_whole_batch_and_the_next_one_proceeds() -> None:
    async def scenario() -> None:
        memory, recorder = MemoryLikes(), Recorder()
        likes = batcher(memory, recorder)
        memory.gate.clear()
        memory.fail_next = True
        doomed = [asyncio.create_task(likes.like(u, 10)) for u in (1, 2)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        next_batch = asyncio.create_task(likes.like(3, 10))
        await asyncio.sleep(0)
        memory.gate.set()
        failures = await asyncio.gather(*doomed, return_exceptions=True)
        assert all(isinstance(f, Unavailable) for f in failures) and failures[0] is failures[1]
        assert await next_batch == 1
        await settle()
        assert [e.actor_id for e in recorder.events] == [3]
        assert likes.posts_in_flight == 0

    asyncio.run(scenario())


@pytest.mark.parametrize("in_flight", [False, True])
def test_a_cancelled_like_leaves_the_others_answered(in_flight: bool) -> None:
    async def scenario() -> None:
        memory, recorder = MemoryLikes(), Recorder()
        likes = batcher(memory, recorder)
        memory.gate.clear()
        tasks = [asyncio.create_task(likes.like(u, 10)) for u in (1, 2, 3)]
        await asyncio.sleep(0)
        if in_flight:
            await asyncio.sleep(0)
            assert memory.batches == [[1, 2, 3]]
        tasks[1].cancel()
        memory.gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[1], asyncio.CancelledError)
        # Committed anyway once in flight; skipped while still queued.
        assert results[0] == results[2] == (3 if in_flight else 2)
        assert memory.batches == ([[1, 2, 3]] if in_flight else [[1, 3]])
        assert likes.posts_in_flight == 0

    asyncio.run(scenario())


def test_a_failing_after_commit_hook_does_not_fail_committed_likes() -> None:
    async def broken_hook(post_id: int, counts: dict[str, Any] | None) -> None:
        raise RuntimeError("cache down")

    async def scenario() -> None:
        memory, recorder = MemoryLikes(), Recorder()
        likes = LikeBatcher(memory.commit, recorder.publish, after_commit=broken_hook)
        assert await likes.like(1, 10) == 1

    asyncio.run(scenario())


def test_likers_states_are_held_before_each_batch_and_released_after_it_with_the_new_likes() -> None:
    async def scenario() -> None:
        memory = MemoryLikes()
        recorder = Recorder(memory)
        likes = batcher(memory, recorder)
        memory.likes.add((10, 3))  # user 3 liked post 10 already: the batch creates nothing for them
        memory.gate.clear()
        first = asyncio.create_task(likes.like(1, 10))
        await asyncio.sleep(0)
        rest = [asyncio.create_task(likes.like(u, 10)) for u in (2, 3, 2, HIDDEN_FROM)]
        await asyncio.sleep(0)
        memory.gate.set()
        await asyncio.gather(first, *rest[:3])
        with pytest.raises(NotFound):
            await rest[3]
        # Held before each transaction (the count of transactions begun is 0, then 1); released after
        # each, with the users whose like it created (transactions begun: 1, then 2).
        assert recorder.viewers == [
            ("hold", [1], 0),
            ("release", [1], 1),
            ("hold", [2, 3, HIDDEN_FROM], 1),
            ("release", [2], 2),
        ]

    asyncio.run(scenario())


class BrokenLikers:
    async def hold_likers(self, user_ids: list[int]) -> None:
        raise ConnectionError("redis went away")

    async def release_likers(self, held: None, post_id: int, liked: list[int]) -> None:
        raise ConnectionError("redis went away")


def test_failing_likers_hooks_do_not_fail_the_likes() -> None:
    async def scenario() -> None:
        memory = MemoryLikes()
        likes = LikeBatcher(memory.commit, Recorder().publish, likers=BrokenLikers())
        assert await likes.like(1, 10) == 1
        assert memory.likes == {(10, 1)}

    asyncio.run(scenario())


def test_close_lets_a_pending_publish_finish() -> None:
    async def scenario() -> None:
        published: list[list[int]] = []
        release = asyncio.Event()

        async def slow_publish(events: list[Event]) -> None:
            await release.wait()
            published.append([e.actor_id for e in events])

        batcher = LikeBatcher(MemoryLikes().commit, slow_publish)
        assert await batcher.like(1, 10) == 1
        asyncio.get_running_loop().call_later(0.05, release.set)
        await batcher.close(grace_seconds=5)
        assert published == [[1]]

    asyncio.run(scenario())
